"""Portal page times with 4000 users: p50 / p99 / max of each page, in milliseconds.

    .venv/bin/python bench/portal_bench.py [--requests 300] [--concurrency 1]

A site of 4000 users (one context, an outgoing one), the example rights, 200 bosses
with a secretary each (filters.yaml), every user with a forward and two personal speed
dials in the store (SQLite), the portal with 4000 people in portal.yaml, a decision log
of 60,000 JSON lines (about 10 MB), and autocom's whole server (autocom.app.running).
Each page is asked ``--requests`` times by ``--concurrency`` clients at once (the
same process, another connection each); the time is from the request sent to the
whole page read.  The login POST (scrypt, about 50 ms of CPU by design) is reported
on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps import features  # noqa: E402
from apps.portal import PortalFeature  # noqa: E402
from apps.portal.accounts import write_account  # noqa: E402
from autocom.app import running  # noqa: E402
from autocom.clock import Clock  # noqa: E402

USERS = 4000
FIRST = 20000
BOSSES = 200
PASSWORD = "bench password 2026"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def write_config(folder: Path) -> Path:
    rights = (ROOT / "examples" / "rights.yaml").read_text(encoding="utf-8")
    rights = re.sub(r"(?m)^  groups:\n(?:    .*\n)+", "", rights)  # the example's group 2900
    (folder / "rights.yaml").write_text(rights, encoding="utf-8")
    last = FIRST + USERS - 1
    site = [
        "contexts:",
        f"  - {{name: personnel, users: ['{FIRST}-{last}'], include: [sortie]}}",
        "  - {name: couloirs, users: ['5000-5099'], include: [sortie]}",
        "  - {name: sortie, kind: outgoing, line_prefix: '0', trunks: [t]}",
        "users:",
    ]
    site += [
        f"  - {{extension: '{e}', name: Nom{e}, first_name: Prénom, context: personnel, "
        f"department: D{e % 40}, devices: [d{e}]}}"
        for e in range(FIRST, last + 1)
    ]
    site.append("  - {extension: '5001', name: Amphi, context: couloirs, devices: [amphi]}")
    (folder / "site.yaml").write_text("\n".join(site) + "\n", encoding="utf-8")
    filters = ["filters:"]
    for i in range(BOSSES):
        boss, secretary = FIRST + 2 * i, FIRST + 2 * i + 1
        filters += [
            f"  - name: f{i}",
            f"    bosses: [{{extension: '{boss}', vip: ['00612345678']}}]",
            f"    secretaries: ['{secretary}']",
            "    fallback: hangup",
        ]
    (folder / "filters.yaml").write_text("\n".join(filters) + "\n", encoding="utf-8")
    people = ["people:"] + [
        f"  u{e}: {{extension: '{e}', roles: [user, secretary]}}" for e in range(FIRST, last + 1)
    ]
    people += ["  help: {roles: [helpdesk]}", "  root: {roles: [admin]}"]
    (folder / "portal.yaml").write_text(
        "listen: {host: 127.0.0.1, port: 0}\nsecure_cookies: false\n"
        "accounts: accounts.txt\naudit_log: audit.log\ndecision_log: autocom.log\n"
        "login_limit: {per_address: 100000, per_account: 100000}\n" + "\n".join(people) + "\n",
        encoding="utf-8",
    )
    for login in (f"u{FIRST}", f"u{FIRST + 1}", "help", "root"):
        write_account(folder / "accounts.txt", login, PASSWORD)
    with (folder / "autocom.log").open("w", encoding="utf-8") as log:
        for i in range(60_000):
            event = {"event": "rights", "caller": str(FIRST + i % USERS), "dialed": "0612345678"}
            log.write(json.dumps({"time": i, **event, "verdict": "allow"}) + "\n")
    main = folder / "autocom.yaml"
    main.write_text(
        "timezone: Europe/Paris\nsite: site.yaml\nstate: {backend: sqlite, path: state.sqlite}\n"
        "rules:\n  time_rules: rights.yaml\n  forwards: ''\n  speed_dial: ''\n"
        "  boss_secretary: filters.yaml\n  portal: portal.yaml\n",
        encoding="utf-8",
    )
    return main


async def fill_store(server: object) -> None:
    store = server.ctx.store  # type: ignore[attr-defined]
    for e in range(FIRST, FIRST + USERS):
        dest = json.dumps({"destination": str(e + 1), "enabled": e % 2 == 0})
        await store.set("forwards", f"{e}:unconditional", dest)
        for slot in ("01", "02"):
            value = json.dumps({"number": "00612345678", "label": ""})
            await store.set("speeddial", f"{e}:{slot}", value)


async def session(base: str, login: str) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.get(f"{base}/login") as page:
        token = CSRF.findall(await page.text())[0]
    form = {"csrf": token, "login": login, "password": PASSWORD}
    async with http.post(f"{base}/login", data=form) as reply:
        page_text = await reply.text()
    return http, CSRF.findall(page_text)[0]


Ask = Callable[[aiohttp.ClientSession, str, int], Awaitable[None]]


def get(path: str, expect: str = "</html>") -> Ask:
    async def ask(http: aiohttp.ClientSession, token: str, i: int) -> None:
        async with http.get(path) as reply:
            assert reply.status == 200, (path, reply.status)
            assert expect in await reply.text(), (path, expect)

    return ask


def post(path: str, form: Callable[[int], dict[str, str]]) -> Ask:
    async def ask(http: aiohttp.ClientSession, token: str, i: int) -> None:
        async with http.post(path, data={"csrf": token, **form(i)}) as reply:
            assert reply.status == 200, (path, reply.status)
            await reply.read()

    return ask


async def measure(
    http: aiohttp.ClientSession, token: str, ask: Ask, requests: int, concurrency: int
) -> list[float]:
    times: list[float] = []

    async def worker(start: int) -> None:
        for i in range(start, requests, concurrency):
            began = time.perf_counter()
            await ask(http, token, i)
            times.append((time.perf_counter() - began) * 1000)

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return times


def line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:34s} n={len(times):4d}  p50 {statistics.median(times):6.1f}  "
        f"p99 {p99:6.1f}  max {ordered[-1]:6.1f} ms"
    )


async def run(requests: int, concurrency: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    config = write_config(folder)
    feats = features()
    clock = Clock("Europe/Paris", pinned=datetime(2026, 11, 24, 10, 0))
    async with running(config, feats, clock=clock, agi_port=0, http_port=0, watch=False) as srv:
        await fill_store(srv)
        port = next(f for f in feats if isinstance(f, PortalFeature)).port
        base = f"http://127.0.0.1:{port}"
        user, user_token = await session(base, f"u{FIRST}")
        helpdesk, help_token = await session(base, "help")
        admin, admin_token = await session(base, "root")
        pages: list[tuple[str, aiohttp.ClientSession, str, Ask]] = [
            ("GET /login", user, user_token, get(f"{base}/login")),
            ("GET /me", user, user_token, get(f"{base}/me")),
            ("POST /me/forwards", user, user_token,
             post(f"{base}/me/forwards", lambda i: {"type": "busy", "number": str(FIRST + i)})),
            ("POST /me/speed-dials", user, user_token,
             post(f"{base}/me/speed-dials", lambda i: {"slot": str(i % 100), "number": "0140"})),
            ("GET /secretary", user, user_token, get(f"{base}/secretary")),
            ("POST /secretary/filter", user, user_token,
             post(f"{base}/secretary/filter", lambda i: {"boss": str(FIRST), "on": str(i % 2)})),
            ("POST /secretary/vip (add, remove)", user, user_token,
             post(f"{base}/secretary/vip",
                  lambda i: {"boss": str(FIRST), "number": "0388123456", "add": str(1 - i % 2)})),
            ("GET /helpdesk?q=Nom2 (20 of 4000)", helpdesk, help_token,
             get(f"{base}/helpdesk?q=Nom2", 'id="pin-20019"')),
            ("GET /helpdesk explain", helpdesk, help_token,
             get(f"{base}/helpdesk?caller={FIRST}&dialed=0000441234567&at=2026-11-24T22:00",
                 'id="verdict">pin (international)')),
            ("GET /admin", admin, admin_token, get(f"{base}/admin")),
            ("GET /admin?q= (60,000 log lines)", admin, admin_token,
             get(f"{base}/admin?q={FIRST + 7}+rights", '<ol id="log">')),
        ]  # fmt: skip
        print(f"{USERS} users, {BOSSES} bosses, {requests} requests per page, "
              f"concurrency {concurrency}")  # fmt: skip
        for name, http, token, ask in pages:
            await measure(http, token, ask, 10, 1)  # warm up
            print(line(name, await measure(http, token, ask, requests, concurrency)), flush=True)
        logins = []
        for _ in range(20):
            began = time.perf_counter()
            http, _token = await session(base, f"u{FIRST + 1}")
            logins.append((time.perf_counter() - began) * 1000)
            await http.close()
        print(line("login (GET form + POST, scrypt)", logins))
        for http in (user, helpdesk, admin):
            await http.close()
    shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
