"""A generated site and a month of its call tickets, for the what-if tests and bench.

``site_folder(folder, users)`` writes a config folder: ``users`` phones in 40
departments (the last 100 in the hallways), the example university's rights.yaml
(its slots and classes, assigned by department and range), a boss with two
secretaries per department, forwards.yaml, speeddial.yaml and accounting.yaml
(SQLite tickets).
``fill_tickets(path, month, calls)`` writes a month of tickets into that SQLite
ticket store, shaped like a university's traffic (office hours, nights,
weekends; internal, outgoing, incoming, speed dials and hunt groups), and
``fill_state(store, users)`` stores forwards, do-not-disturb, filter switches and
personal speed dials.
Everything is drawn from a seeded random generator: the same arguments give the
same month.
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from apps.accounting.engine import Leg, Ticket
from apps.accounting.replay import SQLITE_REPLAY_INDEX, SQLITE_UNFILLED_INDEX, replay_columns
from apps.accounting.state import TICKET_COLUMNS, SqliteTicketStore, month_of, ticket_columns
from autocom.store.base import StateStore
from autocom.store.codec import encode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST = 20000
DEPARTMENTS = 40
HALLWAY = 100  # the last users: lobby phones
GROUP = 24000
CLASSES = ("staff", "staff", "staff", "lab", "security", "direction")


def department(i: int) -> str:
    return f"Département {i:02d}"


def extensions(users: int) -> list[str]:
    return [str(FIRST + i) for i in range(users)]


def bosses(users: int) -> list[tuple[str, str, str]]:
    """(boss, secretary 1, secretary 2) of each department."""
    per = (users - HALLWAY) // DEPARTMENTS
    return [
        (str(FIRST + d * per), str(FIRST + d * per + 1), str(FIRST + d * per + 2))
        for d in range(DEPARTMENTS)
    ]


def _site(users: int) -> str:
    per = (users - HALLWAY) // DEPARTMENTS
    last_staff = FIRST + users - HALLWAY - 1
    lines = [
        "name: generated university",
        "contexts:",
        f"  - {{name: personnel, kind: internal, users: {FIRST}-{last_staff}, "
        f"groups: {GROUP}-{GROUP + 99}, include: [sortie]}}",
        f"  - {{name: couloirs, kind: internal, users: {last_staff + 1}-{FIRST + users - 1}, "
        "include: [personnel]}",
        "  - {name: sortie, kind: outgoing, line_prefix: '0', trunks: [trunk-a]}",
        "users:",
    ]
    for i, ext in enumerate(extensions(users)):
        if i < users - HALLWAY:
            dept = department(min(i // per, DEPARTMENTS - 1))
            lines.append(
                f"  - {{extension: '{ext}', name: U{i}, context: personnel, "
                f"devices: [d{ext}], department: {dept}}}"
            )
        else:
            lines.append(f"  - {{extension: '{ext}', name: H{i}, context: couloirs}}")
    lines.append("groups:")
    lines.append(
        f"  - {{extension: '{GROUP}', name: Accueil, context: personnel, "
        f"members: ['{FIRST + 3}', '{FIRST + 4}'], strategy: ringall, ring_time: 20}}"
    )
    return "\n".join(lines) + "\n"


def _rights() -> str:
    text = (EXAMPLES / "rights.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\nassign:")]
    assign = ["assign:", "  departments:"]
    for d in range(DEPARTMENTS):
        assign.append(f"    {department(d)}: {CLASSES[d % len(CLASSES)]}")
    assign += ["  contexts:", "    personnel: staff", "    couloirs: lobby", "  default: lobby"]
    return head + "\n" + "\n".join(assign) + "\n"


def _filters(users: int) -> str:
    lines = ['caller_name: "[{boss_upper}] {caller_name}"', "filters:"]
    for n, (boss, s1, s2) in enumerate(bosses(users)):
        mode = "secretaries_first_serial" if n % 2 else "secretaries_first_simultaneous"
        lines += [
            f"  - name: f{n}",
            f"    bosses: [{{extension: '{boss}', vip: ['_06XXXXXXXX']}}]",
            f"    secretaries: ['{s1}', '{s2}']",
            f"    mode: {mode}",
            "    slots: [working_time]",
            "    fallback: hangup",
            "    default: on",
        ]
    return "\n".join(lines) + "\n"


def _speed_dials() -> str:
    """Collective codes 8000-8039 (mobiles, national, international numbers; 8039
    bypasses the rights); 8040-8099 are in the range and given to no one."""
    numbers = ("00612345{:03d}", "00388123{:03d}", "0004420{:06d}", "00144556{:03d}")
    lines = ["collective:", "  range: '8000-8099'", "  entries:"]
    for i in range(40):
        number = numbers[i % 4].format(i)
        bypass = ", bypass_rights: true" if i == 39 else ""
        lines.append(f"    - {{code: '80{i:02d}', number: '{number}', label: SD{i}{bypass}}}")
    return "\n".join(lines) + "\n"


def site_folder(folder: Path, users: int = 4000) -> Path:
    """A config folder for ``users`` phones; its autocom.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(_site(users), encoding="utf-8")
    (folder / "rights.yaml").write_text(_rights(), encoding="utf-8")
    (folder / "filters.yaml").write_text(_filters(users), encoding="utf-8")
    (folder / "forwards.yaml").write_text("max_chain: 5\n", encoding="utf-8")
    (folder / "speeddial.yaml").write_text(_speed_dials(), encoding="utf-8")
    (folder / "accounting.yaml").write_text(
        "storage: {backend: sqlite, path: calls.sqlite}\nbacklog: cel.sqlite.db\n",
        encoding="utf-8",
    )
    main = folder / "autocom.yaml"
    main.write_text(
        "timezone: Europe/Paris\nsite: site.yaml\nstate: {backend: sqlite, path: state.sqlite}\n"
        "rules:\n  time_rules: rights.yaml\n  forwards: forwards.yaml\n"
        "  boss_secretary: filters.yaml\n  accounting: accounting.yaml\n"
        "  speed_dial: speeddial.yaml\n",
        encoding="utf-8",
    )
    return main


def edit(path: Path, pattern: str, replacement: str, count: int = 1) -> None:
    """Replace ``count`` matches of ``pattern`` in a rule file (0: every one)."""
    text, done = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=count)
    assert done and (count == 0 or done == count), f"{pattern!r}: {done} matches in {path}"
    path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ the month


def _instant(rnd: random.Random, start: datetime, days: int) -> float:
    """Office hours mostly, some evenings, nights and weekends."""
    while True:
        day = start + timedelta(days=rnd.randrange(days))
        weekend = day.weekday() >= 5
        if weekend and rnd.random() > 0.1:
            continue
        hour = rnd.gauss(13.5, 3.2) if rnd.random() < 0.93 else rnd.uniform(0, 24)
        if 0 <= hour < 24:
            return (day + timedelta(hours=hour - 1)).timestamp()  # Paris is UTC+1 in winter


def _external(rnd: random.Random, pool: int) -> str:
    n = rnd.randrange(pool)
    kind = n % 10
    if kind < 4:
        return f"00{1 + n % 5}{n:08d}"[:11]  # national
    if kind < 7:
        return f"006{n:08d}"[:11]  # mobile
    if kind < 8:
        return f"00389{33 if n % 2 else 34}{n % 10000:04d}"  # campus (or not)
    if kind < 9:
        return f"00044{n:09d}"  # international
    return f"008{n:08d}"[:11]  # special


def user_department(users: int) -> dict[str, str]:
    per = (users - HALLWAY) // DEPARTMENTS
    return {
        ext: department(min(i // per, DEPARTMENTS - 1)) if i < users - HALLWAY else ""
        for i, ext in enumerate(extensions(users))
    }


def _ticket(
    rnd: random.Random, n: int, users: list[str], depts: dict[str, str], t: float, pool: int
) -> Ticket:
    caller = rnd.choice(users)
    kind = rnd.random()
    direction, called, called_user, caller_user, speed = "internal", "", "", caller, ""
    if kind < 0.45:
        called = called_user = rnd.choice(users)
    elif kind < 0.80:
        direction, called = "outgoing", _external(rnd, pool)
    elif kind < 0.95:
        direction, called = "incoming", rnd.choice(users)
        called_user, caller, caller_user = called, _external(rnd, pool)[1:], ""
    elif kind < 0.98:
        code = rnd.randrange(100)  # a collective code, or a personal slot 90-99 (**9N)
        direction = "outgoing"
        called = speed = f"**{code:02d}" if code >= 90 else f"8{code:03d}"
    else:
        called = str(GROUP)
    disposition = rnd.choices(("answered", "no_answer", "busy"), (0.8, 0.15, 0.05))[0]
    talk = rnd.randrange(5, 600) if disposition == "answered" else 0
    leg = Leg(f"d{called_user or 'trunk'}", "device", called_user, t, t + 3, t + 3 + talk,
              disposition)  # fmt: skip
    return Ticket(
        f"{t:.6f}.{n}", t, t + 3 if talk else None, t + 3 + talk, caller, "", caller_user,
        called, called_user, called_user if talk else "", direction, disposition, 16,
        "internal", "allow" if direction == "outgoing" else "", "staff", "", caller_user,
        depts.get(caller_user or called_user, ""), "", Decimal("0.01"), speed_dial=speed,
        legs=(leg,), marks=(f"user={called_user}",),
    )  # fmt: skip


def month_tickets(month: str, calls: int, users: int, seed: int = 1) -> Iterator[Ticket]:
    rnd = random.Random(seed)
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    days = ((start + timedelta(days=32)).replace(day=1) - start).days
    depts = user_department(users)
    phones = list(depts)
    for n in range(calls):
        yield _ticket(rnd, n, phones, depts, _instant(rnd, start, days), pool=max(calls // 6, 10))


async def _schema(path: Path) -> None:
    """The ticket store's own tables and indexes."""
    store = await SqliteTicketStore(path).open()
    await store.close()


def fill_tickets(path: Path, month: str, calls: int, users: int, seed: int = 1) -> None:
    """``calls`` tickets of ``month`` into the SQLite ticket store at ``path``."""
    asyncio.run(_schema(path))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    insert = (
        f"INSERT OR REPLACE INTO tickets ({TICKET_COLUMNS}, month, speed_dial, unanswered) "
        f"VALUES ({','.join('?' * 19)})"
    )
    rows = []
    for t in month_tickets(month, calls, users, seed):
        rows.append((*ticket_columns(t), month_of(t.start), *replay_columns(t)))
        if len(rows) == 50000:
            db.executemany(insert, rows)
            rows.clear()
    db.executemany(insert, rows)
    db.execute("COMMIT")
    db.execute(SQLITE_REPLAY_INDEX)  # as the first replay would: not timed by the bench
    db.execute(SQLITE_UNFILLED_INDEX)
    db.close()


async def fill_state(store: StateStore, users: int, seed: int = 2) -> None:
    """Forwards (to mobiles, campus numbers, colleagues), do-not-disturb, filters off."""
    rnd = random.Random(seed)
    phones = extensions(users)
    for ext in rnd.sample(phones, users // 20):
        target = rnd.choice(("00612345678", "00389331234", rnd.choice(phones)))
        ftype = rnd.choice(("unconditional", "noanswer", "busy"))
        await store.set("forwards", f"{ext}:{ftype}", encode({"destination": target,
                                                                "enabled": True}))  # fmt: skip
    for ext in rnd.sample(phones, users // 200):
        await store.set("forwards", f"{ext}:dnd", encode({"enabled": True}))
    for boss, _, _ in bosses(users)[::7]:
        await store.set("filters", boss, "off")
    for ext in rnd.sample(phones, users // 20):  # personal speed dials in slots 90-99
        for slot in rnd.sample(range(90, 100), 3):
            number = rnd.choice(("00612345678", "00388123456", "0004420123456"))
            value = encode({"number": number, "label": f"P{slot}"})
            await store.set("speeddial", f"{ext}:{slot}", value)
