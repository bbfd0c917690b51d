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

from autocom.site.model import LEG_MARK, Context, Group, Secondary, Site, Tandem, User

if TYPE_CHECKING:
    from autocom.loader import Config


@runtime_checkable
class SiteDialplanPart(Protocol):
    """A feature's rules that add contexts to the site dialplan (e.g. its feature codes)."""

    def site_dialplan(self) -> str: ...


def render_dialplan(config: Config | Site) -> str:
    """The site dialplan as the text of an Asterisk .conf file; from a Config, followed
    by the contexts of the running features' rules that render some (SiteDialplanPart),
    and ``autocom-site-features``, which includes each ``autocom-site-<feature>-codes``
    they render (autocom-features includes it in every internal context: how a
    site's own feature puts its codes there)."""
    site = config if isinstance(config, Site) else config.site
    text = _Renderer(site).render()
    if isinstance(config, Site):
        return text + _feature_codes({})
    parts = {
        name: rules.site_dialplan()
        for name, rules in config.rules.items()
        if isinstance(rules, SiteDialplanPart)
    }
    return text + "".join(parts.values()) + _feature_codes(parts)


def _feature_codes(parts: dict[str, str]) -> str:
    lines = [
        "",
        "[autocom-site-features]",
        "; the feature codes of the features that run (included by autocom-features)",
    ]
    for name, part in parts.items():
        context = f"autocom-site-{name}-codes"
        if f"[{context}]" in part:
            lines.append(f"include => {context}")
    return "\n".join(lines) + "\n"


def device_dial(device: str) -> str:
    """The dialplan expression dialing one device through AUTOCOM_DEVICE_DIAL; a
    tandem leg (``Site.ring_items``: LEG_MARK + leg) through autocom-site-tandem."""
    if device.startswith(LEG_MARK):
        return f"Local/{device[len(LEG_MARK) :]}@autocom-site-tandem/n"
    return f"${{STRREPLACE(AUTOCOM_DEVICE_DIAL,{{device}},{device})}}"


def user_dial(user: User, site: Site | None = None) -> str:
    """All of a user's devices, joined with '&' (they all ring); with the site, the
    legs of the user's tandem too."""
    items = site.ring_items(user) if site is not None else user.devices
    return "&".join(device_dial(d) for d in items)


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
        self.tandems()
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
        owned = [(dev, user) for user in self.site.users for dev in user.devices]
        for tandem in self.site.tandems:  # numberless secondary sets: the main user's
            main = self.site.user(tandem.main)
            owned += [(s.device, main) for s in tandem.secondaries if s.device and main]
        seen: set[str] = set()
        for dev, user in owned:
            if dev in seen:
                continue
            seen.add(dev)
            self.line(f"exten => {dev},1,Set(AUTOCOM_FORWARDER={user.extension})")
            self.line(f" same => n,Set(AUTOCOM_FORWARDER_CONTEXT={user.context})")
            self.line(" same => n,Return()")

    def tandems(self) -> None:
        self.line("[autocom-site-tandem]")
        self.line("; <main>_<n>: the n-th secondary set of <main>'s tandem (autocom-tandem-leg)")
        calls_as: list[tuple[str, User]] = []
        for tandem in self.site.tandems:
            main = self.site.user(tandem.main)
            if main is None:
                self.line(f"; tandem {tandem.main}: no such user{_where(tandem)}")
                continue
            self.line(
                f"; tandem {main.extension} {_comment(main.display_name)}:"
                f" {len(tandem.secondaries)} secondaries, when main busy:"
                f" {tandem.when_main_busy}{_where(tandem)}"
            )
            for index, sec in enumerate(tandem.secondaries):
                self.line(f"; secondary {index + 1}: {sec}, delay {sec.delay} s{_where(sec)}")
                self.line(
                    f"exten => {tandem.leg(index)},1,Gosub(autocom-tandem-leg,s,1("
                    f"{','.join(self.leg_args(tandem, main, sec))}))"
                )
                self.line(" same => n,Hangup(${AUTOCOM_TANDEM_CAUSE})")
                calls_as += [(d, main) for d in self.secondary_devices(sec) if sec.calls_as_main]
        self.line()
        self.line("[autocom-site-tandem-out]")
        self.line("; Gosub(autocom-site-tandem-out,<device>,1): a secondary set calling out")
        self.line("; takes its main user's caller ID, so its rights are the main user's")
        for dev, main in calls_as:
            self.line(f"exten => {dev},1,Set(CALLERID(num)={main.extension})")
            self.line(f" same => n,Set(CALLERID(name)={_comment(main.display_name)})")
            self.line(" same => n,Return()")

    def secondary_devices(self, sec: Secondary) -> tuple[str, ...]:
        if sec.device is not None:
            return (sec.device,)
        user = self.site.user(sec.user) if sec.user is not None else None
        return user.devices if user is not None else ()

    def leg_args(self, tandem: Tandem, main: User, sec: Secondary) -> list[str]:
        """autocom-tandem-leg's arguments: main ext, its context, delay, when main
        busy, kind, dial string or number, dialed, outgoing context, trunks, shown."""
        head = [main.extension, main.context, str(sec.delay), tandem.when_main_busy, sec.kind]
        if sec.number is None:
            devices = self.secondary_devices(sec)
            return [*head, "&".join(device_dial(d) for d in devices)]
        route = self.site.outgoing_route(main.context, sec.number)
        if route is None:  # refused by autocom check
            return [*head, ""]
        number = sec.number[len(route.line_prefix) :]
        shown = "" if tandem.mobile_caller_id == "caller" else tandem.mobile_caller_id
        return [*head, number, sec.number, route.name, "&".join(route.trunks), shown]

    # -- extensions ------------------------------------------------------------
    def user(self, user: User) -> None:
        self.line(f"; user {user.extension} {_comment(user.display_name)}{_where(user)}")
        if user.devices:
            hint = "&".join(device_hint(d) for d in user.devices)
            self.line(f"exten => {user.extension},hint,{hint}")
        box = _mailbox(user.voicemail)
        dial = user_dial(user, self.site)
        args = (user.extension, user.context, dial, box)
        self.flow(user.extension, "autocom-user", *args, before=self.main_states([user]))

    def group(self, group: Group) -> None:
        members = [
            u for u in (self.site.user(m) for m in group.members) if u and self.site.ring_items(u)
        ]
        self.line(
            f"; group {group.extension} {_comment(group.name)} ({group.strategy},"
            f" {len(members)} members){_where(group)}"
        )
        if group.strategy == "ringall":
            dials = ["&".join(user_dial(u, self.site) for u in members)] if members else []
        else:
            dials = [user_dial(u, self.site) for u in members]
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
            before=self.main_states(members),
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
    def flow(self, exten: str, flow: str, *args: str, before: tuple[str, ...] = ()) -> None:
        """The two lines of every rendered extension: Gosub a base flow of
        autocom-pbx.conf, then act on the AUTOCOM_ACTION it returned (after the
        applications ``before``, if any)."""
        steps = [*before, f"Gosub({flow},s,1({','.join(args)}))"]
        self.line(f"exten => {exten},1,{steps[0]}")
        for step in steps[1:]:
            self.line(f" same => n,{step}")
        self.line(" same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)")

    def main_states(self, users: list[User]) -> tuple[str, ...]:
        """Before ringing tandems whose secondaries stay quiet while the main set is
        in a call: the main sets' states, taken before any of them rings (once
        ringing, a main set dialed through a Local channel shows INUSE)."""
        out = []
        for user in users:
            tandem = self.site.tandem(user.extension)
            if tandem is not None and tandem.when_main_busy == "skip" and user.devices:
                state = f"${{EXTENSION_STATE({user.extension}@{user.context})}}"
                out.append(f"Set(__AUTOCOM_TANDEM_MAIN_{user.extension}={state})")
        return tuple(out)

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
