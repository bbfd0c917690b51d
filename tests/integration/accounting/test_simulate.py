"""`autocom simulate` on a generated ticket store: the command's list against the
replay of the same calls built from the tickets in Python; both ticket stores (a
real PostgreSQL too) read a month alike; a store made before the replay columns
is upgraded and reads the same."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from apps import features
from apps.accounting.engine import Ticket
from apps.accounting.replay import replay_columns
from apps.accounting.state import (
    SQLITE_SCHEMA,
    TICKET_COLUMNS,
    SqliteTicketStore,
    TicketStore,
    month_of,
    ticket_columns,
)
from apps.accounting.state_pg import PgTicketStore
from autocom.cli import main
from autocom.loader import load_config
from autocom.services import replay_services
from autocom.store.sqlite_store import SqliteStore
from autocom.whatif.replay import SPEED_DIAL, PastCall, ordered_steps, simulate
from autocom.whatif.time_classes import time_classes
from tests.support.call_month import edit, fill_state, fill_tickets, month_tickets, site_folder

pytestmark = pytest.mark.integration

MONTH = "2027-01"
USERS = 540  # 40 departments of 11, 100 hallway phones
CALLS = 4000


def as_past_call(t: Ticket) -> PastCall:
    """What the stores' SQL reads of a ticket, written again from the Ticket itself."""
    speed_dial, unanswered = replay_columns(t)
    if t.called_user:
        what = f"user:{unanswered}" if unanswered else "user"
    elif speed_dial:
        what = f"speed_dial:{speed_dial}"
    else:
        what = "outgoing" if t.direction == "outgoing" or t.disposition == "denied" else "none"
    return PastCall(t.id, t.start, t.caller, t.called, t.called_user, what)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("simulate")
    main_yaml = site_folder(tmp / "current", USERS)
    fill_tickets(tmp / "current" / "calls.sqlite", MONTH, CALLS, USERS)

    async def state() -> None:
        store = await SqliteStore.open(tmp / "current" / "state.sqlite")
        await fill_state(store, USERS)
        await store.close()

    asyncio.run(state())
    new = tmp / "new"
    shutil.copytree(tmp / "current", new, ignore=shutil.ignore_patterns("*.sqlite*"))
    edit(new / "rights.yaml", r"(  staff:\n(?:    .*\n)*?    mobile: )allow", r"\1deny")
    forward_mobile = r"      mobile: \{office_hours: allow, default: deny\}"
    edit(new / "rights.yaml", forward_mobile, "      mobile: deny")
    edit(new / "filters.yaml", "secretaries_first_simultaneous", "boss_first_serial", count=0)
    return main_yaml, new


def test_the_command_lists_what_the_replay_of_the_tickets_gives(
    folders: tuple[Path, Path],
) -> None:
    current_yaml, new = folders
    out = io.StringIO()
    argv = ["-c", str(current_yaml), "simulate", "--rules", str(new), "--tickets", MONTH]
    with contextlib.redirect_stdout(out):
        assert main([*argv, "--json"], features()) == 0
    got = json.loads(out.getvalue())

    feats = tuple(features())
    current, newer = load_config(current_yaml, feats), load_config(new / "autocom.yaml", feats)
    tickets = {t.id: t for t in month_tickets(MONTH, CALLS, USERS) if month_of(t.start) == MONTH}

    async def replays():  # type: ignore[no-untyped-def]
        store = await SqliteStore.open(current_yaml.parent / "state.sqlite")
        try:
            return [await s.replay(store, current, newer) for s in replay_services(feats)]
        finally:
            await store.close()

    steps = ordered_steps(asyncio.run(replays()))
    rights = [c.rules["time_rules"] for c in (current, newer)]
    times = time_classes(rights, *(datetime_range()))
    want = simulate(current, newer, [as_past_call(t) for t in tickets.values()], steps, times)

    assert got["calls"] == len(tickets)
    assert [c["id"] for c in got["changes"]] == [c.call.ref for c in want.changes]
    assert [(c["current"], c["new"]) for c in got["changes"]] == [
        (c.current.text, c.new.text) for c in want.changes
    ]
    kinds = Counter(c.kind for c in want.changes)
    assert got["by_change"] == kinds
    assert {
        "allowed -> refused",
        "a different forward",
        "a different secretary",
        "a different speed dial",  # a collective code or a personal slot to a mobile
    } <= set(kinds)
    assert got["replayed"] == dict(want.replayed) and got["replayed"][SPEED_DIAL] > 0
    assert not any("speed dial" in why for why in got["not_replayed"])
    depts = Counter(tickets[str(c.call.ref)].department or "-" for c in want.changes)
    assert got["by_department"] == depts
    assert any("forwards: as stored now" in line for line in got["assumed"])
    assert any("speed dials: personal slots as stored now" in line for line in got["assumed"])

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(argv, features()) == 0
    lines = text.getvalue().splitlines()
    assert f"Calls whose outcome changes: {len(want.changes):,}" in lines
    assert sum(1 for line in lines if " => " in line) == len(want.changes)


def datetime_range():  # type: ignore[no-untyped-def]
    from apps.accounting.simulate import month_range

    return month_range(MONTH)


def test_bad_new_rules_are_refused_with_their_errors(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current_yaml, new = folders
    broken = tmp_path / "broken"
    shutil.copytree(new, broken)
    edit(broken / "rights.yaml", r"    mobile: deny", "    mobile: maybe")
    argv = ["-c", str(current_yaml), "simulate", "--rules", str(broken), "--tickets", MONTH]
    assert main(argv, features()) == 1
    err = capsys.readouterr().err
    assert f"{broken / 'rights.yaml'}:" in err and "nothing simulated" in err


async def month_of_store(store: TicketStore) -> list[tuple[object, ...]]:
    calls = await store.past_calls(MONTH)
    details = await store.call_details([c.ref for c in calls])
    return sorted(
        (details[c.ref].id, c.start, c.caller, c.called, c.called_user, c.what, details[c.ref])
        for c in calls
    )


async def test_both_stores_and_an_old_store_read_a_month_alike(
    tmp_path: Path, postgres_dsn: str
) -> None:
    tickets = [t for t in month_tickets(MONTH, 600, USERS, seed=3) if month_of(t.start) == MONTH]
    fresh = await SqliteTicketStore(tmp_path / "fresh.sqlite").open()
    pg = await PgTicketStore.connect(postgres_dsn)
    try:
        await fresh.save_tickets(tickets)
        await pg.save_tickets(tickets)
        want = await month_of_store(fresh)
        assert len(want) == len(tickets) > 590
        assert await month_of_store(pg) == want
        want_calls = sorted((c.ref, c.start, c.what) for c in map(as_past_call, tickets))
        assert sorted((r[0], r[1], r[5]) for r in want) == want_calls
    finally:
        await fresh.close()
        await pg.close()

    # a store written before the replay columns: upgraded at open, filled at first replay
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old, isolation_level=None)
    db.executescript(SQLITE_SCHEMA.replace(",\n    speed_dial TEXT, unanswered TEXT", ""))
    assert "speed_dial" not in {r[1] for r in db.execute("PRAGMA table_info(tickets)")}
    db.executemany(
        f"INSERT INTO tickets ({TICKET_COLUMNS}, month) VALUES ({','.join('?' * 17)})",
        [(*ticket_columns(t), month_of(t.start)) for t in tickets],
    )
    db.close()
    upgraded = await SqliteTicketStore(old).open()
    try:
        assert "tickets_replay" not in indexes(old)  # a start does not wait for it
        assert await month_of_store(upgraded) == want
        assert {"tickets_replay", "tickets_unreplayed"} <= indexes(old)
    finally:
        await upgraded.close()


def indexes(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        db.close()


def test_a_state_store_that_does_not_answer_stops_it_plainly(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forwards and filter switches cannot be read: nothing is simulated on a guess."""
    current_yaml, new = folders
    dead = tmp_path / "dead"
    shutil.copytree(current_yaml.parent, dead)
    edit(
        dead / "autocom.yaml",
        r"state: \{.*\}",
        'state: {backend: redis, url: "redis://127.0.0.1:1/0"}',
    )
    argv = ["-c", str(dead / "autocom.yaml"), "simulate", "--rules", str(new), "--tickets", MONTH]
    assert main(argv, features()) == 1
    err = capsys.readouterr().err
    assert "the state store does not answer" in err and "nothing simulated" in err
