"""Merging sources: order, deduplication, paging at the source, a failing source."""

from __future__ import annotations

from autocom.directory import (
    Directory,
    Entry,
    Number,
    NumberPlan,
    Query,
    SourceResult,
    SourceUnavailable,
    parse_term,
)
from autocom.directory.memory import MemorySource

PLAN = NumberPlan(did_aliases=(("+33389336001", "2001"),))


def person(source: str, name: str, first: str, *numbers: str, **more: str) -> Entry:
    nums = tuple(Number("office", n, PLAN.canonical(n)) for n in numbers)
    return Entry(source, f"{name}-{first}", name, first, nums, **more)


class CountingSource(MemorySource):
    """A memory source that records how many entries each search asked for."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.asked: list[int] = []

    async def search(self, query: Query, want: int) -> SourceResult:
        self.asked.append(want)
        return await super().search(query, want)


class DownSource:
    """A fake source that is always down (the fault an LDAP outage shows)."""

    name = "down"
    local = False

    async def search(self, query: Query, want: int) -> SourceResult:
        raise SourceUnavailable(self.name, "connection refused")

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]:
        raise SourceUnavailable(self.name, "connection refused")

    async def start(self) -> None: ...

    async def close(self) -> None: ...


async def test_duplicates_are_merged_first_source_wins() -> None:
    site = MemorySource("site", [person("site", "Martin", "Sophie", "2001")], PLAN)
    hr = MemorySource(
        "hr",
        [person("hr", "MARTIN", "Sophie", "03 89 33 60 01", department="Scolarité", title="Resp.")],
        PLAN,
    )
    directory = Directory([site, hr], PLAN)
    page = await directory.search(parse_term("martin"), 10)
    assert len(page.entries) == 1
    merged = page.entries[0]
    assert merged.source == "site" and merged.department == "Scolarité" and merged.title == "Resp."
    entries, degraded = await directory.lookup("+33 3 89 33 60 01")
    assert [e.source for e in entries] == ["site"] and degraded == ()


async def test_namesakes_with_other_numbers_stay_two() -> None:
    a = MemorySource("a", [person("a", "Dupont", "Jean", "0388000001")], PLAN)
    b = MemorySource("b", [person("b", "Dupont", "Jean", "0388000002")], PLAN)
    page = await Directory([a, b], PLAN).search(parse_term("dupont"), 10)
    assert len(page.entries) == 2


async def test_paging_asks_sources_for_no_more_than_needed() -> None:
    people = [person("big", f"Nom{i:04d}", "X", f"03880{i:05d}") for i in range(1000)]
    big = CountingSource("big", people, PLAN)
    directory = Directory([big], PLAN)
    page = await directory.search(Query("all"), limit=16, offset=32)
    assert [e.name for e in page.entries] == [f"Nom{i:04d}" for i in range(32, 48)]
    assert page.more and page.next_offset == 48 and page.previous_offset == 16
    assert page.total is None
    assert big.asked == [49]  # offset + limit + 1, never the 1000
    last = await directory.search(Query("all"), limit=16, offset=992)
    assert len(last.entries) == 8 and not last.more and last.total == 1000


async def test_duplicates_eating_the_page_make_the_next_source_read_more() -> None:
    first = MemorySource("a", [person("a", f"P{i}", "X", f"038800000{i}") for i in range(5)], PLAN)
    dupes = [person("b", f"P{i}", "X", f"038800000{i}") for i in range(5)]
    extra = [person("b", f"Q{i}", "X", f"038800001{i}") for i in range(5)]
    second = CountingSource("b", dupes + extra, PLAN)
    page = await Directory([first, second], PLAN).search(Query("all"), limit=8)
    assert [e.name for e in page.entries] == [*(f"P{i}" for i in range(5)), "Q0", "Q1", "Q2"]
    assert page.more
    assert second.asked[0] == 4 and len(second.asked) >= 2


async def test_a_down_source_is_named_and_the_others_answer() -> None:
    site = MemorySource("site", [person("site", "Martin", "Sophie", "2001")], PLAN)
    directory = Directory([site, DownSource()], PLAN)
    page = await directory.search(parse_term("martin"), 10)
    assert [e.name for e in page.entries] == ["Martin"] and page.degraded == ("down",)
    assert page.total is None
    entries, degraded = await directory.lookup("2001")
    assert len(entries) == 1 and degraded == ("down",)


async def test_lookup_of_garbage_asks_nobody() -> None:
    assert await Directory([DownSource()], PLAN).lookup("*)(uid=*") == ((), ())


async def test_merge_on_extension_and_uid_make_one_person_of_differently_spelt_entries() -> None:
    site = Entry("site", "2001", "Le Gall", "Anne", (Number("extension", "2001", "2001"),))
    office = Number("office", "03 89 33 60 01", PLAN.canonical("03 89 33 60 01"))
    hr = Entry("rh", "dn1", "LE GALL-DUPRÉ", "Anne-Marie", (office,), department="Scolarité",
               uid="alegall")  # fmt: skip
    badge = Entry("badges", "l7", "Legall", "A.", (), room="B12", uid="ALEGALL")
    sources = [MemorySource("site", [site], PLAN), MemorySource("rh", [hr], PLAN),
               MemorySource("badges", [badge], PLAN)]  # fmt: skip
    default = await Directory(sources, PLAN).search(Query("all"), 10)
    assert len(default.entries) == 3  # no shared name with a number, no mail: three people
    merged = await Directory(sources, PLAN, ("name_number", "extension", "uid")).search(
        Query("all"), 10
    )
    (one,) = merged.entries
    # the site wins; the DID of 2001 in the HR entry reads as the extension; uid joins the badge
    assert (one.source, one.name, one.department, one.uid, one.room) == (
        "site",
        "Le Gall",
        "Scolarité",
        "alegall",
        "B12",
    )
    found, _ = await Directory(sources, PLAN, ("extension",)).lookup("0389336001")
    assert [e.source for e in found] == ["site"]


async def test_merge_on_extension_keeps_mobiles_apart() -> None:
    a = person("site", "Martin", "Luc", "0612345678")
    b = person("rh", "Durand", "Eve", "0612345678")
    page = await Directory([MemorySource("site", [a], PLAN), MemorySource("rh", [b], PLAN)],
                           PLAN, ("extension",)).search(Query("all"), 10)  # fmt: skip
    assert len(page.entries) == 2  # a shared mobile is no extension
