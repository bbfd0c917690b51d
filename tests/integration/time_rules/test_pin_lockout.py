"""PIN lockout through the real server, on both real state stores (SQLite file, redis-server).

Asterisk's side is played by tests.integration.agi.fake_asterisk (a named fake
speaking FastAGI over real TCP) with the digits a caller types; the real
Asterisk types them in tests/e2e/test_time_rules.py.  Several servers share one
real redis-server; a stopped redis-server is the dead store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from apps.time_rules.state import PinLocks
from autocom.app import Server, running
from autocom.cli import main
from autocom.clock import Clock
from autocom.rights.pins import STORE_NAMESPACE, hash_pin
from tests.integration.agi.fake_asterisk import Answer, _split, asterisk_answer, fake_call
from tests.support.redis_server import RedisServer
from tests.unit.agi.samples import env_with

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FEATURES = [TimeRulesFeature()]
TZ = "Europe/Paris"
INTL = "000044123456789"
GUARD = "2850"  # security desk (range 2850-2859): international always needs a PIN
GUARD_PIN = "4711"
DESK = "2851"  # another phone of the security desk
EXAMPLE_LOCKOUT = "  lockout:\n    failures: 5\n    window: 1h\n    lock: 1h\n"
LOCKOUT = "  lockout:\n    failures: 3\n    window: 15m\n    lock: 1h\n"


def now_here() -> datetime:
    """Now in the site's zone, as the CLI's clock sees it (the CLI tests compare)."""
    return datetime.now(Clock(TZ).now().tzinfo).replace(microsecond=0, tzinfo=None)


def write_config(folder: Path, state: str, lockout: str = LOCKOUT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    rights = (EXAMPLES / "rights.yaml").read_text(encoding="utf-8")
    assert EXAMPLE_LOCKOUT in rights
    rights = rights.replace(EXAMPLE_LOCKOUT, lockout)
    (folder / "rights.yaml").write_text(rights, encoding="utf-8")
    main_file = folder / "autocom.yaml"
    main_file.write_text(
        f"timezone: {TZ}\nsite: site.yaml\nstate: {state}\nhttp: {{enabled: false}}\n"
        "rules:\n  time_rules: rights.yaml\n",
        encoding="utf-8",
    )
    return main_file


@pytest.fixture(params=["sqlite", "redis"])
def config(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    redis_server_factory: Callable[..., RedisServer],
) -> Path:
    if request.param == "sqlite":
        state = f"{{backend: sqlite, path: {tmp_path / 'state.sqlite'}}}"
    else:
        url = redis_server_factory().url
        state = f"{{backend: redis, url: '{url}', prefix: lock-test, timeout: '0.5'}}"
    return write_config(tmp_path / "config", state)


@pytest.fixture
async def server(config: Path) -> AsyncIterator[Server]:
    clock = Clock(TZ, pinned=now_here())
    async with running(config, FEATURES, clock=clock, agi_port=0, watch=False) as srv:
        await srv.ctx.store.set(STORE_NAMESPACE, GUARD, hash_pin(GUARD_PIN, n=2**10))
        yield srv


@pytest.fixture
def audit_lines(
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Callable[[str], list[dict[str, object]]]]:
    caplog.set_level(logging.INFO, "autocom.audit.rights")

    def lines(event: str) -> list[dict[str, object]]:
        out = []
        for rec in caplog.records:
            if rec.name == "autocom.audit.rights":
                data = json.loads(rec.getMessage())
                if data.get("event") == event:
                    out.append(data)
        return out

    yield lines


def typing(*entries: str) -> Answer:
    """Asterisk with a caller who types ``entries`` at the PIN prompts, in turn."""
    base = asterisk_answer()
    left = list(entries)

    def answer(line: str) -> bytes | None:
        words = _split(line)
        if words[:2] == ["GET", "DATA"]:
            digits = left.pop(0) if left else ""
            return f"200 result={digits}\n".encode() if digits else b"200 result= (timeout)\n"
        if words[:2] == ["STREAM", "FILE"]:
            return b"200 result=0 endpos=8000\n"
        return base(line)

    answer.store = base.store  # type: ignore[attr-defined]
    answer.left = left  # type: ignore[attr-defined]
    return answer


async def pin_call(
    srv: Server, caller: str, *entries: str, dialed: str = INTL
) -> tuple[str, list[str], list[str]]:
    """One rights-pin AGI; returns AUTOCOM_PIN, the commands sent, the entries not asked."""
    answer = typing(*entries)
    env = env_with(
        network_script="rights-pin",
        callerid=caller,
        arg_1=caller,
        arg_2=dialed,
        arg_3="",
        arg_4="call",
    )
    result = await fake_call(srv.agi_port, "rights-pin", answer, env=env)
    assert result.status == "SUCCESS", result
    pin = answer.store.get("AUTOCOM_PIN", "")  # type: ignore[attr-defined]
    return pin, result.commands, answer.left  # type: ignore[attr-defined]


def run_cli(config: Path, *argv: str) -> int:
    return main(["-c", str(config), *argv], features=FEATURES)


async def test_wrong_pins_across_calls_lock_even_the_right_pin(
    server: Server, audit_lines: Callable[[str], list[dict[str, object]]]
) -> None:
    # call 1: two wrong PINs, then nothing typed (a timeout is no guess)
    assert (await pin_call(server, GUARD, "9999", "1111", ""))[0] == "fail"
    # call 2: the third wrong PIN within 15 minutes locks: no fourth prompt
    pin, commands, left = await pin_call(server, GUARD, "2222", "3333")
    assert pin == "locked"
    assert sum(c.startswith("GET DATA") for c in commands) == 1 and left == ["3333"]
    # call 3: the right PIN is refused, and not even checked
    assert (await pin_call(server, GUARD, GUARD_PIN))[0] == "locked"

    attempts = audit_lines("rights-pin")
    assert [(a["result"], a.get("failures")) for a in attempts] == [
        ("fail", 1),
        ("fail", 2),
        ("fail", None),  # nothing typed: not counted
        ("fail", 3),
        ("locked", None),
    ]
    assert attempts[2]["why"] == "nothing typed"
    (lock,) = audit_lines("rights-pin-lock")
    assert (lock["by"], lock["caller"], lock["failures"]) == (GUARD, GUARD, 3)
    assert "rights.yaml" in str(lock["trace"])
    # the PIN typed is never logged, right or wrong
    text = json.dumps(audit_lines("rights-pin") + audit_lines("rights-pin-lock"))
    for typed in ("9999", "1111", "2222", GUARD_PIN):
        assert typed not in text

    # the lock ends after an hour; the wrong PINs that made it no longer count
    server.ctx.clock.pin(server.ctx.clock.now().replace(tzinfo=None) + timedelta(minutes=61))
    assert (await pin_call(server, GUARD, "9999", GUARD_PIN))[0] == "ok"
    assert audit_lines("rights-pin")[-2]["failures"] == 1


async def test_a_right_pin_resets_the_count(server: Server) -> None:
    assert (await pin_call(server, GUARD, "9999", "1111", GUARD_PIN))[0] == "ok"
    # two more wrong PINs: 2, not 4, so no lock
    assert (await pin_call(server, GUARD, "9999", "1111", ""))[0] == "fail"
    assert (await pin_call(server, GUARD, GUARD_PIN))[0] == "ok"


async def test_the_window_is_the_counter_s_lifetime_in_the_store(server: Server) -> None:
    # the window is the ttl of the store's counter (real time: a test clock cannot move
    # it; tests/unit/rights/test_lockout.py moves a memory store's clock instead)
    assert (await pin_call(server, GUARD, "9999", "1111", ""))[0] == "fail"
    history = await PinLocks(server.ctx.store).history(GUARD)
    assert history.count == 2 and len(history.failures) == 2
    await server.ctx.store.delete("rights_pin_lock", f"count:{GUARD}")  # as at its expiry
    assert (await pin_call(server, GUARD, "9999", "1111", GUARD_PIN))[0] == "ok"


async def test_the_pin_owner_is_counted_not_the_phone(
    server: Server, audit_lines: Callable[[str], list[dict[str, object]]]
) -> None:
    # someone on another phone tries the guard's PIN: it counts against the guard
    assert (await pin_call(server, DESK, f"{GUARD}*0000", f"{GUARD}*0001", ""))[0] == "fail"
    assert (await pin_call(server, DESK, f"{GUARD}*0002"))[0] == "locked"
    # the guard's own phone now refuses the guard's right PIN
    assert (await pin_call(server, GUARD, GUARD_PIN))[0] == "locked"
    # another owner is not affected: 2002's PIN (1234, in the rule file) still works there
    assert (await pin_call(server, DESK, "2002*1234"))[0] == "ok"
    # nor is the phone: its own failures are its own (none)
    assert (await pin_call(server, DESK, "9999", "", ""))[0] == "fail"
    (lock,) = audit_lines("rights-pin-lock")
    assert (lock["by"], lock["caller"]) == (GUARD, DESK)
    assert audit_lines("rights-pin")[-3]["failures"] == 1


async def test_emergency_numbers_never_ask_nor_lock(server: Server) -> None:
    assert (await pin_call(server, GUARD, "1", "2", "3"))[0] == "locked"
    for number in ("112", "0112", "018"):
        pin, commands, left = await pin_call(server, GUARD, "9", dialed=number)
        assert pin == "ok" and left == ["9"]  # no prompt at all
        assert commands == ['SET VARIABLE "AUTOCOM_PIN" "ok"']


async def test_cli_shows_and_clears_the_lock(
    server: Server,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    audit_lines: Callable[[str], list[dict[str, object]]],
) -> None:
    assert (await pin_call(server, GUARD, "9999", "1111", "2222"))[0] == "locked"
    capsys.readouterr()
    assert await asyncio.to_thread(run_cli, config, "rights", "pin-status", GUARD) == 1
    out = capsys.readouterr().out
    assert f"{GUARD}: LOCKED" in out and "3 wrong PINs" in out
    assert "rights.yaml:" in out and "pin.lockout: 3 wrong PINs within 15m lock for 1h" in out
    assert out.count(f"typed from {GUARD}") == 3
    assert f"autocom rights pin-unlock {GUARD}" in out

    explain = ("explain", "rights", "--from", GUARD, "--to", INTL)
    assert await asyncio.to_thread(run_cli, config, *explain) == 2
    out = capsys.readouterr().out
    assert "decision: pin" in out and "pin lock: LOCKED now" in out

    assert await asyncio.to_thread(run_cli, config, "rights", "pin-unlock", GUARD) == 0
    assert "PIN unlocked" in capsys.readouterr().out
    assert await asyncio.to_thread(run_cli, config, "rights", "pin-status", GUARD) == 0
    out = capsys.readouterr().out
    assert f"{GUARD}: not locked" in out and "typed from" not in out
    assert await asyncio.to_thread(run_cli, config, *explain) == 2
    assert "pin lock: not locked now" in capsys.readouterr().out
    # the unlocked guard's right PIN works again, and the count starts from 0
    assert (await pin_call(server, GUARD, "9999", "1111", GUARD_PIN))[0] == "ok"
    assert [a.get("failures") for a in audit_lines("rights-pin")[-3:]] == [1, 2, None]


async def test_two_servers_sharing_redis_count_together(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    state = f"{{backend: redis, url: '{redis_server.url}', prefix: shared, timeout: '0.5'}}"
    clock = Clock(TZ, pinned=now_here())
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                running(
                    write_config(tmp_path / name, state),
                    [TimeRulesFeature()],  # one feature object per server, as in production
                    clock=clock,
                    agi_port=0,
                    watch=False,
                )
            )
            for name in ("a", "b", "c")
        ]
        await servers[0].ctx.store.set(STORE_NAMESPACE, GUARD, hash_pin(GUARD_PIN, n=2**10))
        # one wrong PIN on each server: the third one locks, on every server
        assert (await pin_call(servers[0], GUARD, "9999", "", ""))[0] == "fail"
        assert (await pin_call(servers[1], GUARD, "9999", "", ""))[0] == "fail"
        assert (await pin_call(servers[2], GUARD, "9999", "", ""))[0] == "locked"
        for srv in servers:
            assert (await pin_call(srv, GUARD, GUARD_PIN))[0] == "locked"
        history = await PinLocks(servers[1].ctx.store).history(GUARD)
        assert len(history.failures) == 3 and history.locked_failures == 3
        failures = await PinLocks(servers[0].ctx.store).failures(GUARD)
        assert [f.caller for f in failures] == [GUARD] * 3


async def test_simultaneous_calls_on_one_server_lose_no_wrong_pin(server: Server) -> None:
    # five calls type a wrong PIN at the same moment: each is counted, one at a time
    results = await asyncio.gather(*(pin_call(server, GUARD, "9999", "", "") for _ in range(5)))
    assert sorted(r[0] for r in results) == ["fail", "fail", "locked", "locked", "locked"]
    history = await PinLocks(server.ctx.store).history(GUARD)
    # the last two came after the lock: answered by it, not counted
    assert len(history.failures) == 3 and history.locked_failures == 3
    assert history.count == 0  # the lock's wrong PINs are spent


async def test_a_dead_redis_refuses_the_pin_but_not_emergencies(
    tmp_path: Path,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    audit_lines: Callable[[str], list[dict[str, object]]],
) -> None:
    state = f"{{backend: redis, url: '{redis_server.url}', prefix: dead, timeout: '0.5'}}"
    config = write_config(tmp_path / "c", state)
    clock = Clock(
        TZ, pinned=datetime(2026, 11, 24, 7, 0)
    )  # before office hours: the wall clock made it fail after 08:00
    async with running(config, FEATURES, clock=clock, agi_port=0, watch=False) as srv:
        redis_server.stop()
        caplog.set_level(logging.INFO, "autocom.time_rules")
        # 2002's PIN is in the rule file: readable, but the lockout state is not
        pin, commands, _ = await pin_call(srv, "2002", "1234")
        assert pin == "unavailable"
        assert sum(c.startswith("GET DATA") for c in commands) == 1
        assert 'SET VARIABLE "AUTOCOM_DEGRADED" "store"' in commands  # beside the verdict
        (line,) = audit_lines("rights-pin")
        assert line["result"] == "unavailable" and "redis at" in str(line["why"])
        errors = [r.getMessage() for r in caplog.records if r.name == "autocom.time_rules"]
        assert any("PIN refused: the PIN lockout state is unavailable" in e for e in errors)
        # emergency numbers need no store
        assert (await pin_call(srv, "2002", "1234", dialed="112"))[0] == "ok"
        # the CLI says the store is down, with its own exit status
        assert await asyncio.to_thread(run_cli, config, "rights", "pin-status", "2002") == 2


async def test_simultaneous_wrong_pins_on_servers_sharing_redis_all_count(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """18 calls on 3 servers type a wrong PIN at once: none is lost (atomic INCR)."""
    state = f"{{backend: redis, url: '{redis_server.url}', prefix: race, timeout: '2'}}"
    lockout = "  lockout:\n    failures: 20\n    window: 15m\n    lock: 1h\n"
    clock = Clock(TZ, pinned=now_here())
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                running(
                    write_config(tmp_path / name, state, lockout),
                    [TimeRulesFeature()],
                    clock=clock,
                    agi_port=0,
                    watch=False,
                )
            )
            for name in ("a", "b", "c")
        ]
        await servers[0].ctx.store.set(STORE_NAMESPACE, GUARD, hash_pin(GUARD_PIN, n=2**10))
        calls = [pin_call(srv, GUARD, "9999", "", "") for srv in servers for _ in range(6)]
        results = await asyncio.gather(*calls)
        assert [r[0] for r in results] == ["fail"] * 18
        # had one been lost, the 20th would not lock
        assert (await pin_call(servers[0], GUARD, "9999", "", ""))[0] == "fail"
        assert (await pin_call(servers[1], GUARD, "9999", "", ""))[0] == "locked"
        for srv in servers:
            assert (await pin_call(srv, GUARD, GUARD_PIN))[0] == "locked"
        history = await PinLocks(servers[2].ctx.store).history(GUARD)
        assert history.locked_failures == 20
        # the record for pin-status is best effort across servers: at most 20, at least 1
        assert 1 <= len(history.failures) <= 20
