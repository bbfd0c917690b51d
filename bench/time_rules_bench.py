"""Call-rights decision time: a small rule file against 100,000 rule lines, and reloads.

    .venv/bin/python bench/time_rules_bench.py [--decisions 20000]

1. small: the example university file (examples/rights.yaml, about 10 classes
   of a few lines) on the example site;
2. large: 4000 users, each with a class of its own of 25 rule lines (6
   categories x 4 slots + a default: 100,000 lines), assigned per extension;
3. ``ConfigHolder.refresh`` of the large set, as the server runs it (in the
   loader process: ``reload_in`` auto; ``--reload-in thread`` for the thread),
   while decisions go on in the event loop every millisecond: decision latency
   while the reload runs (and 2 s after it), and the loop's lag (how much later
   than asked a 1 ms sleep woke up: a call arriving then waits as long), over the
   whole round and while the reload runs.  First the loader process starts, as
   `autocom serve` starts it with the server (``ConfigHolder.start_loader``: the
   whole config sent; shown, not a reload).  Then with the files unchanged (SIGHUP,
   or another rule file edited: the compiled rights are kept), then with ``--edit``
   after a rule of the large file changed, and after a rule line was added near
   its top (every class below it moves down a line).  Each reload is compared
   with an idle window just before it, the same cases decided in both (``matched``):
   the ratio of the decisions' p50 over all reloads, and the median of each
   reload's own ratio; a control round (no reload: a wait in its place) shows the
   spread of that ratio between two idle windows on this machine.
4. classification alone: the plan's patterns against 100,000 patterns.

Decisions are ``engine.decide`` on random (caller, number, instant) triples,
the same triples for every set.  Prints p50 / p99 / max in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.time_rules import TimeRulesFeature  # noqa: E402
from autocom.config import load_yaml, validate  # noqa: E402
from autocom.loader import load_config  # noqa: E402
from autocom.reload import ConfigHolder  # noqa: E402
from autocom.rights import TimeRules, load_rules  # noqa: E402
from autocom.rights.decision import decide  # noqa: E402
from autocom.rights.patterns import Pattern, PatternIndex  # noqa: E402
from autocom.site.model import Site  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
NUMBERS = [
    "00140000000",  # national
    "00612345678",  # mobile
    "0000441234567",  # international
    "00899123456",  # premium
    "00800123456",  # special
    "03456",  # short
    "0112",  # emergency
    "2002",  # internal
    "0123",  # other
]
SLOTS = """
slots:
  office_hours: {weekdays: mon-fri, hours: ["08:00-12:30", "13:30-18:00"]}
  night: {hours: "20:00-07:00"}
  weekend: {weekdays: [sat, sun]}
  public_holidays: {holidays: true}
  closure: {dates: ["2026-12-24..2027-01-01", "2027-08-02..2027-08-20"]}
  working: {all_of: [office_hours], not: [public_holidays, closure]}
  lunch: {hours: "12:30-13:30"}
  evening: {hours: "18:00-20:00"}
  summer: {dates: "07-14..08-31"}
  exams: {dates: "2027-06-01..2027-06-30"}
"""
CATEGORIES = ["national", "mobile", "international", "special", "premium", "short"]
SLOT_NAMES = ["office_hours", "night", "weekend", "public_holidays", "closure", "working",
              "lunch", "evening", "summer", "exams"]  # fmt: skip
VERDICTS = ["allow", "deny", "pin"]


def autocom_yaml(site: Path, rights: Path, reload_in: str = "auto") -> Path:
    path = site.parent / "autocom.yaml"
    path.write_text(
        f"site: {site.name}\nreload_in: {reload_in}\nrules:\n  time_rules: {rights.name}\n"
    )
    return path


def large_files(folder: Path, users: int = 4000) -> tuple[Path, Path]:
    rnd = random.Random(7)
    site = ["name: bench", "contexts:",
            f"  - {{name: staff, users: ['{10000}-{10000 + users - 1}'], include: [out]}}",
            "  - {name: out, kind: outgoing, line_prefix: '0', trunks: [t]}",
            "users:"]  # fmt: skip
    rights = ["holidays: {country: FR, subdivision: '57'}", SLOTS, "classes:"]
    assign = ["assign:", "  extensions:"]
    for i in range(users):
        ext = str(10000 + i)
        site.append(f"  - {{extension: '{ext}', name: U{i}, context: staff}}")
        rights.append(f"  c{i}:")
        for cat in CATEGORIES:
            rights.append(f"    {cat}:")
            for slot in rnd.sample(SLOT_NAMES, 4):
                rights.append(f"      {slot}: {rnd.choice(VERDICTS)}")
        rights.append(f"    default: {rnd.choice(VERDICTS)}")
        assign.append(f"    '{ext}': c{i}")
    site_path = folder / "site.yaml"
    rights_path = folder / "rights.yaml"
    site_path.write_text("\n".join(site) + "\n", encoding="utf-8")
    rights_path.write_text("\n".join(rights + assign) + "\n", encoding="utf-8")
    return site_path, rights_path


def rule_lines(rules: TimeRules) -> int:
    return sum(len(lines) for c in rules.classes.values() for lines in c.calls.values()) + sum(
        len(c.call_default) for c in rules.classes.values()
    )


def triples(callers: list[str], n: int) -> list[tuple[str, str, datetime]]:
    rnd = random.Random(1)
    start = datetime(2026, 11, 1, tzinfo=PARIS)
    return [
        (
            rnd.choice(callers),
            rnd.choice(NUMBERS),
            start + timedelta(minutes=rnd.randrange(365 * 24 * 60)),
        )
        for _ in range(n)
    ]


def measure(rules: TimeRules, site: Site, cases: list[tuple[str, str, datetime]]) -> list[float]:
    out = []
    for caller, number, when in cases:
        t0 = time.perf_counter()
        decide(rules, site, caller, number, when)
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def many_patterns(count: int) -> list[Pattern]:
    """``count`` distinct patterns: 8-digit prefixes under 03 and 04, some with sets."""
    rnd = random.Random(3)
    texts: set[str] = set()
    while len(texts) < count:
        digits = f"0{rnd.choice('34')}{rnd.randrange(10**6):06d}"
        texts.add(f"_{digits[:5]}[{digits[5]}-9]XX." if rnd.random() < 0.2 else digits)
    return [Pattern.parse(t) for t in sorted(texts)]


def classify_cost(rules: TimeRules, numbers: list[str]) -> None:
    """A number's most specific pattern: the plan's patterns vs 100,000 patterns."""
    plan = [e.pattern for e in rules.categories.external]
    big = plan + many_patterns(100_000)
    rnd = random.Random(5)
    cases = [rnd.choice(numbers)[1:] for _ in range(20000)]
    cases += [f"03{rnd.randrange(10**8):08d}" for _ in range(20000)]
    p50s = []
    for name, patterns in ((f"{len(plan)} patterns", plan), (f"{len(big)} patterns", big)):
        t0 = time.perf_counter()
        index = PatternIndex(patterns)
        built = time.perf_counter() - t0
        for number in cases:  # warm up: the states a number meets are built once
            index.best(number)
        out = []
        for number in cases:
            t1 = time.perf_counter()
            index.best(number)
            out.append((time.perf_counter() - t1) * 1e6)
        p50s.append(show(f"classify, {name} (index {built:.2f} s)", out))
    print(f"100,000 patterns / plan p50: {p50s[1] / p50s[0]:.2f}x")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def show(name: str, values: list[float]) -> float:
    p50 = statistics.median(values)
    print(
        f"{name:34} n={len(values):6}  p50 {p50:7.1f} us  p99 {pct(values, 0.99):7.1f} us  "
        f"max {max(values):8.1f} us"
    )
    return p50


@dataclass
class Ticks:
    """Decision times (us) and loop lags (ms, beyond the 1 ms asked for), each with
    whether the reload was still running; and which case each decision was."""

    latencies: list[tuple[float, bool]] = field(default_factory=list)
    lags: list[tuple[float, bool]] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)  # beside ``latencies``

    def of(self, values: list[tuple[float, bool]], during: bool | None) -> list[float]:
        return [v for v, busy in values if during is None or busy == during]

    def busy_cases(self) -> dict[int, float]:
        """Case -> its decision's time, of the decisions made while reloading."""
        return {i: v for (v, busy), i in zip(self.latencies, self.cases, strict=True) if busy}


def matched(idle: dict[int, float], busy: dict[int, float]) -> tuple[list[float], list[float]]:
    """The decision times of the cases decided both idle and while reloading: each
    window decides the same cases from the first, but a reload is shorter than the
    idle window, and cases differ in cost (class, category, slots)."""
    both = idle.keys() & busy.keys()
    return [idle[i] for i in both], [busy[i] for i in both]


async def during_reload(
    reload: Callable[[], Awaitable[object]],
    settled: Callable[[], Awaitable[object]],
    site: Site,
    rules: TimeRules,
    cases: list[tuple[str, str, datetime]],
) -> tuple[Ticks, float]:
    """Decisions every 1 ms in the loop while ``reload`` runs, as the server runs
    ``ConfigHolder.refresh`` on a file change or SIGHUP, then while the config it
    replaced is let go of (``settled``: the reload is still running), and 2 s after.
    Returns the ticks and the time until the swap."""
    ticks = Ticks()
    done = asyncio.Event()
    reloading = True

    async def reloader() -> float:
        nonlocal reloading
        t0 = time.perf_counter()
        try:
            await reload()
            elapsed = time.perf_counter() - t0
            await settled()  # the replaced config let go of: part of the reload
            reloading = False
            await asyncio.sleep(2)  # and the loop's own collections in the 2 s after it
        finally:
            done.set()  # a failed load ends the measurement (and the task raises)
        return elapsed

    task = asyncio.create_task(reloader())
    i = 0
    last = time.perf_counter()
    while not done.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        ticks.lags.append(((now - last) * 1e3 - 1.0, reloading))
        caller, number, when = cases[i % len(cases)]
        t0 = time.perf_counter()
        decide(rules, site, caller, number, when)
        _garbage = [{"call": j} for j in range(100)]  # a hook allocates too
        ticks.latencies.append(((time.perf_counter() - t0) * 1e6, reloading))
        ticks.cases.append(i % len(cases))
        last = time.perf_counter()
        i += 1
    elapsed = await task
    return ticks, elapsed


async def reload_rounds(
    holder: ConfigHolder,
    rights_path: Path,
    site: Site,
    rules: TimeRules,
    edit: bool,
    repeat: int = 1,
) -> None:
    """A reload with the files unchanged (SIGHUP, another rule file edited), then,
    with ``edit``, one after a rule of the large rights file changed, and one after
    a rule line was added near its top (every class below moves down a line); each
    ``repeat`` times (another rule, another line), the ticks of all put together.

    The first round is the control: no reload, a 0.2 s wait in its place, measured
    as the reloads are: the ratio it gives is this machine's own spread between two
    idle windows (decisions after a 1 ms sleep cost 20 to 70 us here from one
    second to the next, the same cases in the same process)."""
    cases = triples([u.extension for u in site.users], 5000)
    rounds: list[tuple[str, Callable[[int], object], Callable[[], Awaitable[object]]]] = [
        ("idle, no reload", lambda n: None, lambda: asyncio.sleep(0.2)),
        ("same files", lambda n: None, holder.refresh),
    ]
    if edit:
        rounds.append(("rights.yaml edited", lambda n: _edit(rights_path), holder.refresh))
        rounds.append(("rule line added", lambda n: _add_line(rights_path, n), holder.refresh))
    for name, prepare, reload in rounds:
        before = holder.reloads
        ticks, times = Ticks(), []
        idle_side: list[float] = []
        busy_side: list[float] = []
        ratios: list[float] = []  # each reload's against the idle window just before it
        for n in range(repeat):
            prepare(n)  # the admin's edit, before the measured round (not the server's)
            # the same decisions just before, idle: the machine's own drift between
            # rounds (up to 2x here) is then in both sides of the ratio
            idle, _ = await during_reload(_idle, lambda: asyncio.sleep(0), site, rules, cases)
            got, elapsed = await during_reload(reload, holder.settled, site, rules, cases)
            pair = matched(idle.busy_cases(), got.busy_cases())
            idle_side += pair[0]
            busy_side += pair[1]
            if pair[0]:
                ratios.append(statistics.median(pair[1]) / statistics.median(pair[0]))
            ticks.latencies += got.latencies
            ticks.lags += got.lags
            times.append(elapsed)
        if holder.reloads != before:
            done = ", ".join(f"{t:.3f}" for t in times)
            print(f"reload, {name}: done in {done} s")
        show(f"decide, 1 ms ticks ({name})", ticks.of(ticks.latencies, None))
        show_lag(f"loop lag ({name})", ticks.of(ticks.lags, None))
        if busy_side:  # none: each reload done within a tick
            show(f"decide while reloading ({name})", ticks.of(ticks.latencies, True))
            during = show("  the cases also decided just before", busy_side)
            just_before = show("  the same cases just before, idle", idle_side)
            print(
                f"decide while reloading / just before: {during / just_before:.2f}x; "
                f"median of the {len(ratios)} reloads' own: {statistics.median(ratios):.2f}x "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
            show_lag(f"loop lag while reloading ({name})", ticks.of(ticks.lags, True))


async def _idle() -> None:
    """An idle window as long as a reload of the large set (0.5 s), nothing running."""
    await asyncio.sleep(0.5)


async def reloads(
    holder: ConfigHolder, rights_path: Path, site: Site, rules: TimeRules, args: Any
) -> None:
    """The reload rounds in one event loop (the loader process is the loop's child)."""
    cases = triples([u.extension for u in site.users], 5000)
    # as `autocom serve` does when it starts, the loader process starts and sends the
    # whole config (a thread: nothing to start); the config loaded at start is let go of
    ticks, elapsed = await during_reload(holder.start_loader, holder.settled, site, rules, cases)
    print(f"loader started (reload_in: {args.reload_in}): {elapsed:.2f} s")
    show("decide while the loader starts", ticks.of(ticks.latencies, True))
    show_lag("loop lag while the loader starts", ticks.of(ticks.lags, True))
    try:
        await reload_rounds(holder, rights_path, site, rules, args.edit, args.repeat)
    finally:
        await holder.close()


def show_lag(name: str, lag: list[float]) -> None:
    print(
        f"{name}: p50 {statistics.median(lag):.2f} ms, "
        f"p99 {pct(lag, 0.99):.2f} ms, max {max(lag):.2f} ms"
    )


def _edit(rights_path: Path) -> None:
    """One rule line of the large file changed (parsed and compiled again)."""
    _replace(rights_path, "default: deny", "default: pin")


def _add_line(rights_path: Path, n: int = 0) -> None:
    """A rule line added to class c<n+1>: the classes below it move down a line."""
    key = f"  c{n + 1}:\n"
    _replace(rights_path, key, f"{key}    internal: allow\n")


def _replace(path: Path, old: str, new: str) -> None:
    """``old``'s first occurrence in ``path`` replaced by ``new``."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20000)
    parser.add_argument("--classify-only", action="store_true", help="skip the reloads")
    parser.add_argument(
        "--repeat", type=int, default=1, help="each reload round this many times, put together"
    )
    parser.add_argument(
        "--edit", action="store_true", help="also reload after an edit of the large file"
    )
    parser.add_argument(
        "--reload-in", choices=["auto", "process", "thread"], default="auto",
        help="autocom.yaml's reload_in (auto: the loader process for this large set)",
    )  # fmt: skip
    args = parser.parse_args()

    small_site = validate(Site, load_yaml(ROOT / "examples" / "site.yaml"))
    small = load_rules(ROOT / "examples" / "rights.yaml", small_site)
    small_callers = [u.extension for u in small_site.users] + ["2801", "2851"]

    with tempfile.TemporaryDirectory() as tmp:
        site_path, rights_path = large_files(Path(tmp))
        t0 = time.perf_counter()
        large_site = validate(Site, load_yaml(site_path))
        t1 = time.perf_counter()
        large = load_rules(rights_path, large_site)
        t2 = time.perf_counter()
        print(f"small: {rule_lines(small)} rule lines, {len(small.classes)} classes")
        print(
            f"large: {rule_lines(large)} rule lines, {len(large.classes)} classes, "
            f"{len(large_site.users)} users; site load {t1 - t0:.2f} s, "
            f"rights load+compile {t2 - t1:.2f} s"
        )
        large_callers = [u.extension for u in large_site.users]

        # warm up (holiday years, caches)
        measure(small, small_site, triples(small_callers, 2000))
        measure(large, large_site, triples(large_callers, 2000))
        small_p50 = show(
            "decide, small set", measure(small, small_site, triples(small_callers, args.decisions))
        )
        large_p50 = show(
            "decide, large set", measure(large, large_site, triples(large_callers, args.decisions))
        )
        print(f"large / small p50: {large_p50 / small_p50:.2f}x")
        classify_cost(small, NUMBERS)
        if args.classify_only:
            return 0

        features = [TimeRulesFeature()]
        main_yaml = autocom_yaml(site_path, rights_path, args.reload_in)
        holder = ConfigHolder(load_config(main_yaml, features), features)
        asyncio.run(reloads(holder, rights_path, large_site, large, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
