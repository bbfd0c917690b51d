"""The portal's pages as HTML strings: pure functions of what to show, no I/O.

Every value is escaped; forms are plain HTML (no script), each field has its
label, and the tab order is the reading order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from apps.portal.i18n import Lang, said, t
from apps.portal.security import Session
from autocom.cluster import NodeBeat
from autocom.services import (
    BossFilterView,
    CallView,
    Change,
    ForwardView,
    PinLockView,
    SpeedDialView,
)

STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "a:focus,button:focus,input:focus,select:focus{outline:3px solid #1a5fb4}"
    "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em}"
    ".ok{color:#1d6b1d}.no{color:#a51d2d}nav a,nav form{margin-right:1em;display:inline}"
    ".skip{position:absolute;left:-9999px}.skip:focus{left:1em}"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _csrf(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{_e(session.csrf)}">'


def _nav(lang: Lang, session: Session | None, path: str) -> str:
    links: list[str] = []
    if session is not None:
        if session.has("user") and session.extension:
            links.append(f'<a href="/me">{t(lang, "my_forwards")}</a>')
        if session.has("secretary") and session.extension:
            links.append(f'<a href="/secretary">{t(lang, "secretary")}</a>')
        if session.has("department_admin"):
            links.append(f'<a href="/department">{t(lang, "my_department")}</a>')
        if session.has("department_admin") or session.has("admin"):
            links.append(f'<a href="/stats">{t(lang, "stats")}</a>')
        if session.has("helpdesk"):
            links.append(f'<a href="/helpdesk">{t(lang, "helpdesk")}</a>')
        if session.has("admin"):
            links.append(f'<a href="/admin">{t(lang, "admin")}</a>')
    other = "en" if lang == "fr" else "fr"
    links.append(
        f'<a href="/lang/{other}?next={_e(path)}" hreflang="{other}" lang="{other}">'
        f"{t(lang, 'switch')}</a>"
    )
    if session is not None:
        links.append(
            f'<form method="post" action="/logout">{_csrf(session)}'
            f'<button type="submit">{t(lang, "logout")} ({_e(session.login)})</button></form>'
        )
    return "<nav>" + "".join(links) + "</nav>"


def layout(lang: Lang, heading: str, body: str, session: Session | None, path: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(heading)} · {t(lang, 'title')}</title><style>{STYLE}</style></head>"
        f'<body><a class="skip" href="#main">{t(lang, "skip")}</a>'
        f"<header>{_nav(lang, session, path)}</header>"
        f'<main id="main"><h1>{_e(heading)}</h1>{body}</main></body></html>'
    )


def message(lang: Lang, change: Change | None) -> str:
    if change is None:
        return ""
    css, key = ("ok", "done") if change.accepted else ("no", "refused")
    words = said(lang, change.code, dict(change.facts)) or change.reason
    return f'<p role="status" class="{css}" id="outcome">{t(lang, key)}{_e(words)}</p>'


def login_page(lang: Lang, token: str, error: str = "", login: str = "") -> str:
    err = f'<p role="alert" class="no" id="error">{_e(error)}</p>' if error else ""
    body = (
        f'{err}<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{_e(token)}">'
        f'<p><label for="login">{t(lang, "username")}</label><br>'
        f'<input id="login" name="login" autocomplete="username" required autofocus '
        f'value="{_e(login)}"></p>'
        f'<p><label for="password">{t(lang, "password")}</label><br>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required></p>'
        f'<p><button type="submit" id="submit">{t(lang, "login")}</button></p></form>'
    )
    return layout(lang, t(lang, "login"), body, None, "/login")


def _forward_rows(lang: Lang, forwards: Sequence[ForwardView]) -> str:
    if not forwards:
        return f'<p id="forwards">{t(lang, "no_forward")}</p>'
    rows = "".join(
        f"<tr><td>{t(lang, f.type)}</td><td>{_e(f.destination)}</td>"
        f"<td>{t(lang, 'on' if f.enabled else 'off')}</td></tr>"
        for f in forwards
    )
    return (
        f'<table id="forwards"><tr><th scope="col">{t(lang, "type")}</th>'
        f'<th scope="col">{t(lang, "destination")}</th>'
        f'<th scope="col">{t(lang, "state")}</th></tr>{rows}</table>'
    )


def forwards_section(
    lang: Lang, session: Session, forwards: Sequence[ForwardView] | None, types: Sequence[str]
) -> str:
    if forwards is None:
        return f"<p>{t(lang, 'no_forwards_feature')}</p>"
    options = "".join(f'<option value="{_e(ft)}">{t(lang, ft)}</option>' for ft in types)
    return (
        _forward_rows(lang, forwards)
        + f'<h2>{t(lang, "set_forward")}</h2><form method="post" action="/me/forwards">'
        + _csrf(session)
        + f'<p><label for="ftype">{t(lang, "type")}</label><br>'
        f'<select id="ftype" name="type">{options}</select></p>'
        f'<p><label for="number">{t(lang, "number")}</label><br>'
        '<input id="number" name="number" inputmode="tel" required></p>'
        f'<p><button type="submit" id="set">{t(lang, "set_forward")}</button></p></form>'
        '<form method="post" action="/me/forwards/cancel">'
        + _csrf(session)
        + f'<p><button type="submit" id="cancel">{t(lang, "cancel_all")}</button></p></form>'
    )


def speed_dials_section(lang: Lang, session: Session, dials: Sequence[SpeedDialView] | None) -> str:
    head = f"<h2>{t(lang, 'speed_dials')}</h2>"
    if dials is None:
        return head + f"<p>{t(lang, 'no_speed_dial_feature')}</p>"
    rows = "".join(
        f"<tr><td>{_e(d.slot)}</td><td>{_e(d.number)}</td><td>{_e(d.label)}</td><td>"
        f'<form method="post" action="/me/speed-dials/delete">{_csrf(session)}'
        f'<input type="hidden" name="slot" value="{_e(d.slot)}">'
        f'<button type="submit" id="delete-{_e(d.slot)}">{t(lang, "delete")} {_e(d.slot)}'
        "</button></form></td></tr>"
        for d in dials
    )
    table = (
        f'<table id="speed-dials"><tr><th scope="col">{t(lang, "slot")}</th>'
        f'<th scope="col">{t(lang, "number")}</th><th scope="col">{t(lang, "label")}</th>'
        f'<th scope="col"></th></tr>{rows}</table>'
        if dials
        else f'<p id="speed-dials">{t(lang, "no_speed_dial")}</p>'
    )
    form = (
        f'<form method="post" action="/me/speed-dials">{_csrf(session)}'
        f'<p><label for="slot">{t(lang, "slot")}</label><br>'
        '<input id="slot" name="slot" inputmode="numeric" size="2" required></p>'
        f'<p><label for="sd-number">{t(lang, "number")}</label><br>'
        '<input id="sd-number" name="number" inputmode="tel" required></p>'
        f'<p><button type="submit" id="store">{t(lang, "store")}</button></p></form>'
    )
    return head + table + form


def history_section(
    lang: Lang, calls: Sequence[CallView] | None, zone: ZoneInfo, heading: str = ""
) -> str:
    head = f"<h2>{_e(heading or t(lang, 'history'))}</h2>"
    if calls is None:
        return head + f'<p id="history">{t(lang, "no_history_feature")}</p>'
    if not calls:
        return head + f'<p id="history">{t(lang, "no_call")}</p>'
    cols = "".join(
        f'<th scope="col">{t(lang, k)}</th>' for k in ("when", "kind", "other", "state", "talk")
    )
    rows = "".join(
        f"<tr><td>{c.start.astimezone(zone).strftime('%d/%m/%Y %H:%M')}</td>"
        f"<td>{t(lang, c.kind + '_call')}</td>"
        f"<td>{_e((c.other_name + ' ' + c.other).strip())}</td><td>{_e(c.disposition)}</td>"
        f"<td>{c.talk_seconds:.0f}</td></tr>"
        for c in calls
    )
    return head + f'<table id="history"><tr>{cols}</tr>{rows}</table>'


def pin_section(lang: Lang, session: Session) -> str:
    fields = "".join(
        f'<p><label for="{name}">{t(lang, key)}</label><br>'
        f'<input id="{name}" name="{name}" type="password" inputmode="numeric" '
        f'autocomplete="off"{req}></p>'
        for name, key, req in (
            ("current", "current_pin", ""),
            ("new", "new_pin", " required"),
            ("again", "again_pin", " required"),
        )
    )
    return (
        f'<h2>{t(lang, "change_pin")}</h2><form method="post" action="/me/pin">'
        f"{_csrf(session)}{fields}"
        f'<p><button type="submit" id="pin">{t(lang, "change_pin")}</button></p></form>'
    )


def me_page(
    lang: Lang,
    session: Session,
    forwards: Sequence[ForwardView] | None,
    types: Sequence[str],
    change: Change | None = None,
    dials: Sequence[SpeedDialView] | None = None,
    history: str = "",
) -> str:
    heading = f"{t(lang, 'my_forwards')} ({session.extension})"
    body = (
        message(lang, change)
        + forwards_section(lang, session, forwards, types)
        + speed_dials_section(lang, session, dials)
        + pin_section(lang, session)
        + history
    )
    return layout(lang, heading, body, session, "/me")


def _vip_cell(lang: Lang, session: Session, f: BossFilterView) -> str:
    """The rule file's VIP entries (read only), the numbers secretaries added, each with
    its remove button, and the form that adds one."""
    boss, hidden = _e(f.boss), f'<input type="hidden" name="boss" value="{_e(f.boss)}">'
    action = f'<form method="post" action="/secretary/vip">{_csrf(session)}{hidden}'
    listed = ", ".join(_e(v) for v in f.vip) or t(lang, "none")
    added = "".join(
        f'<li><span id="vip-{boss}-{_e(n)}">{_e(n)}</span> {action}'
        f'<input type="hidden" name="number" value="{_e(n)}"><input type="hidden" name="add"'
        f' value="0"><button type="submit">{t(lang, "vip_remove")} {_e(n)}</button></form></li>'
        for n in f.added_vip
    )
    return (
        f'<p id="vip-file-{boss}">{t(lang, "vip_file")} {listed}</p>'
        f'<p>{t(lang, "vip_added")}</p><ul id="vip-added-{boss}">'
        f"{added or '<li>' + t(lang, 'none') + '</li>'}</ul>{action}"
        f'<label for="vip-new-{boss}">{t(lang, "vip_number")}</label> '
        f'<input id="vip-new-{boss}" name="number" inputmode="tel" autocomplete="off"'
        f' maxlength="40" required><input type="hidden" name="add" value="1"> '
        f'<button type="submit" id="vip-add-{boss}">{t(lang, "vip_add")} {_e(f.name)}</button>'
        "</form>"
    )


def _filter_row(lang: Lang, session: Session, f: BossFilterView) -> str:
    key = "turn_off" if f.on else "turn_on"
    vip = _vip_cell(lang, session, f)
    history = f'<a href="/secretary/history?boss={_e(f.boss)}">{t(lang, "history")}</a>'
    return (
        f"<tr><td>{_e(f.name)} ({_e(f.boss)}) {history}</td>"
        f'<td id="state-{_e(f.boss)}">{t(lang, "on" if f.on else "off")}</td><td>{vip}</td>'
        f'<td><form method="post" action="/secretary/filter">{_csrf(session)}'
        f'<input type="hidden" name="boss" value="{_e(f.boss)}">'
        f'<input type="hidden" name="on" value="{"0" if f.on else "1"}">'
        f'<button type="submit" id="toggle-{_e(f.boss)}">{t(lang, key)} {_e(f.name)}</button>'
        "</form></td></tr>"
    )


def secretary_page(
    lang: Lang,
    session: Session,
    filters: Sequence[BossFilterView],
    change: Change | None = None,
    history: str = "",
) -> str:
    if not filters:
        body = message(lang, change) + f"<p>{t(lang, 'no_boss')}</p>"
    else:
        rows = "".join(_filter_row(lang, session, f) for f in filters)
        body = (
            message(lang, change)
            + f'<table id="filters"><tr><th scope="col">{t(lang, "boss")}</th>'
            f'<th scope="col">{t(lang, "filter")}</th><th scope="col">{t(lang, "vip")}</th>'
            f'<th scope="col"></th></tr>{rows}</table>'
        )
    return layout(lang, t(lang, "secretary"), body + history, session, "/secretary")


@dataclass(frozen=True)
class Explained:
    verdict: str
    category: str
    reason: str
    trace: tuple[str, ...]


@dataclass(frozen=True)
class UserRow:
    """A user the helpdesk found, with the PIN lock now."""

    extension: str
    name: str
    department: str
    devices: tuple[str, ...]
    pin: PinLockView | None  # None: no PIN lockout on this server


def _user_row(lang: Lang, session: Session, row: UserRow, unlock: str = "/helpdesk/unlock") -> str:
    if row.pin is None:
        pin = "-"
    else:
        pin = f"{t(lang, 'locked' if row.pin.locked else 'unlocked')}: {_e(row.pin.reason)}"
        if row.pin.locked:
            pin += (
                f'<form method="post" action="{unlock}">{_csrf(session)}'
                f'<input type="hidden" name="owner" value="{_e(row.extension)}">'
                f'<button type="submit" id="unlock-{_e(row.extension)}">'
                f"{t(lang, 'unlock')} {_e(row.extension)}</button></form>"
            )
    return (
        f"<tr><td>{_e(row.extension)}</td><td>{_e(row.name)}</td><td>{_e(row.department)}</td>"
        f'<td>{_e(", ".join(row.devices))}</td><td id="pin-{_e(row.extension)}">{pin}</td></tr>'
    )


def find_section(lang: Lang, session: Session, query: str, rows: Sequence[UserRow] | None) -> str:
    form = (
        f'<h2>{t(lang, "find_user")}</h2><form method="get" action="/helpdesk">'
        f'<p><label for="q">{t(lang, "find_what")}</label><br>'
        f'<input id="q" name="q" value="{_e(query)}"></p>'
        f'<p><button type="submit" id="find">{t(lang, "find")}</button></p></form>'
    )
    if rows is None:
        return form
    return form + users_table(lang, session, rows)


def users_table(
    lang: Lang, session: Session, rows: Sequence[UserRow], unlock: str = "/helpdesk/unlock"
) -> str:
    if not rows:
        return f'<p id="users">{t(lang, "nobody")}</p>'
    head = "".join(
        f'<th scope="col">{t(lang, k)}</th>'
        for k in ("extension", "name", "department", "devices", "pin")
    )
    body = "".join(_user_row(lang, session, r, unlock) for r in rows)
    return f'<table id="users"><tr>{head}</tr>{body}</table>'


def department_page(
    lang: Lang, session: Session, rows: Sequence[UserRow], change: Change | None
) -> str:
    body = message(lang, change) + users_table(lang, session, rows, "/department/unlock")
    return layout(lang, t(lang, "my_department"), body, session, "/department")


def helpdesk_page(
    lang: Lang,
    session: Session,
    asked: tuple[str, str, str],
    found: Explained | str | None,
    finder: str = "",
) -> str:
    caller, dialed, at = asked
    form = finder + (
        f'<h2>{t(lang, "explain")}</h2><form method="get" action="/helpdesk">'
        f'<p><label for="caller">{t(lang, "caller")}</label><br>'
        f'<input id="caller" name="caller" value="{_e(caller)}" required></p>'
        f'<p><label for="dialed">{t(lang, "dialed")}</label><br>'
        f'<input id="dialed" name="dialed" value="{_e(dialed)}" required></p>'
        f'<p><label for="at">{t(lang, "at")}</label><br>'
        f'<input id="at" name="at" value="{_e(at)}"></p>'
        f'<p><button type="submit" id="explain">{t(lang, "explain")}</button></p></form>'
    )
    if isinstance(found, str):
        result = f'<p role="alert" class="no" id="verdict">{_e(found)}</p>'
    elif found is not None:
        trace = "".join(f"<li><code>{_e(line)}</code></li>" for line in found.trace)
        result = (
            f'<dl><dt>{t(lang, "verdict")}</dt><dd id="verdict">{_e(found.verdict)} '
            f"({_e(found.category)})</dd><dt>{t(lang, 'reason')}</dt>"
            f'<dd id="reason">{_e(found.reason)}</dd></dl><ul>{trace}</ul>'
        )
    else:
        result = ""
    return layout(lang, t(lang, "helpdesk"), form + result, session, "/helpdesk")


@dataclass(frozen=True)
class ConfigStatus:
    files: tuple[str, ...]
    digest: str
    reloads: int
    failed: int
    last_error: str


@dataclass(frozen=True)
class CallRow:
    channel: str
    state: str
    caller: str
    connected: str
    where: str  # context,exten
    since: str


def calls_section(lang: Lang, calls: Sequence[CallRow] | str) -> str:
    """The calls in progress (ARI), or why they cannot be shown."""
    head = f"<h2>{t(lang, 'calls')}</h2>"
    if isinstance(calls, str):
        return head + f'<p id="calls">{_e(calls)}</p>'
    if not calls:
        return head + f'<p id="calls">{t(lang, "no_call")}</p>'
    cols = "".join(
        f'<th scope="col">{t(lang, k)}</th>'
        for k in ("channel", "state", "from", "destination", "where", "since")
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_e(v)}</td>" for v in (c.channel, c.state, c.caller, c.connected))
        + f"<td>{_e(c.where)}</td><td>{_e(c.since)}</td></tr>"
        for c in calls
    )
    return head + f'<table id="calls"><tr>{cols}</tr>{rows}</table>'


def decisions_section(
    lang: Lang, query: str, found: Sequence[dict[str, object]] | None, configured: bool
) -> str:
    head = f"<h2>{t(lang, 'decisions')}</h2>"
    if not configured:
        return head + f"<p>{t(lang, 'no_log')}</p>"
    form = (
        '<form method="get" action="/admin">'
        f'<p><label for="log-q">{t(lang, "search")}</label><br>'
        f'<input id="log-q" name="q" value="{_e(query)}"></p>'
        f'<p><button type="submit" id="log-search">{t(lang, "find")}</button></p></form>'
    )
    if found is None:
        return head + form
    if not found:
        return head + form + f'<p id="log">{t(lang, "no_match")}</p>'
    items = "".join(
        f"<li><code>{_e(json.dumps(d, ensure_ascii=False, sort_keys=True))}</code></li>"
        for d in found
    )
    return head + form + f'<ol id="log">{items}</ol>'


def admin_page(
    lang: Lang,
    session: Session,
    status: ConfigStatus,
    nodes: Sequence[NodeBeat],
    now: float,
    extra: str = "",
) -> str:
    files = "".join(f"<li><code>{_e(f)}</code></li>" for f in status.files)
    error = status.last_error or t(lang, "none")
    rows = "".join(
        f"<tr><td>{_e(n.node)}</td><td>{_e(n.version)}</td><td><code>{_e(n.config_hash[:12])}"
        f"</code>{'' if n.config_hash == status.digest else ' ≠'}</td>"
        f"<td>{n.active_sessions}</td><td>{max(0, now - n.seen):.0f} s</td></tr>"
        for n in nodes
    )
    body = (
        f'<h2>{t(lang, "config")}</h2><ul id="files">{files}</ul>'
        f"<p>{t(lang, 'digest')} <code>{_e(status.digest[:12])}</code>; "
        f"{t(lang, 'reloads')} {status.reloads}, {t(lang, 'failed_reloads')} {status.failed}</p>"
        f'<p>{t(lang, "last_error")}: <span id="last-error">{_e(error)}</span></p>'
        f'<h2>{t(lang, "nodes")}</h2><table id="nodes"><tr><th scope="col">{t(lang, "node")}'
        f'</th><th scope="col">{t(lang, "version")}</th><th scope="col">{t(lang, "digest")}'
        f'</th><th scope="col">{t(lang, "agi_sessions")}</th><th scope="col">{t(lang, "seen")}</th>'
        f"</tr>{rows}</table>"
    )
    return layout(lang, t(lang, "admin"), body + extra, session, "/admin")


def forbidden_page(lang: Lang, session: Session | None, path: str) -> str:
    body = f'<p role="alert" id="forbidden">{t(lang, "forbidden")}</p>'
    return layout(lang, t(lang, "forbidden"), body, session, path)
