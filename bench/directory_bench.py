"""Directory benchmark: a private slapd with 100,000 people, autocom's directory on it.

Measures, with the real LDAP source (ldap3 in a thread pool, paged search):

1. search latency (16 results, name terms) uncached, then cached (state store);
2. lookup latency by number (any spelling), uncached then cached;
3. 50 phones searching at once over HTTP (Yealink XML) against the real server,
   different terms, then all keying the same prefix at the same moment.

Run:  .venv/bin/python bench/directory_bench.py [--people 100000] [--searches 300]
      [--no-search-key]   (the substring filters a site without autocomSearchKey gets)
Prints p50/p99 in milliseconds.  Needs slapd/slapadd (Debian 12 OpenLDAP 2.5).
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
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.directory import DirectoryFeature
from apps.directory.compile import load_rules
from apps.directory.service import DirectoryService
from autocom.app import running
from autocom.config.model import validate
from autocom.config.yaml_source import parse_yaml
from autocom.directory import parse_term
from autocom.directory.text import fold
from autocom.site.model import Site
from autocom.store.sqlite_store import SqliteStore
from tests.support.slapd import SEARCH_KEY, Person, Slapd, generate_people

SITE = "name: bench\ncontexts: [{name: staff, users: '2001-2009'}]\n"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"{label:<44} n={len(ms):<5} p50={pct(ms, 50):7.2f} ms  p99={pct(ms, 99):7.2f} ms"
        f"  mean={statistics.fmean(ms):7.2f} ms"
    )


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


def write_config(folder: Path, slapd: Slapd, search_key: bool) -> Path:
    attributes = {"search_key": SEARCH_KEY} if search_key else {}  # {}: inetOrgPerson
    (folder / "site.yaml").write_text(SITE, encoding="utf-8")
    (folder / "directory.yaml").write_text(
        f"""
numbers:
  extension_dids: [{{prefix: "+33388", length: 6}}]
sources:
  - type: site
  - {slapd.source_yaml(timeout=5, attributes=attributes)}
phones: {{allow: [127.0.0.0/8], page_size: 16, timeout: 10}}
""",
        encoding="utf-8",
    )
    (folder / "autocom.yaml").write_text(
        "site: site.yaml\nstate: {path: state.sqlite}\nrules: {directory: directory.yaml}\n",
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


def terms_for(people: list[Person], count: int, rng: random.Random) -> list[str]:
    """Realistic terms: a family name (unique suffix), sometimes with the first name."""
    out = []
    for _ in range(count):
        p = rng.choice(people)
        term = fold(p.sn)
        if rng.random() < 0.3:
            term += " " + fold(p.given_name)[:3]
        out.append(term)
    return out


async def bench_service(folder: Path, slapd: Slapd, args: argparse.Namespace) -> None:
    rng = random.Random(8)
    site = validate(Site, parse_yaml(SITE, "site.yaml"))
    rules = load_rules(folder / "directory.yaml", site)
    store = await SqliteStore.open(folder / "bench.sqlite")
    service = DirectoryService(rules, store)
    await service.start()
    try:
        terms = terms_for(slapd.people, args.searches, rng)
        await service.search(terms[0], 16)  # connections opened

        uncached = [
            await timed(lambda t=t: service.search_query(parse_term(t), 16, 0, use_cache=False))  # type: ignore[misc]
            for t in terms
        ]
        report("search, uncached (LDAP, 16 results)", uncached)
        for t in terms:  # fill the cache
            await service.search(t, 16)
        cached = [await timed(lambda t=t: service.search(t, 16)) for t in terms]  # type: ignore[misc]
        report("search, cached (state store)", cached)

        browse = [
            await timed(lambda o=o: service.search_query(parse_term(""), 16, o, use_cache=False))  # type: ignore[misc]
            for o in (0, 160, 1600, 9984)
        ]
        print("browse all, offsets 0/160/1600/9984 (ms):",
              " ".join(f"{b * 1000:.1f}" for b in browse))  # fmt: skip

        people = [rng.choice(slapd.people) for _ in range(args.searches)]
        numbers = [p.office[0] if rng.random() < 0.5 else "0" + p.office[0][4:].replace(" ", "")
                   for p in people]  # fmt: skip
        look_uncached = [
            await timed(lambda n=n: service.lookup(n, use_cache=False))  # type: ignore[misc]
            for n in numbers
        ]
        report("lookup by number, uncached (LDAP)", look_uncached)
        for n in numbers:
            await service.lookup(n)
        look_cached = [await timed(lambda n=n: service.lookup(n)) for n in numbers]  # type: ignore[misc]
        report("lookup by number, cached", look_cached)
        keypad = [await timed(lambda d=d: service.search_keypad(d, 16))  # type: ignore[misc]
                  for d in ("5333", "3876", "427", "6635", "24")]  # fmt: skip
        print("keypad search uncached 5333/3876/427/6635/24 (ms):",
              " ".join(f"{k * 1000:.1f}" for k in keypad))  # fmt: skip
    finally:
        await service.close()
        await store.close()


async def bench_phones(config: Path, slapd: Slapd, args: argparse.Namespace) -> None:
    rng = random.Random(50)
    async with running(config, [DirectoryFeature()], agi_port=0, http_port=0, watch=False) as srv:
        base = f"http://127.0.0.1:{srv.http_port}/directory/yealink"
        latencies: list[float] = []
        errors = 0

        async def phone(session: aiohttp.ClientSession, terms: list[str]) -> None:
            nonlocal errors
            for term in terms:
                started = time.perf_counter()
                async with session.get(base, params={"term": term}) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        for label in ("uncached", "cached (same terms again)"):
            if label == "uncached":
                plan = [terms_for(slapd.people, args.per_phone, rng) for _ in range(args.phones)]
            latencies.clear()
            errors = 0
            async with aiohttp.ClientSession() as session:
                started = time.perf_counter()
                await asyncio.gather(*(phone(session, terms) for terms in plan))
                wall = time.perf_counter() - started
            report(f"{args.phones} phones over HTTP, {label}", latencies)
            print(f"    {len(latencies)} requests in {wall:.2f} s = "
                  f"{len(latencies) / wall:.0f} req/s, errors {errors}")  # fmt: skip

        # every phone keys the same prefix at the same moment (one LDAP search
        # per prefix when identical searches in flight are shared)
        latencies.clear()
        errors = 0
        prefixes = ["l", "le", "lef", "lefe", "lefev", "lefevr", "lefevre"]
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            for prefix in prefixes:
                await asyncio.gather(*(phone(session, [prefix]) for _ in range(args.phones)))
            wall = time.perf_counter() - started
        report(f"{args.phones} phones typing the same prefix", latencies)
        print(f"    {len(latencies)} requests in {wall:.2f} s = "
              f"{len(latencies) / wall:.0f} req/s, errors {errors}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--per-phone", type=int, default=10)
    parser.add_argument(
        "--no-search-key",
        action="store_true",
        help="search with substring filters on the name attributes (no autocomSearchKey)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autocom-dirbench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        slapd = Slapd(folder / "slapd", generate_people(args.people))
        slapd.load()
        print(f"slapadd of {args.people} people: {time.perf_counter() - started:.1f} s")
        with slapd:
            config = write_config(folder, slapd, not args.no_search_key)
            print("name and keypad searches:",
                  "substring filters (no search key)" if args.no_search_key
                  else f"the indexed {SEARCH_KEY} attribute")  # fmt: skip
            await bench_service(folder, slapd, args)
            await bench_phones(config, slapd, args)


if __name__ == "__main__":
    asyncio.run(main())
