"""Wazo/XiVO's configuration API (wazo-confd 1.1) as a site source.

Read with four paged lists (``GET /users``, ``/contexts``, ``/groups``,
``/incalls``, each ``limit``/``offset`` until ``total``), built from confd's
published Swagger description (wazo_confd/plugins/*/api.yml; the parts used
are kept in tests/fixtures/confd/ and every stand-in answer in the tests is
validated against them):

- a user (``User``) carries its ``lines``, each with ``endpoint_sip.name`` (the
  PJSIP endpoint: a device) and ``extensions`` (``exten``, ``context``): the
  first extension of the first line that has one is the user's;
- a context (``Context``): ``type`` internal / incall / outcall (services and
  others are left out), ``user_ranges`` / ``group_ranges`` /
  ``conference_room_ranges`` (``start``, ``end``), included ``contexts``;
- a group (``Group``): its first extension, ``members.users`` (by UUID, ordered
  by ``priority``), ``ring_strategy`` (linear, anything else rings all),
  ``user_timeout`` / ``timeout``;
- an incoming call (``Incall``): its extensions (the DIDs, in incall
  contexts) and a ``destination`` of type user or group (others left out).

Failures that keep the last good site: no answer, a refused token (401), an
answer that is not the list confd describes, a list whose ``total`` changes
between pages or whose page comes back short before the end (partial page).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from autocom.site.sync.records import (
    ContextRecord,
    DidRecord,
    GroupRecord,
    SourceData,
    SourceFailed,
    UserRecord,
    read_secret,
)
from autocom.site.sync.settings import ConfdSource

KINDS = {"internal": "internal", "incall": "incoming", "outcall": "outgoing"}
MAX_ITEMS = 200_000
Item = Mapping[str, Any]


def _text(item: Item, key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _first_extension(lines: Sequence[Item]) -> tuple[str, str]:
    for line in lines:
        for ext in line.get("extensions") or ():
            if _text(ext, "exten"):
                return _text(ext, "exten"), _text(ext, "context")
    return "", ""


def user_record(user: Item, source: str) -> UserRecord | None:
    lines = user.get("lines") or []
    extension, context = _first_extension(lines)
    if not extension or user.get("enabled") is False:
        return None
    devices = []
    for line in lines:
        endpoint = line.get("endpoint_sip") or {}
        if _text(endpoint, "name"):
            devices.append(_text(endpoint, "name"))
    return UserRecord(
        extension=extension,
        origin=f"{source}:/users/{user.get('id', '?')}",
        ref=_text(user, "uuid"),
        name=_text(user, "lastname") or _text(user, "firstname"),
        first_name=_text(user, "firstname") if _text(user, "lastname") else "",
        context=context,
        devices=tuple(dict.fromkeys(devices)),
        email=_text(user, "email"),
        mobile=_text(user, "mobile_phone_number"),
        language=_text(user, "language").split("_")[0],
    )


def _ranges(items: Sequence[Item]) -> tuple[str, ...]:
    out = []
    for r in items or ():
        start, end = _text(r, "start"), _text(r, "end")
        out.append(f"{start}-{end}" if end and end != start else start)
    return tuple(out)


def context_record(ctx: Item) -> ContextRecord | None:
    kind = KINDS.get(_text(ctx, "type") or "internal")
    if kind is None or ctx.get("enabled") is False:
        return None
    internal = kind == "internal"
    return ContextRecord(
        name=_text(ctx, "name"),
        kind=kind,
        users=_ranges(ctx.get("user_ranges") or []) if internal else (),
        groups=_ranges(ctx.get("group_ranges") or []) if internal else (),
        conferences=_ranges(ctx.get("conference_room_ranges") or []) if internal else (),
        include=tuple(_text(c, "name") for c in ctx.get("contexts") or () if _text(c, "name")),
    )


def group_record(group: Item, extension_of: Mapping[str, str], source: str) -> GroupRecord | None:
    exten, context = _first_extension([group])
    if not exten or group.get("enabled") is False:
        return None
    members = sorted(
        (group.get("members") or {}).get("users") or [], key=lambda m: m.get("priority") or 0
    )
    linear = group.get("ring_strategy") == "linear"
    seconds = group.get("user_timeout") if linear else group.get("timeout")
    return GroupRecord(
        extension=exten,
        origin=f"{source}:/groups/{group.get('uuid', '?')}",
        name=_text(group, "label") or _text(group, "name") or exten,
        context=context,
        members=tuple(extension_of[u] for m in members if (u := _text(m, "uuid")) in extension_of),
        strategy="linear" if linear else "ringall",
        ring_time=min(600, max(1, seconds)) if isinstance(seconds, int) and seconds else 20,
    )


def did_records(
    incall: Item, users: Mapping[int, str], groups: Mapping[int, str]
) -> list[DidRecord]:
    dest = incall.get("destination") or {}
    kind = dest.get("type")
    target = users.get(dest.get("user_id", -1)) if kind == "user" else None
    if kind == "group":
        target = groups.get(dest.get("group_id", -1))
    if not target:
        return []
    return [
        DidRecord(_text(e, "exten"), target, _text(e, "context"))
        for e in incall.get("extensions") or ()
        if _text(e, "exten")
    ]


def site_data(
    source: str,
    users: Sequence[Item],
    contexts: Sequence[Item],
    groups: Sequence[Item],
    incalls: Sequence[Item],
) -> SourceData:
    """confd's lists as site records (pure)."""
    user_recs = [(u, r) for u in users if (r := user_record(u, source)) is not None]
    left_out = len(users) - len(user_recs)
    by_uuid = {r.ref: r.extension for _, r in user_recs if r.ref}
    by_id = {u["id"]: r.extension for u, r in user_recs if isinstance(u.get("id"), int)}
    group_recs = [(g, gr) for g in groups if (gr := group_record(g, by_uuid, source)) is not None]
    group_ids = {g["id"]: r.extension for g, r in group_recs if isinstance(g.get("id"), int)}
    notes = [f"{source}: {left_out} users without an extension (or disabled) left out"]
    return SourceData(
        source,
        users=tuple(r for _, r in user_recs),
        groups=tuple(r for _, r in group_recs),
        contexts=tuple(cr for c in contexts if (cr := context_record(c)) is not None),
        dids=tuple(d for i in incalls for d in did_records(i, by_id, group_ids)),
        notes=tuple(notes) if left_out else (),
    )


class ConfdClient:
    """Paged GETs on confd; every failure becomes SourceFailed with the reason."""

    def __init__(self, session: aiohttp.ClientSession, settings: ConfdSource, token: str) -> None:
        self.session = session
        self.settings = settings
        self.headers = {"X-Auth-Token": token, "Accept": "application/json"}
        if settings.tenant:
            self.headers["Wazo-Tenant"] = settings.tenant

    def fail(self, reason: str) -> SourceFailed:
        return SourceFailed(self.settings.name, reason)

    async def page(self, path: str, offset: int) -> tuple[list[Item], int]:
        params = {"limit": str(self.settings.page_size), "offset": str(offset)}
        url = f"{self.settings.url}{path}"
        try:
            async with self.session.get(url, params=params, headers=self.headers) as resp:
                if resp.status == 401:
                    raise self.fail(f"GET {path}: 401, the token is refused or expired")
                if resp.status != 200:
                    raise self.fail(f"GET {path}: HTTP {resp.status}")
                body = orjson.loads(await resp.read())
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise self.fail(f"GET {path}: {type(exc).__name__}: {exc}") from None
        items, total = body.get("items") if isinstance(body, dict) else None, None
        if isinstance(body, dict):
            total = body.get("total")
        if (
            not isinstance(items, list)
            or not isinstance(total, int)
            or not all(isinstance(i, dict) for i in items)
        ):
            raise self.fail(f"GET {path}: the answer is not a confd list (items, total)")
        return items, total

    async def all(self, path: str) -> list[Item]:
        """Every item of a list, page after page.  A server that caps ``limit`` sends
        shorter pages from the first one on: that length is the page size; a later
        page shorter than it before the end is a partial page."""
        items, total = await self.page(path, 0)
        if total > MAX_ITEMS:
            raise self.fail(f"GET {path}: {total} items, more than {MAX_ITEMS}")
        step = len(items)
        while len(items) < total:
            more, again = await self.page(path, len(items))
            if again != total:
                raise self.fail(
                    f"GET {path}: the total went from {total} to {again} during the sync"
                )
            if not step or len(more) < min(step, total - len(items)):
                raise self.fail(
                    f"GET {path}: partial page at offset {len(items)} "
                    f"({len(more)} items, {total} in all)"
                )
            items.extend(more)
        if len(items) > total:
            raise self.fail(f"GET {path}: {len(items)} items for a total of {total}")
        return items


async def read_confd_source(settings: ConfdSource, base: Path) -> SourceData:
    file = settings.token_file
    token = read_secret(settings.name, file, base) if file else settings.token
    timeout = aiohttp.ClientTimeout(total=settings.timeout)
    connector = aiohttp.TCPConnector(ssl=settings.verify_tls)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        client = ConfdClient(session, settings, token)
        users, contexts, groups, incalls = await asyncio.gather(
            client.all("/users"),
            client.all("/contexts"),
            client.all("/groups"),
            client.all("/incalls"),
        )
    # 4000 users take 40 ms to map: in a thread, not in the loop serving calls
    return await asyncio.to_thread(site_data, settings.name, users, contexts, groups, incalls)
