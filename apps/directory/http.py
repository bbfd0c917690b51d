"""HTTP routes the IP phones call as a remote phonebook.

``GET /directory/<vendor>?term=...&offset=...&limit=...`` answers one page in the
vendor's XML; ``keypad=<digits>`` searches by keypad letters instead;
``GET /directory/<vendor>/input`` is the search screen for the phones that ask
for one (Cisco, Aastra, Snom, Fanvil, Polycom).  Gigaset phones send
``first``/``count`` (1-based) and ``ln``/``fn``/``set_first``/``hm``.  Access:
the source address must be in ``phones.allow`` (when not empty) and, when
``phones.auth`` is set, HTTP Basic credentials must match.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from aiohttp import web

from apps.directory.phones import PAGE_LIMITS, View, render_input, render_results
from apps.directory.rules import DirectoryRules
from autocom.directory import Page

if TYPE_CHECKING:
    from apps.directory import DirectoryFeature
    from autocom.context import AppContext

log = logging.getLogger("autocom.directory.http")
MAX_OFFSET = 10_000
# C0 and C1 controls (NUL, CR, LF, tab...) and lone surrogates: no phone types them
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@lru_cache(maxsize=64)
def _networks(
    allow: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in allow)


def check_access(request: web.Request, rules: DirectoryRules) -> None:
    """Return when the phone may read the directory, else raise the refusal (403, 401)."""
    phones = rules.model.phones
    if phones.allow:
        try:
            address = ipaddress.ip_address(request.remote or "")
        except ValueError:
            raise web.HTTPForbidden(text="forbidden\n") from None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not any(address in net for net in _networks(phones.allow)):
            log.info("directory: refused %s (not in phones.allow)", address)
            raise web.HTTPForbidden(text="forbidden\n")
    auth = phones.auth
    if auth is not None and not _basic_ok(
        request.headers.get("Authorization", ""), auth.username, rules.phone_password
    ):
        raise web.HTTPUnauthorized(
            text="authentication required\n",
            headers={"WWW-Authenticate": 'Basic realm="autocom directory", charset="UTF-8"'},
        )


def _basic_ok(header: str, username: str, password: str) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, given = decoded.partition(":")
    ok_user = hmac.compare_digest(user.encode(), username.encode())
    ok_password = hmac.compare_digest(given.encode(), password.encode())
    return bool(sep) and ok_user and ok_password


def _int(value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 6:
        raise web.HTTPBadRequest(text="offset/limit/first/count: write a number\n")
    return max(low, min(int(value), high))


def check_query(raw_query: str) -> None:
    """Raise 400 for a query string that is not UTF-8 (an encoded lone surrogate
    such as %ED%A0%80 is not) or holds a control character (%00, CR, LF...)."""
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(text="the query string is not UTF-8\n") from None
    for key, value in pairs:
        bad = _REFUSED.search(key) or _REFUSED.search(value)
        if bad is not None:
            raise web.HTTPBadRequest(text=f"{key}: control character U+{ord(bad[0]):04X} refused\n")


def _params(vendor: str, request: web.Request, rules: DirectoryRules) -> tuple[str, str, int, int]:
    """(term, keypad digits, offset, limit) from the vendor's query string."""
    check_query(request.rel_url.raw_query_string)
    q = request.query
    phones = rules.model.phones
    default_limit = min(phones.page_size, PAGE_LIMITS.get(vendor, phones.page_size))
    if vendor == "gigaset":
        term = " ".join(
            v.replace("*", "").strip()
            for v in (
                q.get("ln", ""),
                q.get("fn", ""),
                q.get("set_first", ""),
                q.get("term", ""),
                q.get("hm", ""),
            )
            if v.replace("*", "").strip()
        )
        first = _int(q.get("first"), 1, 1, MAX_OFFSET + 1)
        limit = _int(q.get("count"), default_limit, 1, 100)
        return term, "", first - 1, limit
    if vendor == "grandstream":  # the phone downloads the whole book
        return q.get("term", ""), q.get("keypad", ""), 0, phones.max_results
    term = q.get("term", "")
    if term in ("#SEARCH", "__X__"):  # a phone that did not substitute its placeholder
        term = ""
    offset = _int(q.get("offset"), 0, 0, MAX_OFFSET)
    limit = _int(q.get("limit"), default_limit, 1, PAGE_LIMITS.get(vendor, 100))
    return term, q.get("keypad", ""), offset, limit


def routes(feature: DirectoryFeature, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
    def rules_for(request: web.Request, vendor: str) -> DirectoryRules:
        """The rules, once the vendor is served and the phone allowed (else an HTTP error)."""
        rules: DirectoryRules = ctx.config.current.rules["directory"]
        phones = rules.model.phones
        if not phones.enabled or vendor not in phones.vendors:
            raise web.HTTPNotFound(text="no such directory\n")
        check_access(request, rules)
        return rules

    async def results(request: web.Request) -> web.StreamResponse:
        vendor = request.match_info["vendor"]
        rules = rules_for(request, vendor)
        term, keypad, offset, limit = _params(vendor, request, rules)
        service = await feature.service_for(ctx.config.current)
        try:
            if keypad:
                search = service.search_keypad(keypad, limit, offset)
            else:
                search = service.search(term, limit, offset)
            page: Page = await asyncio.wait_for(search, rules.model.phones.timeout)
        except TimeoutError:
            return web.Response(status=503, text="directory too slow, try again\n")
        extra = (("keypad", keypad),) if keypad else ()
        view = View(
            str(request.url.with_query(None)), term, rules.model.phones.title, rules.plan, extra
        )
        body, content_type = render_results(vendor, page, view)
        return web.Response(
            body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
        )

    async def input_screen(request: web.Request) -> web.StreamResponse:
        vendor = request.match_info["vendor"]
        rules = rules_for(request, vendor)
        base = str(request.url.with_query(None))
        base = base.removesuffix("/input")
        view = View(base, "", rules.model.phones.title, rules.plan)
        rendered = render_input(vendor, view)
        if rendered is None:
            raise web.HTTPNotFound(text=f"{vendor} phones have no input screen\n")
        body, content_type = rendered
        return web.Response(body=body, headers={"Content-Type": content_type})

    return (
        web.get("/directory/{vendor}", results),
        web.get("/directory/{vendor}/input", input_screen),
    )
