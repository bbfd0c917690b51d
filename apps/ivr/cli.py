"""`autocom status`: asks the running server's /status and prints it.

`autocom status --cluster`: the nodes seen in the shared store (their heartbeats),
with their version and config hash; a node that differs is flagged (exit 4).

`autocom blf NAME STATE`: sets a Custom: device state (BLF lamp) through ARI.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from apps.ivr.daynight import Mode, Override
from autocom.clock import parse_instant
from autocom.context import CliContext
from autocom.feature import Commands

if TYPE_CHECKING:
    from autocom.cluster import NodeBeat


def add_commands(commands: Commands) -> None:
    status = commands.add(
        "status", "active calls and the state of autocom's links", cmd_status, always=True
    )
    status.add_argument("--url", help="the server's /status URL (default: from autocom.yaml)")
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.add_argument(
        "--cluster",
        action="store_true",
        help="the nodes seen in the shared store: version and config hash; flags one that "
        "differs (exit 4)",
    )
    blf = commands.add(
        "blf", "set a Custom: device state (BLF lamp) through ARI", cmd_blf, always=True
    )
    blf.add_argument("name", help="device name, e.g. bsfilter-2001 (Custom: is added)")
    blf.add_argument("state", help="NOT_INUSE, INUSE, BUSY, RINGING, ONHOLD, UNAVAILABLE, ...")


async def _fetch(url: str, headers: dict[str, str]) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(url, headers=headers) as resp,
    ):
        resp.raise_for_status()
        data: dict[str, Any] = await resp.json()
        return data


def render(data: dict[str, Any]) -> str:
    lines = ["Links:"]
    for name, link in data.get("links", {}).items():
        extra = ", ".join(
            f"{k}={v}" for k, v in link.items() if k != "status" and v not in (None, "")
        )
        lines.append(f"  {name:<10} {link.get('status', '?'):<15} {extra}")
    calls = data.get("calls")
    if calls is None:
        lines.append(f"Calls: unknown ({data.get('calls_error', 'no ARI link')})")
        return "\n".join(lines)
    lines.append(f"{'Channel':<40} {'Location':<30} {'State':<8} {'Caller':<12} Application")
    for c in calls:
        app = f"{c['application']}({c['data']})" if c["application"] else ""
        lines.append(
            f"{c['channel'][:40]:<40} {c['location'][:30]:<30} {c['state']:<8} "
            f"{c['caller'][:12]:<12} {app}"
        )
    lines.append(f"{len(calls)} active call{'s' if len(calls) != 1 else ''}")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, cli: CliContext) -> int:
    if args.cluster:
        return cmd_cluster(args, cli)
    url = args.url
    admin = cli.load().settings.admin
    if url is None:
        url = f"http://{admin.host}:{admin.port}/status"
    headers = {"Authorization": aiohttp.encode_basic_auth(admin.user, admin.password)}
    try:
        data = asyncio.run(_fetch(url, headers if admin.user else {}))
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        print(f"autocom status: the server does not answer at {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2) if args.json else render(data))
    ari = data.get("links", {}).get("ari", {})
    return 0 if ari.get("status") in ("up", "not configured") else 3


def cmd_cluster(args: argparse.Namespace, cli: CliContext) -> int:
    """The heartbeats in the shared store; exit 1 if it does not answer, 4 if a node differs."""
    from autocom.cluster import cluster_report, read_beats, render_report
    from autocom.store.base import StoreError

    async def read() -> list[NodeBeat]:
        async with cli.store() as store:
            return await read_beats(store)

    try:
        beats = asyncio.run(read())
    except StoreError as exc:
        print(f"autocom status --cluster: the shared store does not answer: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([dataclasses.asdict(b) for b in beats], indent=2))
    else:
        print(render_report(beats, time.time()))
    _, rows = cluster_report(beats)
    return 4 if any(row.differs for row in rows) else 0


def cmd_blf(args: argparse.Namespace, cli: CliContext) -> int:
    from autocom.ari.client import AriClient
    from autocom.ari.device_states import DeviceStates
    from autocom.ari.errors import AriError

    ari = cli.load().settings.ari
    if ari is None:
        print("autocom blf: autocom.yaml has no ari: section", file=sys.stderr)
        return 1

    async def run() -> None:
        async with AriClient.from_settings(ari) as client:
            await DeviceStates(client).set_custom(args.name, args.state)

    try:
        asyncio.run(run())
    except (AriError, ValueError) as exc:
        print(f"autocom blf: {exc}", file=sys.stderr)
        return 1
    return 0


def add_daynight_commands(commands: Commands) -> None:
    ex = commands.add_explain(
        "daynight",
        "day or night for a service of ivr.yaml, and why (exit 0 day, 1 night)",
        cmd_explain_daynight,
    )
    ex.add_argument("service", help="a service under daynight: services: in ivr.yaml")
    ex.add_argument("--at", help="ISO 8601 time (default: now)")
    ex.add_argument(
        "--override",
        choices=("store", "none", "day", "night"),
        default="store",
        help="the override: as stored (default), none, or one to day/night set now",
    )


def cmd_explain_daynight(args: argparse.Namespace, cli: CliContext) -> int:
    from apps.ivr import daynight, daynight_hooks

    config = cli.load()
    service = daynight_hooks.rules_of(config).daynight.services.get(args.service)
    if service is None:
        known = ", ".join(sorted(daynight_hooks.rules_of(config).daynight.services)) or "none"
        print(f"no service {args.service!r} in ivr.yaml (daynight: services: {known})")
        return 2
    try:
        when = parse_instant(args.at, config.settings.timezone) if args.at else cli.clock.now()
    except ValueError as exc:
        print(f"--at: {exc}", file=sys.stderr)
        return 2
    override = _override(args, cli, when)
    active = daynight_hooks.slot_active(config.rules.get("time_rules"), service.slot, when)
    decision = daynight.decide(args.service, service, active, override, when)
    print(f"service {args.service} at {when.isoformat()}")
    print(f"decision: {decision.mode.upper()}: {decision.reason}")
    where = f"{service.source}: " if service.source is not None else ""
    print(f"  {where}slot {service.slot}, override until {service.until}")
    print(f"  lamp Custom:daynight-{args.service}: {decision.lamp}")
    return 0 if decision.mode == "day" else 1


def _override(args: argparse.Namespace, cli: CliContext, when: datetime) -> Override | None:
    from apps.ivr import daynight_hooks
    from autocom.store.base import StoreError

    if args.override == "none":
        return None
    if args.override in ("day", "night"):
        mode: Mode = "day" if args.override == "day" else "night"
        return Override(mode, when, None)

    async def run() -> Override | None:
        async with cli.store() as store:
            return await daynight_hooks.stored(store, args.service)

    try:
        return asyncio.run(run())
    except StoreError:
        print("(state store unavailable: the time slot decides)")
        return None
