"""The tickets over HTTP: a JSON API and each user's history on the phones.

- ``GET /calls?user=2001&role=missed&since=2027-01-01&until=...&limit=100``:
  ``{"tickets": [<ticket>, ...]}`` newest first (docs/accounting.md);
- ``GET /calls/report?by=department&month=2027-01``: ``{"rows": [...]}``;
- ``GET /calls/phone/<vendor>/<ext>?kind=missed|received|dialed``: the history
  in the phone's phonebook XML, rendered by the directory feature (through
  ``autocom.directory.phonebook.PhonebookRenderer``).

Every route needs one of accounting.yaml's ``api_tokens``: ``Authorization:
Bearer <token>``, or HTTP Basic with the token as password (phones).  Without
tokens configured the API answers 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from apps.accounting.history import KINDS, history_page, when_param
from apps.accounting.service import Accounting, rules_of
from apps.accounting.state import REPORT_KEYS, Query
from autocom.directory.phonebook import PhonebookRenderer

if TYPE_CHECKING:
    from autocom.context import AppContext

MAX_LIMIT = 1000


def _token_of(header: str) -> str:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def check_token(request: web.Request, tokens: Sequence[str]) -> None:
    if not tokens:
        raise web.HTTPForbidden(text="no api_tokens in accounting.yaml\n")
    given = _token_of(request.headers.get("Authorization", "")).encode()
    if not given or not any(hmac.compare_digest(given, t.encode()) for t in tokens):
        raise web.HTTPUnauthorized(
            text="a token of accounting.yaml's api_tokens is needed\n",
            headers={"WWW-Authenticate": 'Basic realm="autocom calls", charset="UTF-8"'},
        )


def _json(body: object) -> web.Response:
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _query(request: web.Request, user: str = "", role: str = "") -> Query:
    q = request.query
    try:
        limit = int(q.get("limit", "100"))
        since, until = when_param(q.get("since", "")), when_param(q.get("until", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="limit: a number; since/until: ISO dates\n") from None
    role = role or q.get("role", "")
    if role not in ("", *KINDS):
        raise web.HTTPBadRequest(text="role: dialed, received or missed\n")
    return Query(user or q.get("user", ""), role, since, until, max(1, min(limit, MAX_LIMIT)))


def routes(feature: object, ctx: AppContext) -> list[web.RouteDef]:
    def service(request: web.Request) -> Accounting:
        rules = rules_of(ctx.config.current)
        running: Accounting | None = getattr(feature, "service", None)
        if rules is None or running is None:
            raise web.HTTPNotFound(text="call accounting is not configured\n")
        check_token(request, tuple(rules.api_tokens.values()))
        return running

    async def list_calls(request: web.Request) -> web.Response:
        acc = service(request)
        rows = await acc.store.tickets(_query(request))
        return _json({"tickets": [r.body for r in rows]})

    async def report(request: web.Request) -> web.Response:
        acc = service(request)
        by, month = request.query.get("by", "department"), request.query.get("month", "")
        if by not in REPORT_KEYS or len(month) != 7 or month[4] != "-":
            raise web.HTTPBadRequest(text="by: department, cost_center or user; month: 2027-01\n")
        rows = await acc.store.report(by, month)
        return _json({"rows": [r.__dict__ for r in rows]})

    async def phone(request: web.Request) -> web.Response:
        acc = service(request)
        vendor, ext = request.match_info["vendor"], request.match_info["ext"]
        kind = request.query.get("kind", "missed")
        if not ext.isdigit() or kind not in KINDS:
            raise web.HTTPBadRequest(text="/calls/phone/<vendor>/<extension>?kind=missed\n")
        renderer = next(
            (f for f in ctx.features.values() if isinstance(f, PhonebookRenderer)), None
        )
        config = ctx.config.current
        rows = await acc.store.tickets(Query(ext, kind, limit=31))
        page = history_page(rows, ext, kind, ZoneInfo(config.settings.timezone), 30)
        title = f"{KINDS[kind]} {ext}"
        base = str(request.url.with_query(None))
        rendered = (
            renderer.render_phonebook(config, vendor, page, title, base) if renderer else None
        )
        if rendered is None:
            raise web.HTTPNotFound(text=f"no phonebook rendering for {vendor!r}\n")
        body, content_type = rendered
        return web.Response(
            body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
        )

    return [
        web.get("/calls", list_calls),
        web.get("/calls/report", report),
        web.get("/calls/phone/{vendor}/{ext}", phone),
    ]
