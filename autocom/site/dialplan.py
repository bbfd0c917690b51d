"""Render the per-site dialplan from site.yaml (`autocom dialplan -o FILE`).

One Asterisk context per site.yaml context, named like it (as XiVO does, so
phones' endpoints keep ``context=<name>``), plus helper contexts prefixed
``autocom-site-``.  Every extension calls a subroutine of dialplan/autocom-pbx.conf
and then acts on AUTOCOM_ACTION; see docs/dialplan.md for the whole picture.

- internal context: its users (hint + ``autocom-user``) and hunt groups
  (``autocom-group``, with their overflow); includes, in this order: the
  emergency numbers of the outgoing contexts it reaches, ``autocom-features``,
  then its own includes.
- outgoing context: the emergency numbers (with and without the line prefix) as
  exact extensions, then ``_<prefix>X.`` through ``autocom-outgoing``.
- incoming context: each DID through ``autocom-incoming`` to its destination.
- ``autocom-site-devices``: device -> owning user, for phone-side forwards.

Phones and trunks are reached only through the AUTOCOM_DEVICE_DIAL and
AUTOCOM_TRUNK_DIAL templates, substituted at call time with STRREPLACE; the
users' hints (BLF) follow AUTOCOM_DEVICE_DIAL too (``device_hint``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autocom.site.model import Context, Group, Site, User

if TYPE_CHECKING:
    from autocom.loader import Config


@runtime_checkable
class SiteDialplanPart(Protocol):
    """A feature's rules that add contexts to the site dialplan (e.g. its feature codes)."""

    def site_dialplan(self) -> str: ...


def render_dialplan(config: Config | Site) -> str:
    """The site dialplan as the text of an Asterisk .conf file; from a Config, followed
    by the contexts of every feature's rules that render some (SiteDialplanPart)."""
    site = config if isinstance(config, Site) else config.site
    text = _Renderer(site).render()
    if isinstance(config, Site):
        return text
    parts = config.rules.values()
    return text + "".join(r.site_dialplan() for r in parts if isinstance(r, SiteDialplanPart))


def device_dial(device: str) -> str:
    """The dialplan expression dialing one device through AUTOCOM_DEVICE_DIAL."""
    return f"${{STRREPLACE(AUTOCOM_DEVICE_DIAL,{{device}},{device})}}"


def user_dial(user: User) -> str:
    """All of a user's devices, joined with '&' (they all ring)."""
    return "&".join(device_dial(d) for d in user.devices)


# The text before and after {device} in AUTOCOM_DEVICE_DIAL, with $[... =~ ...]
# expressions: Asterisk expands a hint once, when it loads the dialplan, and at
# boot no dialplan function (STRREPLACE...) is loaded yet, only variables and
# expressions.  The template must hold {device} once.
_BEFORE_DEVICE = '$["${AUTOCOM_DEVICE_DIAL}" =~ "^([^{]*)[{]device[}]"]'
_AFTER_DEVICE = '$["${AUTOCOM_DEVICE_DIAL}" =~ "[{]device[}](.*)$"]'


def device_hint(device: str) -> str:
    """The hint of one device: AUTOCOM_DEVICE_DIAL with {device} filled in, as
    device_dial() dials it, in a form Asterisk can expand when it boots."""
    return f"{_BEFORE_DEVICE}{device}{_AFTER_DEVICE}"


def _mailbox(box: str | None) -> str:
    """A mailbox as VoiceMail() takes it: '2001' is 2001@default; '' for none."""
    if not box:
        return ""
    return box if "@" in box else f"{box}@default"


def _comment(text: str) -> str:
    """A one-line comment: no line breaks, nothing Asterisk would read."""
    return " ".join(text.replace(";", ",").split())


def _where(obj: object) -> str:
    source = getattr(obj, "source", None)
    return f" ({source})" if source is not None else ""


class _Renderer:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.out: list[str] = []

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def render(self) -> str:
        self.line(f"; autocom site dialplan for {_comment(self.site.name)!s}")
        self.line("; rendered by `autocom dialplan` from site.yaml: do not edit, edit site.yaml")
        self.line("; include it after dialplan/autocom.conf; see docs/dialplan.md")
        for ctx in self.site.contexts:
            self.line()
            if ctx.kind == "internal":
                self.internal(ctx)
            elif ctx.kind == "outgoing":
                self.outgoing(ctx)
            else:
                self.incoming(ctx)
        for ctx in self.site.outgoing():
            self.line()
            self.emergency_context(ctx)
        self.line()
        self.devices()
        return "\n".join(self.out) + "\n"

    # -- contexts --------------------------------------------------------------
    def internal(self, ctx: Context) -> None:
        self.header(ctx)
        for out in self.site.reachable_outgoing(ctx.name):
            self.line(f"include => autocom-site-emergency-{out.name}")
        self.line("include => autocom-features")
        self.includes(ctx)
        for user in self.site.users:
            if user.context == ctx.name:
                self.user(user)
        for group in self.site.groups:
            if group.context == ctx.name:
                self.group(group)

    def outgoing(self, ctx: Context) -> None:
        self.header(ctx)
        self.emergency_numbers(ctx)
        skip = f":{len(ctx.line_prefix)}" if ctx.line_prefix else ""
        self.flow(
            ctx.outside_pattern,
            "autocom-outgoing",
            f"${{EXTEN{skip}}}",
            "${EXTEN}",
            ctx.name,
            "&".join(ctx.trunks),
        )
        self.includes(ctx)

    def incoming(self, ctx: Context) -> None:
        self.header(ctx)
        for did in ctx.dids:
            target = self.site.user_or_group(did.destination)
            target_ctx = did.context or (target.context if target is not None else None)
            if target_ctx is None:
                self.line(f"; DID {did.number}: destination {did.destination} unknown{_where(did)}")
                continue
            self.line(f"; DID {did.number} -> {did.destination}@{target_ctx}{_where(did)}")
            self.flow(did.number, "autocom-incoming", did.number, did.destination, target_ctx)
        self.includes(ctx)

    def emergency_context(self, ctx: Context) -> None:
        self.line(f"[autocom-site-emergency-{ctx.name}]")
        self.line(f"; emergency numbers of {ctx.name}: straight to its trunks, before any hook")
        self.emergency_numbers(ctx)

    def devices(self) -> None:
        self.line("[autocom-site-devices]")
        self.line(
            "; Gosub(autocom-site-devices,<device>,1): AUTOCOM_FORWARDER(_CONTEXT) = its owner"
        )
        for user in self.site.users:
            for dev in user.devices:
                self.line(f"exten => {dev},1,Set(AUTOCOM_FORWARDER={user.extension})")
                self.line(f" same => n,Set(AUTOCOM_FORWARDER_CONTEXT={user.context})")
                self.line(" same => n,Return()")

    # -- extensions ------------------------------------------------------------
    def user(self, user: User) -> None:
        self.line(f"; user {user.extension} {_comment(user.display_name)}{_where(user)}")
        if user.devices:
            hint = "&".join(device_hint(d) for d in user.devices)
            self.line(f"exten => {user.extension},hint,{hint}")
        box = _mailbox(user.voicemail)
        self.flow(
            user.extension, "autocom-user", user.extension, user.context, user_dial(user), box
        )

    def group(self, group: Group) -> None:
        members = [u for u in (self.site.user(m) for m in group.members) if u and u.devices]
        self.line(
            f"; group {group.extension} {_comment(group.name)} ({group.strategy},"
            f" {len(members)} members){_where(group)}"
        )
        if group.strategy == "ringall":
            dials = ["&".join(user_dial(u) for u in members)] if members else []
        else:
            dials = [user_dial(u) for u in members]
        overflow = self.overflow(group)
        if group.overflow is not None:
            shown = ",".join(overflow) if overflow[0] else "none: refused by autocom check"
            self.line(f"; overflow {group.overflow}: {shown}{_where(group.overflow)}")
        self.flow(
            group.extension,
            "autocom-group",
            group.extension,
            group.context,
            str(group.ring_time),
            *overflow,
            *dials,
        )

    def overflow(self, group: Group) -> list[str]:
        """autocom-group's overflow arguments: kind, target, context (all empty: none)."""
        overflow = group.overflow
        if overflow is None:
            return ["", "", ""]
        if overflow.voicemail is not None:
            return ["voicemail", _mailbox(overflow.voicemail), ""]
        if overflow.extension is not None:
            target = self.site.user_or_group(overflow.extension)
            context = target.context if target is not None else None
        else:
            route = self.site.outgoing_route(group.context, overflow.target)
            context = route.name if route is not None else None
        if context is None:
            return ["", "", ""]
        return [overflow.kind, overflow.target, context]

    # -- helpers ---------------------------------------------------------------
    def flow(self, exten: str, flow: str, *args: str) -> None:
        """The two lines of every rendered extension: Gosub a base flow of
        autocom-pbx.conf, then act on the AUTOCOM_ACTION it returned."""
        self.line(f"exten => {exten},1,Gosub({flow},s,1({','.join(args)}))")
        self.line(" same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)")

    def emergency_numbers(self, ctx: Context) -> None:
        """An outgoing context's emergency numbers (as is and after the line prefix),
        straight to its trunks."""
        trunks = "&".join(ctx.trunks)
        for number, dialed in ctx.emergency_dialed():
            self.flow(dialed, "autocom-emergency", number, trunks)

    def includes(self, ctx: Context) -> None:
        for name in ctx.include:
            self.line(f"include => {name}")

    def header(self, ctx: Context) -> None:
        detail = "; ".join(
            f"{label} {', '.join(str(r) for r in items)}"
            for label, items in ctx.ranges().items()
            if items
        )
        self.line(f"[{ctx.name}]")
        self.line(f"; {ctx.kind} context{_where(ctx)}{': ' + detail if detail else ''}")
