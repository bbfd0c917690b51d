"""A STAND-IN for wazo-confd (it cannot run here): an aiohttp server on 127.0.0.1.

It serves ``GET /1.1/users``, ``/contexts``, ``/groups``, ``/incalls`` from
lists held in memory, paged by ``limit``/``offset`` as confd pages them, and
checks ``X-Auth-Token``.  Every answer it sends is validated against the part
of confd's published Swagger description kept in ``confd-1.1-subset.json``
(origin inside the file): a list the real confd could not send fails the test
that asked for it, and so do query parameters the operation does not declare.

Faults a test may set (``StandIn.fault``): ``None``; ``"partial"`` (every page
after the first comes back one item short: a truncated page); ``"total"`` (the
total grows between pages: confd changed during the sync); ``"garbage"`` (an
HTML error page with status 200, as a proxy in front of confd may send);
``"empty"`` (no item on the first page, the total says more).  ``cap``: a server
that serves at most that many items a page, whatever the limit asked.  A
wrong token gets 401 with confd's error body.  ``stop()`` makes it down.

``wazo_site(users, ...)`` builds confd-shaped data for a site (tests, bench).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp import web

from tests.support.process import free_port

SPEC_PATH = Path(__file__).with_name("confd-1.1-subset.json")
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
TOKEN = "stand-in-token"
LISTS = ("users", "contexts", "groups", "incalls")


def _schema_of(path: str) -> dict[str, Any]:
    ref = SPEC["paths"][path]["get"]["responses"]["200"]["schema"]["$ref"]
    return {"definitions": SPEC["definitions"], "$ref": ref}


def _declared_params(path: str) -> set[str]:
    names = set()
    for param in SPEC["paths"][path]["get"]["parameters"]:
        resolved = SPEC["parameters"][param["$ref"].rsplit("/", 1)[1]] if "$ref" in param else param
        if resolved["in"] == "query":
            names.add(resolved["name"])
    return names


VALIDATORS = {p: jsonschema.Draft4Validator(_schema_of(f"/{p}")) for p in LISTS}
PARAMS = {p: _declared_params(f"/{p}") for p in LISTS}


def validate_answer(kind: str, body: Any) -> None:
    """Raise jsonschema.ValidationError if confd's description does not allow ``body``."""
    VALIDATORS[kind].validate(body)


@dataclass
class StandIn:
    data: Mapping[str, list[dict[str, Any]]]
    token: str = TOKEN
    fault: str | None = None
    cap: int | None = None  # the most items a page holds, whatever the limit asked
    validate: bool = True  # bench/sync_bench.py may leave it out to time the client
    requests: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/1.1"

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        for kind in LISTS:
            app.router.add_get(f"/1.1/{kind}", self._handler(kind))
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        self.port = port or self.port or free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def _handler(self, kind: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            self.requests.append(f"{kind}?{request.query_string}")
            unknown = set(request.query) - PARAMS[kind]
            if unknown:
                raise AssertionError(f"GET /{kind}: parameters confd does not declare: {unknown}")
            if request.headers.get("X-Auth-Token") != self.token:
                return web.json_response(["Unauthorized"], status=401)
            if self.fault == "garbage":
                return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
            body = self.page(kind, int(request.query.get("offset", 0)), request.query.get("limit"))
            if self.validate:
                validate_answer(kind, body)
            return web.json_response(body)

        return handle

    def page(self, kind: str, offset: int, limit: str | None) -> dict[str, Any]:
        items = self.data[kind]
        end = len(items) if limit is None else offset + int(limit)
        if self.cap is not None:
            end = min(end, offset + self.cap)
        chunk = items[offset:end]
        total = len(items)
        if self.fault == "empty":
            chunk = []
        if offset and self.fault == "partial":
            chunk = chunk[:-1]
        if offset and self.fault == "total":
            total += 1
        return {"items": chunk, "total": total}


def _context(ident: int, name: str, kind: str, **ranges: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": abs(hash(name)) % 10_000,
        "name": name,
        "label": name,
        "type": kind,
    }
    out["uuid"] = f"00000000-0000-4000-8000-{out['id']:012d}"
    out["enabled"] = True
    for key, spans in ranges.items():
        out[key] = [{"start": a, "end": b} for a, b in spans]
    out["contexts"] = []
    return out


def wazo_user(i: int, exten: str, context: str = "default", devices: int = 2) -> dict[str, Any]:
    """A user as ``GET /users`` lists it: lines with their SIP endpoint and extension."""
    uuid = f"10000000-0000-4000-8000-{i:012d}"
    lines = []
    for d in range(devices):
        lines.append(
            {
                "id": i * 10 + d,
                "name": f"l{i}x{d}",
                "endpoint_sip": {
                    "uuid": f"20000000-0000-4000-8000-{i * 10 + d:012d}",
                    "name": f"u{exten}-{d}",
                    "label": f"u{exten}-{d}",
                },
                "endpoint_sccp": None,
                "endpoint_custom": None,
                "extensions": [{"id": i, "exten": exten, "context": context}] if d == 0 else [],
            }
        )
    return {
        "id": i,
        "uuid": uuid,
        "firstname": f"Prénom{i}",
        "lastname": f"Nom{i}",
        "email": f"user{i}@example.org",
        "mobile_phone_number": f"06{i:08d}",
        "language": "fr_FR",
        "enabled": True,
        "lines": lines,
        "groups": [],
        "incalls": [],
    }


def wazo_site(users: int, devices: int = 2, first: int = 20000) -> dict[str, list[dict[str, Any]]]:
    """A Wazo server: ``users`` users in context 'default' (extensions ``first``...),
    a group of the first three users, a DID for the first user."""
    last = str(first + users + 100)
    people = [wazo_user(i + 1, str(first + i), devices=devices) for i in range(users)]
    contexts = [
        _context(
            1,
            "default",
            "internal",
            user_ranges=[(str(first), last)],
            group_ranges=[(str(first - 100), str(first - 1))],
        ),
        _context(2, "from-extern", "incall", incall_ranges=[("0389336000", "0389336999")]),
        _context(3, "to-extern", "outcall"),
    ]
    contexts[0]["contexts"] = [
        {"id": contexts[2]["id"], "name": "to-extern", "uuid": contexts[2]["uuid"]}
    ]
    group = {
        "id": 1,
        "uuid": "30000000-0000-4000-8000-000000000001",
        "name": "grp-accueil",
        "label": "Accueil",
        "ring_strategy": "linear",
        "user_timeout": 12,
        "timeout": 60,
        "enabled": True,
        "extensions": [{"id": 9000, "exten": str(first - 100), "context": "default"}],
        "members": {
            "users": [
                {
                    "uuid": u["uuid"],
                    "firstname": u["firstname"],
                    "lastname": u["lastname"],
                    "priority": n,
                }
                for n, u in enumerate(people[:3])
            ],
            "extensions": [],
        },
    }
    incall = {
        "id": 1,
        "destination": {"type": "user", "user_id": 1},
        "extensions": [{"id": 9001, "exten": "0389336001", "context": "from-extern"}],
    }
    return {
        "users": people,
        "contexts": contexts,
        "groups": [group] if users >= 3 else [],
        "incalls": [incall] if users else [],
    }
