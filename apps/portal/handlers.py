"""The portal's aiohttp application: login, roles, CSRF, and each role's pages.

Handlers gather facts (session, config, state) and apply; the pages are built by
apps.portal.pages, the forward decisions by the forwards feature through
autocom.services.  A page a role may not see answers 403; no session, the login.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from apps.portal import audit, pages
from apps.portal.accounts import read_accounts, verify_password
from apps.portal.decisions import DecisionIndex
from apps.portal.find import find_users
from apps.portal.i18n import Lang, pick, t
from apps.portal.ldap_login import LdapUnavailable, authenticate
from apps.portal.rules import PortalRules, Role
from apps.portal.security import LoginLimiter, Session, Sessions, csrf_ok
from apps.portal.stats_page import StatsAsk, stats_page
from autocom.ari.client import AriClient
from autocom.ari.errors import AriError
from autocom.clock import parse_instant
from autocom.cluster import read_beats
from autocom.context import AppContext
from autocom.rights import rights_for
from autocom.services import (
    BossFiltersService,
    BossFilterView,
    Change,
    DepartmentStats,
    ForwardsService,
    ForwardView,
    PinLocksService,
    SpeedDialsService,
    SpeedDialView,
    filters_service,
    forwards_service,
    history_service,
    pin_service,
    speed_dials_service,
    stats_period,
    stats_service,
)
from autocom.site.model import User
from autocom.store.base import StoreError

log = logging.getLogger("autocom.portal")

SID = "portal_session"
LOGIN_CSRF = "portal_login_csrf"
LANG = "portal_lang"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Portal:
    """Everything the handlers share: built once when the listener starts.  The
    listener, the session length and the login limit are portal.yaml's at start;
    people, accounts, LDAP and logs follow a reload."""

    ctx: AppContext
    started: PortalRules
    sessions: Sessions = field(init=False)
    limiter: LoginLimiter = field(init=False)
    log_index: DecisionIndex | None = None  # the decision log's tail, in memory
    log_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.started.session_minutes)
        self.limiter = LoginLimiter(self.started.login_limit)

    @property
    def rules(self) -> PortalRules:
        """portal.yaml as loaded now (as at start if a reload dropped it)."""
        rules = self.ctx.config.current.rules.get("portal")
        return rules if isinstance(rules, PortalRules) else self.started

    def forwards(self) -> ForwardsService | None:
        return forwards_service(self.ctx.features.values())

    def filters(self) -> BossFiltersService | None:
        return filters_service(self.ctx.features.values())

    def pins(self) -> PinLocksService | None:
        return pin_service(self.ctx.features.values())

    def speed_dials(self) -> SpeedDialsService | None:
        return speed_dials_service(self.ctx.features.values())

    def record(self, session: Session, what: str, **facts: object) -> None:
        path = self.rules.resolve(self.rules.audit_log) if self.rules.audit_log else None
        audit.record(path, self.ctx.clock.now(), session.login, what, **facts)


PORTAL = web.AppKey("portal", Portal)


def lang_of(request: web.Request) -> Lang:
    return pick(request.headers.get("Accept-Language", ""), request.cookies.get(LANG))


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _redirect(location: str) -> web.Response:
    """A 303 to ``location`` that may carry cookies."""
    return web.Response(status=303, headers={"Location": location})


def _cookie(portal: Portal, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=portal.rules.secure_cookies,
        samesite="Strict",
        path="/",
    )


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No caching, no framing, no script from anywhere (the pages have none); on
    aiohttp's own answers (a redirect, a 404) too."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(exc)
        raise
    _harden(response)
    return response


def _harden(response: web.StreamResponse) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )


def session_of(request: web.Request) -> Session | None:
    return request.app[PORTAL].sessions.get(request.cookies.get(SID))


def _who(request: web.Request) -> tuple[Portal, Session]:
    """The portal and the session of a request that ``requires`` let through."""
    session = session_of(request)
    assert session is not None  # guarded by requires()
    return request.app[PORTAL], session


def _may(session: Session, role: Role) -> bool:
    return session.has(role) and (role not in ("user", "secretary") or bool(session.extension))


def requires(role: Role | None) -> Callable[[Handler], Handler]:
    """(None: any role.) No session: to the login page; a session without ``role``: 403; a POST
    without the session's CSRF token: 403."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = session_of(request)
            if session is None:
                raise web.HTTPSeeOther("/login")
            lang = lang_of(request)
            if role is not None and not _may(session, role):
                return _html(pages.forbidden_page(lang, session, request.path), 403)
            if request.method == "POST":
                form = await request.post()
                if not csrf_ok(session, str(form.get("csrf", ""))):
                    return _html(pages.forbidden_page(lang, session, request.path), 403)
            return await handler(request)

        return guarded

    return wrap


async def home(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is None:
        raise web.HTTPSeeOther("/login")
    landing: tuple[tuple[Role, str], ...] = (
        ("user", "/me"),
        ("secretary", "/secretary"),
        ("department_admin", "/department"),
        ("helpdesk", "/helpdesk"),
        ("admin", "/admin"),
    )
    for role, path in landing:
        if _may(session, role):
            raise web.HTTPSeeOther(path)
    return _html(pages.forbidden_page(lang_of(request), session, "/"), 403)


async def login_form(request: web.Request) -> web.StreamResponse:
    portal = request.app[PORTAL]
    token = secrets.token_urlsafe(32)
    response = _html(pages.login_page(lang_of(request), token))
    _cookie(portal, response, LOGIN_CSRF, token)
    return response


def _address(request: web.Request) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if peer else "?"


async def _check_password(portal: Portal, login: str, password: str) -> bool:
    if not portal.rules.accounts:
        return False
    accounts = await asyncio.to_thread(read_accounts, portal.rules.resolve(portal.rules.accounts))
    stored = accounts.get(login)
    if stored is None:
        return False
    return await asyncio.to_thread(verify_password, password, stored)


async def _authenticate(
    portal: Portal, name: str, password: str
) -> tuple[str, tuple[Role, ...]] | None:
    """(extension, roles) when the password is right: a local account first, then an
    LDAP bind; portal.yaml's people give the roles when they name the login."""
    person = portal.rules.people.get(name)
    if await _check_password(portal, name, password):
        return (person.extension, person.roles) if person is not None else None
    settings = portal.rules.ldap
    if settings is None:
        return None
    site = portal.ctx.config.current.site
    extensions = frozenset(u.extension for u in site.users)
    try:
        found = await asyncio.to_thread(authenticate, settings, name, password, extensions)
    except LdapUnavailable as exc:
        log.warning("portal login of %r: LDAP unavailable: %s", name, exc)
        return None
    if found is None:
        return None
    if person is not None:
        return person.extension, person.roles
    return (found.extension, found.roles) if found.roles else None


async def login(request: web.Request) -> web.StreamResponse:
    portal = request.app[PORTAL]
    lang = lang_of(request)
    form = await request.post()
    sent, cookie = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not secrets.compare_digest(sent.encode(), cookie.encode()):
        return _html(pages.forbidden_page(lang, None, "/login"), 403)
    name, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    address = _address(request)
    if portal.limiter.blocked(address, name):
        return _html(pages.login_page(lang, cookie, t(lang, "too_many"), name), 429)
    found = await _authenticate(portal, name, password)
    if found is None:
        portal.limiter.failed(address, name)
        return _html(pages.login_page(lang, cookie, t(lang, "bad_login"), name), 401)
    portal.sessions.close(request.cookies.get(SID))  # a new id at each login
    sid = portal.sessions.open(name, *found)
    response = _redirect("/")
    _cookie(portal, response, SID, sid)
    response.del_cookie(LOGIN_CSRF, path="/")
    return response


@requires(None)
async def logout(request: web.Request) -> web.StreamResponse:
    request.app[PORTAL].sessions.close(request.cookies.get(SID))
    response = _redirect("/login")
    response.del_cookie(SID, path="/")
    return response


async def switch_lang(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    target = request.query.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    response = _redirect(target)
    _cookie(request.app[PORTAL], response, LANG, "en" if lang == "en" else "fr")
    return response


async def _me(request: web.Request, change: Change | None = None) -> web.Response:
    portal, session = _who(request)
    forwards, dials = portal.forwards(), portal.speed_dials()
    found: list[ForwardView] | None = None
    slots: list[SpeedDialView] | None = None
    try:
        if forwards is not None:
            found = await forwards.forwards_of(portal.ctx, session.extension)
        if dials is not None:
            slots = await dials.speed_dials_of(portal.ctx, session.extension)
    except StoreError as exc:
        change = change or Change(False, f"state store: {exc}")
    types = forwards.forward_types if forwards is not None else ()
    lang = lang_of(request)
    history = await _history(portal, lang, session.extension)
    return _html(pages.me_page(lang, session, found, types, change, slots, history))


HISTORY_LIMIT = 30


async def _history(portal: Portal, lang: Lang, user: str, heading: str = "") -> str:
    """The history section of ``user`` (the newest HISTORY_LIMIT calls)."""
    service = history_service(portal.ctx.features.values())
    calls = None if service is None else await service.calls_of(portal.ctx, user, HISTORY_LIMIT)
    zone = ZoneInfo(portal.ctx.config.current.settings.timezone)
    return pages.history_section(lang, calls, zone, heading)


@requires("user")
async def change_pin(request: web.Request) -> web.StreamResponse:
    portal, session = _who(request)
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    service = portal.pins()
    if new != str(form.get("again", "")):
        change = Change(False, t(lang_of(request), "pins_differ"))
    elif service is None:
        change = Change(False, "no call rights on this server: PINs are not used")
    else:
        now = portal.ctx.clock.now()
        change = await service.change_pin(portal.ctx, session.extension, current, new, now)
    portal.record(session, "pin change", user=session.extension, done=change.accepted)
    return await _me(request, change)


@requires("user")
async def store_speed_dial(request: web.Request) -> web.StreamResponse:
    return await _speed_dial_change(request, delete=False)


@requires("user")
async def delete_speed_dial(request: web.Request) -> web.StreamResponse:
    return await _speed_dial_change(request, delete=True)


async def _speed_dial_change(request: web.Request, delete: bool) -> web.StreamResponse:
    portal, session = _who(request)
    service = portal.speed_dials()
    if service is None:
        return await _me(request)
    form = await request.post()
    slot, number = str(form.get("slot", "")).strip(), str(form.get("number", "")).strip()
    now, user = portal.ctx.clock.now(), session.extension
    if delete:
        change = await service.delete_speed_dial(portal.ctx, user, slot, now)
    else:
        change = await service.store_speed_dial(portal.ctx, user, slot, number, now)
    what = "speed dial delete" if delete else "speed dial store"
    portal.record(session, what, user=user, slot=slot, number=number, done=change.accepted)
    return await _me(request, change)


@requires("user")
async def me(request: web.Request) -> web.StreamResponse:
    return await _me(request)


async def _forward_change(request: web.Request, cancel: bool) -> web.StreamResponse:
    portal, session = _who(request)
    service = portal.forwards()
    if service is None:
        return await _me(request)
    now = portal.ctx.clock.now()
    if cancel:
        change = await service.cancel_forwards(portal.ctx, session.extension, now)
        portal.record(session, "forwards cancel", user=session.extension, done=change.accepted)
    else:
        form = await request.post()
        ftype, number = str(form.get("type", "")), str(form.get("number", ""))
        change = await service.set_forward(portal.ctx, session.extension, ftype, number, now)
        portal.record(
            session,
            "forward set",
            user=session.extension,
            type=ftype,
            number=number,
            done=change.accepted,
            reason=change.reason,
        )
    return await _me(request, change)


@requires("user")
async def set_forward(request: web.Request) -> web.StreamResponse:
    return await _forward_change(request, cancel=False)


@requires("user")
async def cancel_forwards(request: web.Request) -> web.StreamResponse:
    return await _forward_change(request, cancel=True)


async def _bosses_of(portal: Portal, session: Session) -> list[BossFilterView]:
    """The filters this secretary may switch (none without boss_secretary); StoreError."""
    service = portal.filters()
    return [] if service is None else await service.filters_for(portal.ctx, session.extension)


async def _secretary(request: web.Request, change: Change | None = None) -> web.Response:
    portal, session = _who(request)
    try:
        found = await _bosses_of(portal, session)
    except StoreError as exc:
        found, change = [], change or Change(False, f"state store: {exc}")
    return _html(pages.secretary_page(lang_of(request), session, found, change))


@requires("secretary")
async def secretary(request: web.Request) -> web.StreamResponse:
    return await _secretary(request)


@requires("secretary")
async def boss_history(request: web.Request) -> web.StreamResponse:
    """A boss's call history, for a secretary who may switch that boss's filter."""
    portal, session = _who(request)
    boss = request.query.get("boss", "")
    try:
        bosses = await _bosses_of(portal, session)
    except StoreError as exc:
        return await _secretary(request, Change(False, f"state store: {exc}"))
    lang = lang_of(request)
    if boss not in {f.boss for f in bosses}:
        return _html(pages.forbidden_page(lang, session, request.path), 403)
    history = await _history(portal, lang, boss, f"{t(lang, 'history_of')} {boss}")
    return _html(pages.secretary_page(lang, session, bosses, None, history))


@requires("secretary")
async def switch_filter(request: web.Request) -> web.StreamResponse:
    portal, session = _who(request)
    service = portal.filters()
    if service is None:
        return await _secretary(request)
    form = await request.post()
    boss, on = str(form.get("boss", "")), form.get("on") == "1"
    change = await service.switch_filter(portal.ctx, session.extension, boss, on)
    portal.record(session, "filter switch", boss=boss, on=on, done=change.accepted)
    return await _secretary(request, change)


@requires("secretary")
async def change_vip(request: web.Request) -> web.StreamResponse:
    """Add or remove a VIP number of a boss this secretary serves (else 403)."""
    portal, session = _who(request)
    service = portal.filters()
    if service is None:
        return await _secretary(request)
    form = await request.post()
    boss, typed = str(form.get("boss", ""))[:20], str(form.get("number", ""))
    add = form.get("add") == "1"
    change = await service.change_vip(portal.ctx, session.extension, boss, typed, add)
    what = "vip add" if add else "vip remove"
    number = dict(change.facts).get("number", typed[:40])
    portal.record(session, what, boss=boss, number=number, done=change.accepted, why=change.code)
    if change.code in ("not_boss", "not_yours"):
        return _html(pages.forbidden_page(lang_of(request), session, request.path), 403)
    return await _secretary(request, change)


def explain_call(ctx: AppContext, caller: str, dialed: str, at: str) -> pages.Explained | str:
    """Why a call from ``caller`` to ``dialed`` at ``at`` was (or would be) let through
    or refused: the rights decision, or what is wrong with the question."""
    config = ctx.config.current
    try:
        when = parse_instant(at, config.settings.timezone) if at else ctx.clock.now()
    except ValueError as exc:
        return str(exc)
    try:
        check = rights_for(config, when, "call")
    except LookupError as exc:
        return str(exc)
    found = check(caller, dialed)
    return pages.Explained(found.verdict, found.category or "-", found.reason, tuple(found.trace))


async def _user_rows(portal: Portal, users: Iterable[User]) -> list[pages.UserRow]:
    """These users, each with its PIN lock now."""
    service = portal.pins()
    now = portal.ctx.clock.now()
    rows: list[pages.UserRow] = []
    for user in users:
        pin = None if service is None else await service.pin_lock(portal.ctx, user.extension, now)
        name = f"{user.first_name} {user.name}".strip()
        rows.append(pages.UserRow(user.extension, name, user.department, user.devices, pin))
    return rows


async def _helpdesk(
    request: web.Request, change: Change | None = None, found_again: str = ""
) -> web.Response:
    portal, session = _who(request)
    lang = lang_of(request)
    q = request.query
    asked = (q.get("caller", "").strip(), q.get("dialed", "").strip(), q.get("at", "").strip())
    found = explain_call(portal.ctx, *asked) if asked[0] and asked[1] else None
    query = q.get("q", "").strip() or found_again
    found_users = find_users(portal.ctx.config.current.site.users, query)
    rows = await _user_rows(portal, found_users) if query else None
    finder = pages.message(lang, change) + pages.find_section(lang, session, query, rows)
    return _html(pages.helpdesk_page(lang, session, asked, found, finder))


@requires("helpdesk")
async def helpdesk(request: web.Request) -> web.StreamResponse:
    return await _helpdesk(request)


@requires("helpdesk")
async def unlock_pin(request: web.Request) -> web.StreamResponse:
    owner = str((await request.post()).get("owner", "")).strip()
    change = await _unlock(request, owner, may=True)
    return await _helpdesk(request, change, found_again=owner)


async def _unlock(request: web.Request, owner: str, may: bool) -> Change:
    """Unlock ``owner``'s PIN if ``may``; recorded in the audit log either way."""
    portal, session = _who(request)
    service = portal.pins()
    if not may:
        change = Change(False, f"{owner} is not in a department you manage")
    elif service is None:
        change = Change(False, "no PIN lockout on this server")
    else:
        change = await service.unlock_pin(portal.ctx, owner, portal.ctx.clock.now())
    portal.record(session, "pin unlock", owner=owner, done=change.accepted)
    return change


async def calls_in_progress(ctx: AppContext) -> list[pages.CallRow] | str:
    """The channels Asterisk has now (ARI), or why they cannot be listed."""
    settings = ctx.config.current.settings.ari
    if settings is None:
        return "no ari: section in autocom.yaml"
    try:
        async with AriClient.from_settings(settings) as ari:
            channels = await ari.channels()
    except (AriError, aiohttp.ClientError, TimeoutError) as exc:
        return f"ARI unavailable: {exc}"
    return [
        pages.CallRow(
            c.name,
            c.state,
            c.caller.number,
            c.connected.number,
            f"{c.dialplan.context},{c.dialplan.exten}",
            c.creationtime,
        )
        for c in sorted(channels, key=lambda c: c.creationtime)
    ]


async def _decisions(portal: Portal, query: str) -> list[dict[str, object]] | None:
    if not query or not portal.rules.decision_log:
        return None
    path = portal.rules.resolve(portal.rules.decision_log)
    async with portal.log_lock:  # one refresh at a time; no search during one
        if portal.log_index is None or portal.log_index.path != path:
            portal.log_index = DecisionIndex(path)  # a reload named another file
        await asyncio.to_thread(portal.log_index.refresh)
        return portal.log_index.search(query)


def _department_users(portal: Portal, session: Session) -> list[User]:
    """The site's users of the departments this department admin manages (portal.yaml)."""
    person = portal.rules.people.get(session.login)
    managed = set(person.departments) if person is not None else set()
    return [u for u in portal.ctx.config.current.site.users if u.department in managed]


async def _department(request: web.Request, change: Change | None = None) -> web.Response:
    portal, session = _who(request)
    rows = await _user_rows(portal, _department_users(portal, session))
    return _html(pages.department_page(lang_of(request), session, rows, change))


@requires("department_admin")
async def department(request: web.Request) -> web.StreamResponse:
    return await _department(request)


@requires("department_admin")
async def department_unlock(request: web.Request) -> web.StreamResponse:
    """Unlock the PIN of a user of one of this admin's departments (only)."""
    portal, session = _who(request)
    owner = str((await request.post()).get("owner", "")).strip()
    mine = {u.extension for u in _department_users(portal, session)}
    return await _department(request, await _unlock(request, owner, may=owner in mine))


def _stats_departments(portal: Portal, session: Session) -> list[str] | None:
    """The departments whose statistics this login may read: every department of the
    site for an admin, those it manages for a department admin; None for others."""
    if session.has("admin"):
        return sorted({u.department for u in portal.ctx.config.current.site.users} - {""})
    if session.has("department_admin"):
        person = portal.rules.people.get(session.login)
        return list(person.departments) if person is not None else []
    return None


@requires(None)
async def stats(request: web.Request) -> web.StreamResponse:
    """A department's call statistics: a department admin's own departments only (any
    other answers 403), every department for an admin."""
    portal, session = _who(request)
    lang = lang_of(request)
    allowed = _stats_departments(portal, session)
    q = request.query
    asked = q.get("department", "") or (allowed[0] if allowed else "")
    if allowed is None or (asked not in allowed and not session.has("admin")):
        return _html(pages.forbidden_page(lang, session, request.path), 403)
    if asked not in allowed:  # an admin asking a department the site no longer has
        allowed = sorted([*allowed, asked])
    zone = ZoneInfo(portal.ctx.config.current.settings.timezone)
    when = (q.get("month", ""), q.get("day", ""), q.get("from", ""), q.get("to", ""))
    if not any(when):
        when = (portal.ctx.clock.now().astimezone(zone).strftime("%Y-%m"), "", "", "")
    ask = StatsAsk(asked, *when)
    service = stats_service(portal.ctx.features.values())
    found: DepartmentStats | str | None = None
    try:
        since, until = stats_period(zone, *when)
    except ValueError as exc:
        found = str(exc)
    else:
        try:
            if service is not None:
                found = await service.department_stats(portal.ctx, asked, since, until)
        except StoreError as exc:
            page = stats_page(lang, session, allowed, ask, str(exc))
            return _html(page, 503)
    page = stats_page(lang, session, allowed, ask, found)
    return _html(page, 400 if isinstance(found, str) else 200)


@requires("admin")
async def admin(request: web.Request) -> web.StreamResponse:
    portal, session = _who(request)
    lang = lang_of(request)
    holder = portal.ctx.config
    config = holder.current
    error = holder.last_error
    status = pages.ConfigStatus(
        tuple(str(f) for f in config.files),
        config.digest,
        holder.reloads,
        holder.failed_reloads,
        str(error) if error is not None else "",
    )
    try:
        nodes = await read_beats(portal.ctx.store)
    except StoreError:
        nodes = []
    query = request.query.get("q", "").strip()
    extra = pages.calls_section(lang, await calls_in_progress(portal.ctx))
    found = await _decisions(portal, query)
    extra += pages.decisions_section(lang, query, found, bool(portal.rules.decision_log))
    return _html(pages.admin_page(lang, session, status, nodes, time.time(), extra))


def build_portal_app(portal: Portal) -> web.Application:
    app = web.Application(middlewares=[headers], client_max_size=64 * 1024)
    app[PORTAL] = portal
    app.add_routes(
        [
            web.get("/", home),
            web.get("/login", login_form),
            web.post("/login", login),
            web.post("/logout", logout),
            web.get("/lang/{lang}", switch_lang),
            web.get("/me", me),
            web.post("/me/forwards", set_forward),
            web.post("/me/forwards/cancel", cancel_forwards),
            web.post("/me/speed-dials", store_speed_dial),
            web.post("/me/pin", change_pin),
            web.post("/me/speed-dials/delete", delete_speed_dial),
            web.get("/secretary", secretary),
            web.post("/secretary/filter", switch_filter),
            web.post("/secretary/vip", change_vip),
            web.get("/secretary/history", boss_history),
            web.get("/department", department),
            web.post("/department/unlock", department_unlock),
            web.get("/helpdesk", helpdesk),
            web.post("/helpdesk/unlock", unlock_pin),
            web.get("/admin", admin),
            web.get("/stats", stats),
        ]
    )
    return app
