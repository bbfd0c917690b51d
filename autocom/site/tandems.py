"""Checks of site.yaml's tandems (a main set and its secondary sets), run by check_site.

Each issue names the file:line of the entry at fault and, in its message, the
other side's:

- a main that is no user, a user who is the main of two tandems;
- more than MAX_SECONDARIES secondaries, none at all;
- a secondary device that is a device of a user (write ``user:`` so it keeps
  its number, or take it out of that user's devices), of the main itself, or
  that is a set of two tandems (or twice in one);
- a secondary user that is no user, the main itself, or the main of a tandem;
- an external number that the main's context cannot call out to, that is an
  extension of the site, or an emergency number;
- a ``mobile_caller_id`` that is no DID of an incoming context.
"""

from __future__ import annotations

from collections.abc import Iterable

from autocom.config.errors import ConfigIssue
from autocom.site.check import _issue, _where
from autocom.site.model import MAX_SECONDARIES, Secondary, Site, Tandem, User


def check_tandems(site: Site) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    mains: dict[str, Tandem] = {}
    sets: dict[str, tuple[Tandem, Secondary]] = {}
    for tandem in site.tandems:
        label = f"tandem {tandem.main}"
        main = site.user(tandem.main)
        if tandem.main in mains:
            issues.append(
                _issue(
                    tandem,
                    f"{label}: {tandem.main} is already the main set of the tandem at "
                    f"{_where(mains[tandem.main])}",
                    "write one tandem per main user, with all its secondaries",
                )
            )
        mains.setdefault(tandem.main, tandem)
        if main is None:
            issues.append(
                _issue(tandem, f"{label}: {tandem.main} is no user of site.yaml", _MAIN_HINT)
            )
            continue
        issues += _count(tandem, label)
        issues += _shown(site, tandem, label)
        for sec in tandem.secondaries:
            issues += _secondary(site, tandem, main, sec, sets)
    return issues


_MAIN_HINT = "main: is the extension of a user listed under users:"


def _count(tandem: Tandem, label: str) -> Iterable[ConfigIssue]:
    count = len(tandem.secondaries)
    if count > MAX_SECONDARIES:
        yield _issue(
            tandem,
            f"{label}: {count} secondary sets, at most {MAX_SECONDARIES}",
            f"keep {MAX_SECONDARIES} secondaries, or give the others a tandem of their own",
        )
    if count == 0:
        yield _issue(tandem, f"{label}: no secondary set", "list at least one under secondaries:")


def _shown(site: Site, tandem: Tandem, label: str) -> Iterable[ConfigIssue]:
    shown = tandem.mobile_caller_id
    if shown == "caller":
        return
    dids = {d.number for c in site.contexts if c.kind == "incoming" for d in c.dids}
    if shown not in dids:
        known = ", ".join(sorted(dids)) or "none declared"
        yield _issue(
            tandem,
            f"{label}: mobile_caller_id {shown} is no DID of the site ({known})",
            "write caller (the caller's number), or a DID of an incoming context",
        )


def _secondary(
    site: Site,
    tandem: Tandem,
    main: User,
    sec: Secondary,
    sets: dict[str, tuple[Tandem, Secondary]],
) -> Iterable[ConfigIssue]:
    label = f"tandem {tandem.main}: secondary {sec}"
    key = f"{sec.kind}:{sec.target}"
    if sec.number is None and key in sets:
        other_tandem, other = sets[key]
        yield _issue(
            sec,
            f"{label} is already a set of tandem {other_tandem.main} ({_where(other)})",
            "a set belongs to one tandem: take it out of one of them",
        )
    sets.setdefault(key, (tandem, sec))
    if sec.device is not None:
        yield from _device(site, main, sec, label)
    elif sec.user is not None:
        yield from _user(site, main, sec, label)
    else:
        yield from _number(site, main, sec, label)


def _device(site: Site, main: User, sec: Secondary, label: str) -> Iterable[ConfigIssue]:
    device = sec.device
    owner = next((u for u in site.users if device in u.devices), None)
    if owner is main:
        yield _issue(
            sec,
            f"{label} is already a device of the main user {main.extension} ({_where(main)})",
            "a device of the main user rings anyway: remove it from secondaries",
        )
    elif owner is not None:
        yield _issue(
            sec,
            f"{label} is a device of user {owner.extension} ({_where(owner)})",
            f'write {{user: "{owner.extension}"}} (the set keeps its own number), or take '
            f"{device} out of that user's devices",
        )


def _user(site: Site, main: User, sec: Secondary, label: str) -> Iterable[ConfigIssue]:
    ext = sec.user or ""
    user = site.user(ext)
    if user is None:
        yield _issue(
            sec, f"{label}: {ext} is no user of site.yaml", "write the extension of a user"
        )
    elif user is main:
        yield _issue(sec, f"{label} is the main user itself", "write another user")
    elif site.tandem(ext) is not None:
        yield _issue(
            sec,
            f"{label}: {ext} is the main set of a tandem of its own",
            f"list {ext}'s devices as secondaries, or merge the two tandems",
        )


def _number(site: Site, main: User, sec: Secondary, label: str) -> Iterable[ConfigIssue]:
    number = sec.number or ""
    internal = site.user_or_group(number)
    if internal is not None:
        yield _issue(
            sec,
            f"{label} is an extension of site.yaml ({_where(internal)})",
            f'write {{user: "{number}"}} for a user\'s sets',
        )
        return
    reached = site.reachable_outgoing(main.context)
    emergency = {d: n for out in reached for n, d in out.emergency_dialed()}
    if number in emergency:
        yield _issue(
            sec,
            f"{label} is the emergency number {emergency[number]}: refused",
            "write the user's mobile number, line prefix included",
        )
    elif site.outgoing_route(main.context, number) is None:
        yield _issue(
            sec,
            f"{label}: context {main.context} of the main user cannot call it out",
            "write the number as a phone of that context dials it, line prefix included",
        )
