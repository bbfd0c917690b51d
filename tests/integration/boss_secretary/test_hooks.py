"""bsfilter and bsfilter-toggle through the real server and real state stores.

Asterisk's side is played by tests.integration.agi.fake_asterisk (a named fake,
speaking FastAGI over real TCP); the real Asterisk runs these hooks in
tests/e2e/test_boss_secretary.py.  Redis is a real redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import textwrap
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path

import pytest

from apps.boss_secretary import BossSecretaryFeature, cli, state
from apps.boss_secretary.encode import decode
from apps.time_rules import TimeRulesFeature
from autocom.app import Server, running
from autocom.clock import Clock
from autocom.context import CliContext
from autocom.feature import Command, Feature
from tests.integration.agi.fake_asterisk import CallResult, asterisk_answer, fake_call
from tests.support.redis_server import RedisServer
from tests.unit.agi.samples import env_with
from tests.unit.boss_secretary.sample import SITE_YAML

pytestmark = pytest.mark.integration

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)
NIGHT = datetime(2026, 11, 24, 22, 0)

FILTERS = """
filters:
  - name: direction
    bosses: [{extension: "2001", vip: ["0145678900"]}]
    secretaries: ["2002", "2091"]
    mode: secretaries_first_serial
    slots: [office_hours]
"""

RIGHTS = """
timezone: Europe/Paris
slots:
  office_hours:
    weekdays: mon-fri
    hours: ["08:00-18:00"]
"""


def features() -> list[Feature]:
    return [TimeRulesFeature(), BossSecretaryFeature()]


def write_config(folder: Path, state_yaml: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(SITE_YAML)
    (folder / "rights.yaml").write_text(textwrap.dedent(RIGHTS))
    (folder / "filters.yaml").write_text(textwrap.dedent(FILTERS))
    main = folder / "autocom.yaml"
    main.write_text(
        f"timezone: {TZ}\nsite: site.yaml\nstate: {state_yaml}\n"
        "http: {enabled: false}\n"
        "rules: {time_rules: rights.yaml, boss_secretary: filters.yaml}\n"
    )
    return main


def sqlite_state(folder: Path) -> str:
    return f"{{backend: sqlite, path: {folder / 'state.sqlite'}}}"


def redis_state(redis: RedisServer) -> str:
    return f"{{backend: redis, url: '{redis.url}', prefix: bs-test, timeout: '0.5'}}"


@contextlib.asynccontextmanager
async def two_servers(tmp_path: Path, redis: RedisServer) -> AsyncIterator[tuple[Server, Server]]:
    """Servers a and b (each its own config folder) sharing one Redis."""
    clock = Clock(TZ, pinned=DAY)
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                running(
                    write_config(tmp_path / name, redis_state(redis)),
                    features(),
                    clock=clock,
                    agi_port=0,
                    watch=False,
                )
            )
            for name in ("a", "b")
        ]
        yield a, b


async def agi(
    srv: Server,
    script: str,
    *args: str,
    callerid: str = "0387123456",
    name: str = "Jean Martin",
    channel: str = "SIP/trunk-0000001f",
) -> tuple[CallResult, dict[str, str]]:
    """One AGI call as Asterisk makes it; returns the result and the variables set."""
    answer = asterisk_answer()
    fields = {"arg_1": "", "arg_2": "", "arg_3": ""}
    fields.update({f"arg_{i}": a for i, a in enumerate(args, 1)})
    env = env_with(
        network_script=script, callerid=callerid, calleridname=name, channel=channel, **fields
    )
    result = await fake_call(srv.agi_port, script, answer, env=env)
    return result, dict(answer.store)  # type: ignore[attr-defined]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    config = write_config(tmp_path / "a", sqlite_state(tmp_path))
    async with running(
        config, features(), clock=Clock(TZ, pinned=DAY), agi_port=0, watch=False
    ) as srv:
        yield srv


async def test_a_filtered_call_costs_two_commands(server: Server) -> None:
    result, got = await agi(server, "bsfilter", "2001", "", "")
    assert result.status == "SUCCESS"
    assert len(result.commands) == 2
    assert all(c.startswith("SET VARIABLE") for c in result.commands)
    plan = decode(got["_AUTOCOM_BS_PLAN"])
    assert [s.devices for s in plan.steps] == [
        ("desk-2002",),
        ("desk-2006", "desk-2007"),
        ("desk-2001", "soft-2001"),
    ]
    assert got["_AUTOCOM_BS_CNAME"] == "[DUPONT] Jean Martin"


async def test_a_direct_call_costs_one_command(server: Server) -> None:
    result, got = await agi(server, "bsfilter", "2001", "", "", callerid="0145678900")
    assert len(result.commands) == 1
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}
    server.ctx.clock.pin(NIGHT)
    _, got = await agi(server, "bsfilter", "2001", "", "")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}


async def test_the_channel_says_who_calls_and_who_transferred(server: Server) -> None:
    # the boss's softphone calls, whatever number it presents
    _, got = await agi(server, "bsfilter", "2001", "", "", channel="PJSIP/soft-2001-00000003")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}
    # a member of the secretary group put the call through (blind transfer)
    _, got = await agi(server, "bsfilter", "2001", "PJSIP/desk-2007-0000000a", "")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}
    _, got = await agi(server, "bsfilter", "2001", "", "2001")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}


async def test_caller_data_stays_data(server: Server) -> None:
    evil = 'Evil\\" ${SHELL(touch /tmp/x)},x&y|1:2'
    result, got = await agi(server, "bsfilter", "2001", "", "", callerid="0387,1", name=evil)
    assert len(result.commands) == 2
    assert got["_AUTOCOM_BS_CNAME"] == "[DUPONT] " + evil
    assert got["_AUTOCOM_BS_PLAN"].startswith("filter|3|voicemail:2001|")
    assert "SHELL" not in got["_AUTOCOM_BS_PLAN"]


async def test_bad_arguments_ring_the_boss_directly(server: Server) -> None:
    for boss in ("", "20 01", "2001;x"):
        result, got = await agi(server, "bsfilter", boss, "", "")
        assert result.status == "SUCCESS"
        assert got == {"_AUTOCOM_BS_PLAN": "direct"}


async def test_toggle_rights_state_and_lamp(server: Server) -> None:
    store = server.ctx.store
    result, got = await agi(
        server, "bsfilter-toggle", "2001", callerid="2007", channel="PJSIP/desk-2007-00000001"
    )
    assert len(result.commands) == 2
    assert got == {"DEVICE_STATE(Custom:bsfilter-2001)": "NOT_INUSE", "AUTOCOM_BS_TOGGLE": "off"}
    assert await state.get_state(store, "2001") is False
    _, got = await agi(server, "bsfilter", "2001", "", "")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"}

    # a colleague is refused, even presenting a secretary's number from his own phone
    _, got = await agi(
        server, "bsfilter-toggle", "2001", callerid="2002", channel="PJSIP/desk-2004-00000002"
    )
    assert got == {"AUTOCOM_BS_TOGGLE": "denied"}
    assert await state.get_state(store, "2001") is False

    _, got = await agi(server, "bsfilter-toggle", "2001", callerid="2001")
    assert got == {"DEVICE_STATE(Custom:bsfilter-2001)": "INUSE", "AUTOCOM_BS_TOGGLE": "on"}
    _, got = await agi(server, "bsfilter-toggle", "2004", callerid="2004")
    assert got == {"AUTOCOM_BS_TOGGLE": "unknown"}


async def test_the_state_is_kept_across_restarts(tmp_path: Path) -> None:
    config = write_config(tmp_path / "a", sqlite_state(tmp_path))
    clock = Clock(TZ, pinned=DAY)
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        _, got = await agi(srv, "bsfilter-toggle", "2001", callerid="2002")
        assert got["AUTOCOM_BS_TOGGLE"] == "off"
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        _, got = await agi(srv, "bsfilter", "2001", "", "")
        assert got == {"_AUTOCOM_BS_PLAN": "direct"}


async def test_two_servers_share_the_state_through_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with two_servers(tmp_path, redis_server) as (a, b):
        _, got = await agi(b, "bsfilter", "2001", "", "")
        assert got["_AUTOCOM_BS_PLAN"].startswith("filter|")
        _, got = await agi(a, "bsfilter-toggle", "2001", callerid="2002")
        assert got["AUTOCOM_BS_TOGGLE"] == "off"
        _, got = await agi(b, "bsfilter", "2001", "", "")
        assert got == {"_AUTOCOM_BS_PLAN": "direct"}


async def test_store_down_the_filter_keeps_its_last_known_state(
    tmp_path: Path, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis killed: a boss's filter keeps the state this server last saw (here: off,
    from the snapshot taken at start), never the rule file's default (on); the
    dialplan is told (AUTOCOM_DEGRADED=store) and /metrics counts it."""
    config = write_config(tmp_path / "a", redis_state(redis_server))
    clock = Clock(TZ, pinned=DAY)
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        await state.set_state(srv.ctx.store, "2001", False)  # as another server would
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        redis_server.kill()
        # a call to a user who is no boss never reads the store (the hook runs for every user)
        result, got = await agi(srv, "bsfilter", "2003", "", "")
        assert result.status == "SUCCESS"
        assert got == {"_AUTOCOM_BS_PLAN": "direct"}
        result, got = await agi(srv, "bsfilter", "2001", "", "")
        assert result.status == "SUCCESS"
        assert got == {"AUTOCOM_DEGRADED": "store", "_AUTOCOM_BS_PLAN": "direct"}  # still off
        assert "filter state of 2001: the last seen here" in caplog.text
        assert (
            'autocom_degraded_decisions_total{feature="boss_secretary",reason="store"} 1.0'
            in srv.ctx.metrics.render()
        )
        # a toggle cannot be stored: the AGI fails, the dialplan says so
        result, _ = await agi(srv, "bsfilter-toggle", "2001", callerid="2002")
        assert result.status == "FAILURE"


def test_cli_filter_on_off_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "a", sqlite_state(tmp_path))
    ctx = CliContext(config, tuple(features()), Clock(TZ, pinned=DAY))

    def run(fn: Command, **kw: object) -> int:
        return fn(argparse.Namespace(**kw), ctx)

    assert run(cli.cmd_list) == 0
    assert "2001\tDupont Marie\ton (default)\tfilter=direction" in capsys.readouterr().out
    assert run(cli.cmd_off, boss="2001") == 0
    assert "filter of 2001: off (no ari: section" in capsys.readouterr().out
    assert run(cli.cmd_list) == 0
    assert "2001\tDupont Marie\toff\t" in capsys.readouterr().out
    assert run(cli.cmd_on, boss="2004") == 2
    assert "2004 is not a boss (bosses: 2001)" in capsys.readouterr().err

    explain = {"caller": "0387123456", "boss": "2001", "name": "Jean", "at": None}
    assert run(cli.cmd_explain, state="store", **explain) == 1
    out = capsys.readouterr().out
    assert "decision: DIRECT: the filter of 2001 is off" in out
    assert run(cli.cmd_on, boss="2001") == 0
    capsys.readouterr()
    assert run(cli.cmd_explain, state="store", **explain) == 0
    out = capsys.readouterr().out
    assert "decision: FILTER: filtered by 'direction' (secretaries_first_serial)" in out
    assert "    group 2091 Secretariat (ringall): desk-2006, desk-2007" in out
    assert "filters.yaml:7: slot 'office_hours' is active at 2026-11-24 10:00 CET" in out
    assert run(cli.cmd_explain, state="on", **{**explain, "at": "2026-11-24T22:00"}) == 1
    assert "outside the filter's time slots" in capsys.readouterr().out

    async def add_vip() -> None:
        async with ctx.store() as store:
            await state.set_vips(store, "2001", ("0387123456",))

    asyncio.run(add_vip())  # as the portal would
    assert run(cli.cmd_explain, state="store", **explain) == 1
    out = capsys.readouterr().out
    assert "decision: DIRECT: VIP caller (0387123456, added)" in out
    assert "  caller 0387123456 is VIP (added by a secretary, state store)" in out
    assert run(cli.cmd_explain, state="on", **explain) == 0  # --state on|off: no overlay


async def test_a_vip_added_in_the_portal_is_honoured_by_the_next_call(server: Server) -> None:
    """Through the service the portal calls: no reload, the next call rings the boss; a
    caller the overlay does not name is still filtered; removed, filtered again."""
    feature = server.ctx.features["boss_secretary"]
    assert isinstance(feature, BossSecretaryFeature)
    _, got = await agi(server, "bsfilter", "2001", "", "", callerid="0388123456")
    assert got["_AUTOCOM_BS_PLAN"].startswith("filter|")
    change = await feature.change_vip(server.ctx, "2002", "2001", "0388123456", True)
    assert (change.accepted, change.code) == (True, "vip_added")
    result, got = await agi(server, "bsfilter", "2001", "", "", callerid="0388123456")
    assert got == {"_AUTOCOM_BS_PLAN": "direct"} and len(result.commands) == 1
    _, got = await agi(server, "bsfilter", "2001", "", "", callerid="0388123457")
    assert got["_AUTOCOM_BS_PLAN"].startswith("filter|")
    refused = await feature.change_vip(server.ctx, "2004", "2001", "0388000000", True)
    assert (refused.accepted, refused.code) == (False, "not_yours")  # a colleague
    refused = await feature.change_vip(server.ctx, "2091", "2001", "0388123456", False)
    assert refused.code == "not_yours"  # 2091 is a group, not a person who logs in
    assert await state.get_vips(server.ctx.store, "2001") == ("0388123456",)
    change = await feature.change_vip(server.ctx, "2007", "2001", "0388123456", False)
    assert change.code == "vip_removed"  # a member of the secretary group may
    _, got = await agi(server, "bsfilter", "2001", "", "", callerid="0388123456")
    assert got["_AUTOCOM_BS_PLAN"].startswith("filter|")


async def test_a_vip_added_on_one_server_is_honoured_by_the_other(
    tmp_path: Path, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Two servers on one Redis: added through A, B's next call rings the boss.  Then
    Redis dies: B decides on the overlay it last saw, and says so (once)."""
    async with two_servers(tmp_path, redis_server) as (a, b):
        feature = a.ctx.features["boss_secretary"]
        assert isinstance(feature, BossSecretaryFeature)
        change = await feature.change_vip(a.ctx, "2002", "2001", "+33388123456", True)
        assert change.accepted
        _, got = await agi(b, "bsfilter", "2001", "", "", callerid="+33388123456")
        assert got == {"_AUTOCOM_BS_PLAN": "direct"}
        redis_server.kill()
        _, got = await agi(b, "bsfilter", "2001", "", "", callerid="0145678900")
        assert got == {"AUTOCOM_DEGRADED": "store", "_AUTOCOM_BS_PLAN": "direct"}
        assert "filter state of 2001: the last seen here" in caplog.text
        assert "added VIPs" not in caplog.text  # filters.yaml's VIP: the overlay is not read
        result, got = await agi(b, "bsfilter", "2001", "", "", callerid="+33388123456")
        assert got == {"AUTOCOM_DEGRADED": "store", "_AUTOCOM_BS_PLAN": "direct"}
        assert len(result.commands) == 2
        assert "added VIPs of 2001: the last seen here" in caplog.text
        refused = await feature.change_vip(a.ctx, "2002", "2001", "0388000000", True)
        assert (refused.accepted, refused.code) == (False, "store_down")


async def test_the_overlay_is_kept_in_memory_from_the_start(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """A server started while the overlay was set elsewhere (snapshot at start) keeps
    honouring it when Redis dies before any call."""
    config = write_config(tmp_path / "a", redis_state(redis_server))
    clock = Clock(TZ, pinned=DAY)
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        await state.set_vips(srv.ctx.store, "2001", ("0388123456",))  # as another server would
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        redis_server.kill()
        _, got = await agi(srv, "bsfilter", "2001", "", "", callerid="0388123456")
        assert got == {"AUTOCOM_DEGRADED": "store", "_AUTOCOM_BS_PLAN": "direct"}
        _, got = await agi(srv, "bsfilter", "2001", "", "", callerid="0388000000")
        assert got["_AUTOCOM_BS_PLAN"].startswith("filter|")
