"""Per-department statistics on both ticket stores (SQLite; PostgreSQL, a real
server): the store's sums, `autocom accounting stats`, and the portal's /stats page
over HTTP (a department admin's own department only: another one answers 403) and in
chromium with the keyboard."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from apps import features
from apps.accounting import AccountingFeature
from apps.accounting.engine import Ticket
from apps.accounting.service import department_stats, open_ticket_store, rules_of
from apps.accounting.state import SqliteTicketStore, TicketStore
from apps.accounting.state_pg import PgTicketStore
from apps.portal import PortalFeature
from autocom.app import running
from autocom.cli import main
from autocom.clock import Clock
from autocom.loader import load_config
from autocom.services import StatCounts, stats_period
from tests.integration.portal.test_portal_http import client, login
from tests.support.browser import Browser
from tests.support.portal import portal_config

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
MIPS, SCOL = "Laboratoire MIPS", "Scolarité"
EXAMPLES = Path(__file__).parents[3] / "examples"


def call(
    tid: str,
    at: tuple[int, int, int, int, int],
    direction: str,
    department: str,
    *,
    disposition: str = "answered",
    category: str = "",
    talk: int = 0,
    price: str = "0",
) -> Ticket:
    """A ticket of ``department`` started at ``at`` (Paris time)."""
    start = datetime(*at, tzinfo=PARIS).timestamp()
    answer = start + 5 if disposition == "answered" else None
    outside = direction == "incoming"
    return Ticket(
        id=tid,
        start=start,
        answer=answer,
        end=(answer or start + 20) + talk,
        caller="0388112233" if outside else "2101",
        caller_name="",
        caller_user="" if outside else "2101",
        called="2101" if outside else "0144556677",
        called_user="2101" if outside else "",
        answered_by="2101" if answer and outside else "",
        direction=direction,
        disposition=disposition,
        hangup_cause=16,
        category=category or ("internal" if direction == "internal" else ""),
        rights="allow" if direction == "outgoing" else "",
        rights_class="",
        pin="",
        payer="" if outside else "2101",
        department=department,
        cost_center="",
        price=Decimal(price),
    )


TICKETS = [
    call("m1", (2027, 1, 12, 9, 10), "outgoing", MIPS, category="national", talk=120, price="0.07"),
    call("m2", (2027, 1, 12, 9, 40), "outgoing", MIPS, category="international", talk=300,
         price="1.60"),
    call("m3", (2027, 1, 13, 14, 5), "outgoing", MIPS, category="mobile", disposition="no_answer"),
    call("m4", (2027, 1, 12, 17, 20), "incoming", MIPS, talk=60),
    call("m5", (2027, 1, 14, 9, 5), "internal", MIPS, talk=30),
    call("m6", (2027, 1, 1, 0, 30), "incoming", MIPS, talk=45),  # 2026-12-31 23:30 UTC
    call("m7", (2027, 2, 1, 0, 30), "incoming", MIPS, talk=10),  # 2027-01-31 23:30 UTC
    call("s1", (2027, 1, 12, 10, 0), "outgoing", SCOL, category="national", talk=200,
         price="0.09"),
    # 2101 was in Scolarité on 5 January: the ticket says so, and it stays Scolarité's
    call("s2", (2027, 1, 5, 11, 0), "outgoing", SCOL, category="national", disposition="busy"),
]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """accounting.yaml's storage: line for this backend."""
    if request.param == "sqlite":
        return "{backend: sqlite, path: var/calls.sqlite}"
    return f'{{backend: postgresql, dsn: "{request.getfixturevalue("postgres_dsn")}"}}'


async def open_store(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> TicketStore:
    if kind == "sqlite":
        return await SqliteTicketStore(tmp_path / "calls.sqlite").open()
    return await PgTicketStore.connect(request.getfixturevalue("postgres_dsn"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TicketStore]:
    s = await open_store(request, tmp_path, request.param)
    await s.save_tickets(TICKETS)
    yield s
    await s.close()


async def stats_of(store: TicketStore, department: str, *ask: str):  # type: ignore[no-untyped-def]
    from apps.accounting.rules import AccountingRules

    since, until = stats_period(PARIS, *ask)
    return await department_stats(store, AccountingRules(), department, since, until)


async def test_a_month_by_direction_category_and_local_hour(store: TicketStore) -> None:
    s = await stats_of(store, MIPS, "2027-01", "", "", "")
    assert s.total == StatCounts(6, 5, 555, Decimal("1.6700"))
    assert dict(s.directions) == {
        "outgoing": StatCounts(3, 2, 420, Decimal("1.6700")),
        "incoming": StatCounts(2, 2, 105, Decimal(0)),
        "internal": StatCounts(1, 1, 30, Decimal(0)),
    }
    assert dict(s.dispositions) == {"answered": 5, "no_answer": 1}
    assert [(k, c.calls) for k, c in s.destinations] == [
        ("international", 1),
        ("mobile", 1),
        ("national", 1),
    ]
    assert s.busiest_hours == (9, 0, 14)  # Paris hours, not UTC
    assert s.hours[9] == 3 and sum(s.hours) == 6


async def test_days_ranges_and_departments(store: TicketStore) -> None:
    assert (await stats_of(store, MIPS, "", "2027-01-12", "", "")).total.calls == 3
    ranged = await stats_of(store, MIPS, "", "", "2027-01-13", "2027-01-14")
    assert ranged.total.calls == 2
    feb = await stats_of(store, MIPS, "2027-02", "", "", "")
    assert feb.total == StatCounts(1, 1, 10, Decimal(0))
    scol = await stats_of(store, SCOL, "2027-01", "", "", "")
    assert scol.total == StatCounts(2, 1, 200, Decimal("0.0900"))
    assert dict(scol.dispositions) == {"answered": 1, "busy": 1}
    since, until = stats_period(PARIS, "2027-01", "", "", "")
    assert await store.departments(since, until) == [MIPS, SCOL]


async def test_kept_days_follow_saved_tickets_and_retention(store: TicketStore) -> None:
    """A month's days are kept once summed; a ticket saved (new, or rebuilt into another
    department or day) makes its days be summed again; retention forgets them."""
    assert (await stats_of(store, MIPS, "2027-01", "", "", "")).total.calls == 6
    await store.save_tickets([call("m8", (2027, 1, 12, 11, 0), "internal", MIPS, talk=5)])
    again = await stats_of(store, MIPS, "2027-01", "", "", "")
    assert again.total.calls == 7 and again.hours[11] == 1
    moved = call("m1", (2027, 1, 25, 15, 0), "outgoing", SCOL, category="mobile", talk=9)
    await store.save_tickets([moved])  # m1 rebuilt: another department, another day
    mips = await stats_of(store, MIPS, "2027-01", "", "", "")
    assert mips.total.calls == 6 and mips.hours[9] == 2
    assert (await stats_of(store, MIPS, "", "2027-01-12", "", "")).total.calls == 3
    scol = await stats_of(store, SCOL, "2027-01", "", "", "")
    assert scol.total.calls == 3 and dict(scol.categories)["mobile"].talk_seconds == 9
    await store.apply_retention(datetime(2027, 2, 20, tzinfo=PARIS), None, 1, 7)
    gone = await stats_of(store, MIPS, "2027-01", "", "", "")
    assert (
        gone.total.calls == 0
    )  # its tickets before 20 January deleted, their days too (cut: 20 January 23:00 UTC)
    assert (await stats_of(store, SCOL, "2027-01", "", "", "")).total.calls == 1  # m1
    assert (await stats_of(store, MIPS, "2027-02", "", "", "")).total.calls == 1


def cli_config(folder: Path, storage: str) -> Path:
    folder.mkdir()
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    (folder / "autocom.yaml").write_text(
        "timezone: Europe/Paris\nsite: site.yaml\nstate: {path: state.sqlite}\n"
        "rules: {accounting: accounting.yaml}\n"
    )
    (folder / "accounting.yaml").write_text(f"backlog: cel.sqlite.db\nstorage: {storage}\n")
    config = load_config(folder / "autocom.yaml", [AccountingFeature()])
    rules = rules_of(config)
    assert rules is not None

    async def fill() -> None:
        s = await open_ticket_store(config, rules)
        await s.save_tickets(TICKETS)
        await s.close()

    asyncio.run(fill())
    return folder / "autocom.yaml"


def test_cli_stats_text_json_and_every_department(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_config(tmp_path / "cli", backend)

    def run(*args: str) -> str:
        assert main(["-c", str(path), *args], [AccountingFeature()]) == 0
        return capsys.readouterr().out

    out = run("accounting", "stats", "--department", MIPS, "--month", "2027-01", "--json")
    body = json.loads(out)
    assert (body["calls"], body["answered"], body["unanswered"]) == (6, 5, 1)
    assert body["directions"]["outgoing"]["cost"] == "1.6700"
    assert body["busiest_hours"] == [9, 0, 14]
    text = run("calls", "stats", "--department", MIPS, "--from", "2027-01-12", "--to", "2027-01-12")
    assert text.splitlines()[0] == f"department {MIPS}: 2027-01-12 to 2027-01-12"
    assert re.search(r"outgoing +2 +2 +0 +0:07:00 +0:03:30 +1\.6700 EUR", text), text
    table = run("accounting", "stats", "--month", "2027-01").splitlines()
    assert [line.split()[-9:-8] for line in table[1:]] == [["6"], ["2"]]
    assert table[1].startswith(MIPS) and table[2].startswith(SCOL)
    every = json.loads(run("accounting", "stats", "--month", "2027-01", "--json"))
    assert [(d["department"], d["calls"]) for d in every] == [(MIPS, 6), (SCOL, 2)]


def test_cli_refuses_a_bad_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cli_config(tmp_path / "cli", "{backend: sqlite, path: var/calls.sqlite}")
    code = main(
        ["-c", str(path), "accounting", "stats", "--month", "janvier"], [AccountingFeature()]
    )
    assert code == 2
    assert "write a month like 2027-01" in capsys.readouterr().err


@dataclass
class Portal:
    base: str


@pytest.fixture
async def portal(backend: str, tmp_path: Path) -> AsyncIterator[Portal]:
    """The assembled server on examples/ with accounting (this backend) and the
    tickets above, the clock on 20 January 2027."""
    config = portal_config(tmp_path / "config", secure_cookies=False)
    (config.parent / "accounting.yaml").write_text(f"backlog: var/cel.sqlite\nstorage: {backend}\n")
    config.write_text(
        config.read_text().replace("rules:\n", "rules:\n  accounting: accounting.yaml\n")
    )
    feats = features()
    clock = Clock("Europe/Paris", pinned=datetime(2027, 1, 20, 10, 0))
    async with running(config, feats, clock=clock, agi_port=0, http_port=0, watch=False):
        acc = next(f for f in feats if isinstance(f, AccountingFeature))
        assert acc.service is not None
        await acc.service.store.save_tickets(TICKETS)
        port = next(f for f in feats if isinstance(f, PortalFeature)).port
        yield Portal(f"http://127.0.0.1:{port}")


async def get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, str]:
    async with http.get(url, params=params) as reply:
        return reply.status, await reply.text()


async def test_department_admin_sees_its_own_department_only(portal: Portal) -> None:
    async with client() as http:
        page = await login(http, portal.base, "cdir")
        assert 'href="/stats"' in page  # in the menu
        status, page = await get(http, f"{portal.base}/stats")  # this month, its department
        assert status == 200 and "Statistiques d&#x27;appels" in page
        assert f"{MIPS} : 01/01/2027 - 31/01/2027" in page.replace("&#x27;", "'")
        assert '<th scope="row">Tous</th><td>6</td><td>5</td><td>1</td>' in page
        assert '<th scope="row">Sortants</th><td>3</td><td>2</td><td>1</td>' in page
        assert "Heures les plus chargées : 09h, 00h, 14h" in page
        assert SCOL not in page  # not even in the department list
        status, page = await get(http, f"{portal.base}/stats", department=MIPS, day="2027-01-12")
        assert status == 200 and '<th scope="row">Tous</th><td>3</td>' in page
        for tampered in (SCOL, "", "Laboratoire MIPS ", "*"):
            status, page = await get(http, f"{portal.base}/stats", department=tampered or " ")
            assert status == 403 and "Accès refusé." in page, tampered
        status, page = await get(http, f"{portal.base}/stats", department=MIPS, month="2027-13")
        assert status == 400 and "write a month like 2027-01" in page


async def test_admin_sees_every_department_and_other_roles_none(portal: Portal) -> None:
    async with client() as http:
        await login(http, portal.base, "root")
        status, page = await get(http, f"{portal.base}/stats", department=SCOL, month="2027-01")
        assert status == 200 and '<th scope="row">Tous</th><td>2</td><td>1</td>' in page
        assert f'<option value="{MIPS}">' in page and f'<option value="{SCOL}" selected>' in page
        http.cookie_jar.update_cookies({"portal_lang": "en"})
        status, page = await get(http, f"{portal.base}/stats", department=MIPS)
        assert status == 200 and '<th scope="row">Outgoing</th><td>3</td>' in page
        assert "Busiest hours : 09h, 00h, 14h" in page
    for name in ("smartin", "lbernard", "hmoreau"):
        async with client() as http:
            await login(http, portal.base, name)
            status, _ = await get(http, f"{portal.base}/stats", department=MIPS)
            assert status == 403, name


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_damaged_ticket_store_is_said_not_a_500(portal: Portal, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "config" / "var" / "calls.sqlite") as db:
        db.execute("DROP TABLE stats_days")  # what a damaged or half-migrated file gives
    async with client() as http:
        await login(http, portal.base, "cdir")
        status, page = await get(http, f"{portal.base}/stats", month="2027-01")
    assert status == 503 and "ticket store: no such table: stats_days" in page
    assert 'id="department"' in page  # the form is still there


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_department_admin_reads_its_page_in_chromium(
    portal: Portal, chrome: WebDriver
) -> None:
    """Keyboard only: log in, Tab to the statistics link, Enter; type a day, Enter."""
    browser = Browser(chrome, portal.base)
    await browser.login("cdir")

    def tab_to(d: WebDriver, target: str) -> None:
        for _ in range(20):
            d.switch_to.active_element.send_keys(Keys.TAB)
            active = d.switch_to.active_element
            href = active.get_attribute("href") or ""
            if href.endswith(target) or active.get_attribute("id") == target:
                return
        raise AssertionError(f"no {target} within 20 tabs")

    def open_stats(d: WebDriver) -> None:
        tab_to(d, "/stats")
        d.switch_to.active_element.send_keys(Keys.ENTER)

    await browser.submit(open_stats)
    heading = await browser.do(lambda d: d.find_element(By.TAG_NAME, "h1").text)
    assert heading == "Statistiques d'appels"
    assert (await browser.text("period")).startswith(MIPS)

    def ask_day(d: WebDriver) -> None:
        tab_to(d, "month")
        d.switch_to.active_element.clear()
        d.switch_to.active_element.send_keys(Keys.TAB, "2027-01-12", Keys.ENTER)

    await browser.submit(ask_day)
    rows = await browser.do(
        lambda d: [r.text for r in d.find_elements(By.CSS_SELECTOR, "#directions tr")]
    )
    assert rows[1].split()[:4] == ["Tous", "3", "3", "0"], rows
    assert "Heures les plus chargées : 09h, 17h" in await browser.text("busiest")
    await browser.shot("stats")


async def kept_days_of(request: pytest.FixtureRequest, tmp_path: Path) -> set[tuple[str, str]]:
    """(department, local day) of every kept day, read beside the store."""
    sql = "SELECT department, day_start FROM stats_days"
    if "sqlite" in request.node.callspec.id:
        with sqlite3.connect(tmp_path / "calls.sqlite") as db:
            rows = db.execute(sql).fetchall()
    else:
        conn = await asyncpg.connect(request.getfixturevalue("postgres_dsn"))
        rows = [tuple(r) for r in await conn.fetch(sql)]
        await conn.close()
    return {(d, f"{datetime.fromtimestamp(t, PARIS):%Y-%m-%d}") for d, t in rows}


async def test_a_batch_forgets_the_days_of_its_tickets_and_keeps_the_others(
    store: TicketStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await stats_of(store, MIPS, "2027-01", "", "", "")
    await stats_of(store, SCOL, "2027-01", "", "", "")
    january = {(d, f"2027-01-{n:02d}") for d in (MIPS, SCOL) for n in range(1, 32)}
    assert await kept_days_of(request, tmp_path) == january
    batch = [
        call("m9", (2027, 1, 14, 0, 0), "internal", MIPS, talk=5),  # the 14th's first instant
        call("m10", (2027, 1, 14, 18, 0), "internal", MIPS, talk=5),
        call("m3", (2027, 1, 20, 14, 5), "outgoing", MIPS, category="mobile"),  # was the 13th
        call("s3", (2027, 1, 31, 23, 59), "incoming", SCOL, talk=7),
    ]
    await store.save_tickets(batch)
    forgotten = {(MIPS, "2027-01-13"), (MIPS, "2027-01-14"), (MIPS, "2027-01-20")}
    forgotten.add((SCOL, "2027-01-31"))
    assert await kept_days_of(request, tmp_path) == january - forgotten
    mips = await stats_of(store, MIPS, "2027-01", "", "", "")
    assert mips.total.calls == 8 and mips.hours[0] == 2 and mips.hours[18] == 1
    assert (await stats_of(store, MIPS, "", "2027-01-13", "", "")).total.calls == 0
    assert (await stats_of(store, SCOL, "2027-01", "", "", "")).total.calls == 3
    assert await kept_days_of(request, tmp_path) == january


async def test_sqlite_reads_once_per_batch_not_once_per_ticket(tmp_path: Path) -> None:
    store = await SqliteTicketStore(tmp_path / "calls.sqlite").open()
    await store.save_tickets(TICKETS)
    await stats_of(store, MIPS, "2027-01", "", "", "")
    statements: list[str] = []
    await store._run(store.db.set_trace_callback, statements.append)
    rebuilt = [replace(t, end=t.end + 1) for t in TICKETS]
    new = [call(f"n{i}", (2027, 1, 12, 8, i), "internal", MIPS) for i in range(30)]
    await store.save_tickets([*rebuilt, *new])
    await store._run(store.db.set_trace_callback, None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # the replaced tickets, the kept days near the batch
    assert (await stats_of(store, MIPS, "2027-01", "", "", "")).total.calls == 36
    await store.close()


KEPT_NOTICE = """
CREATE FUNCTION kept_notice() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_notify('kept', NEW.department); RETURN NEW; END $$;
CREATE TRIGGER kept_notice AFTER INSERT ON stats_days FOR EACH ROW EXECUTE FUNCTION kept_notice();
"""  # the test's own: a notice when a day's keeping is committed


async def test_postgresql_saves_go_on_during_a_long_statistics_request(
    request: pytest.FixtureRequest,
) -> None:
    """A year of days summed one transaction (and advisory lock) at a time: a save made
    while the request runs ends before it, and no day is kept stale."""
    dsn = request.getfixturevalue("postgres_dsn")
    store = await PgTicketStore.connect(dsn)
    other = call("o1", (2026, 2, 1, 9, 0), "internal", "Autre")  # February 2026's partition
    await store.save_tickets([*TICKETS, other])
    watch = await asyncpg.connect(dsn)
    await watch.execute(KEPT_NOTICE)
    first_kept = asyncio.Event()
    await watch.add_listener("kept", lambda *_: first_kept.set())
    asking = asyncio.create_task(stats_of(store, MIPS, "", "", "2026-02-01", "2027-01-31"))
    kept_one = asyncio.create_task(first_kept.wait())
    await asyncio.wait([asking, kept_one], return_when=asyncio.FIRST_COMPLETED)
    kept_one.cancel()
    assert not asking.done()  # its first day is kept, 364 to go
    early = call("m20", (2026, 2, 1, 10, 0), "internal", MIPS, talk=3)  # that first day
    late = call("m21", (2027, 1, 30, 10, 0), "internal", MIPS, talk=3)
    await store.save_tickets([early, late])
    assert not asking.done()  # the save did not wait for the whole year
    first = await asking
    assert first.total.calls in (6, 7)  # the early day was summed before the save
    again = await stats_of(store, MIPS, "", "", "2026-02-01", "2027-01-31")
    assert again.total.calls == 8 and again.total.talk_seconds == 555 + 6
    await watch.execute("DELETE FROM stats_days")
    assert await stats_of(store, MIPS, "", "", "2026-02-01", "2027-01-31") == again
    await watch.close()
    await store.close()
