"""Directory benchmark: a private slapd with 100,000 people, autocom's directory on it.

Two ways to use the same slapd, measured one after the other in one run (same
machine, same load), each with the real server:

- ``ldap``: every search asks slapd (ldap3 in a thread pool, paged search),
  answers cached in the state store;
- ``index``: the LDAP source's ``index:`` (autocom.directory.indexed): every
  entry read into memory at start, searches answered from it.

For each:

1. search latency (16 results, name terms) uncached, then cached (state store);
2. lookup latency by number (any spelling), uncached then cached;
3. 50 phones searching at once over HTTP (Yealink XML) against the real server,
   different terms, then all keying the same prefix at the same moment.

Run:  .venv/bin/python bench/directory_bench.py [--people 100000] [--searches 300]
      [--modes ldap,index] [--no-search-key]   (the substring filters a site
      without autocomSearchKey gets)  [--baseline DIR]   (then the ldap way with
      the autocom of another checkout, e.g. `git archive <commit>` unpacked)
Prints p50/p99 in milliseconds.  Needs slapd/slapadd (Debian 12 OpenLDAP 2.5).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# --baseline DIR runs this script again with DIR's autocom (a checkout from before)
sys.path.insert(0, os.environ.get("AUTOCOM_BENCH_SOURCE") or str(Path(__file__).parents[1]))

from apps.directory import DirectoryFeature
from apps.directory.compile import load_rules
from apps.directory.service import DirectoryService
from autocom.agi.server import new_event_loop
from autocom.app import running
from autocom.config.model import validate
from autocom.config.yaml_source import parse_yaml
from autocom.directory import parse_term
from autocom.directory.text import fold
from autocom.site.model import Site
from autocom.store.sqlite_store import SqliteStore
from tests.support.slapd import SEARCH_KEY, Person, Slapd, generate_people

SOURCE = sys.path[0]  # the checkout whose autocom is measured
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


def write_config(folder: Path, slapd: Slapd, search_key: bool, mode: str) -> Path:
    """autocom.yaml of one mode: ``ldap`` (no index) or ``index``, in its own folder."""
    folder = folder / mode
    folder.mkdir()
    attributes = {"search_key": SEARCH_KEY} if search_key else {}  # {}: inetOrgPerson
    index = {} if mode == "index" else False  # the default, or every search asking slapd
    source = slapd.source_yaml(timeout=5, attributes=attributes, index=index)
    (folder / "site.yaml").write_text(SITE, encoding="utf-8")
    (folder / "directory.yaml").write_text(
        f"""
numbers:
  extension_dids: [{{prefix: "+33388", length: 6}}]
sources:
  - type: site
  - {source}
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


async def loaded(service: DirectoryService) -> None:
    """Wait for the service's indexes (a baseline from before ``index:`` has none)."""
    wait = getattr(service, "wait_loaded", None)
    if wait is not None:
        await wait()


async def bench_service(config: Path, slapd: Slapd, args: argparse.Namespace) -> None:
    rng = random.Random(8)
    site = validate(Site, parse_yaml(SITE, "site.yaml"))
    rules = load_rules(config.parent / "directory.yaml", site)
    store = await SqliteStore.open(config.parent / "bench.sqlite")
    service = DirectoryService(rules, store)
    await service.start()
    try:
        started = time.perf_counter()
        await loaded(service)
        if getattr(service.directory, "local", False):
            print(f"index loaded in {time.perf_counter() - started:.1f} s")
        terms = terms_for(slapd.people, args.searches, rng)
        await service.search(terms[0], 16)  # connections opened

        uncached = [
            await timed(lambda t=t: service.search_query(parse_term(t), 16, 0, use_cache=False))  # type: ignore[misc]
            for t in terms
        ]
        report("search, uncached, 16 results", uncached)
        for t in terms:  # fill the cache
            await service.search(t, 16)
        cached = [await timed(lambda t=t: service.search(t, 16)) for t in terms]  # type: ignore[misc]
        report("search again (ldap: the state store's cache)", cached)

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
        report("lookup by number, uncached", look_uncached)
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


Round = list[list[str]]  # the terms each phone searches, one after the other
Outcome = tuple[list[float], int, float]  # latencies, errors, wall time of a round


class Phone:
    """One phone: a keep-alive HTTP/1.1 connection, one GET at a time.

    A bare client (the request written by hand, the response read by its
    Content-Length) so that the load generator costs little next to the server:
    the phones are other machines on a site.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, target: str) -> int:
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: pbx\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status


async def _phone(host: str, port: int, path: str, terms: list[str]) -> Outcome:
    latencies: list[float] = []
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    phone = Phone(reader, writer)
    try:
        for term in terms:
            started = time.perf_counter()
            errors += await phone.get(f"{path}?{urlencode({'term': term})}") != 200
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
    return latencies, errors, 0.0


async def _phones(base: str, rounds: list[Round]) -> list[Outcome]:
    """Each round: every phone searches its terms at once; an outcome per round."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    out: list[Outcome] = []
    for plans in rounds:
        started = time.perf_counter()
        done = await asyncio.gather(*(_phone(host, port, url.path, terms) for terms in plans))
        wall = time.perf_counter() - started
        out.append(([x for d in done for x in d[0]], sum(d[1] for d in done), wall))
    return out


def phones_process(base: str, rounds: list[Round]) -> list[Outcome]:
    """The phones in a process of their own: the server's loop serves, nothing else."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(_phones(base, rounds))


class Phones:
    """Drives the phones' rounds (in a process of their own unless ``in_process``) and
    reads the server's CPU time around each: its CPU per request, whatever the load."""

    def __init__(self, base: str, in_process: bool) -> None:
        self.base = base
        self.pool = None if in_process else ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"))  # fmt: skip

    async def run(self, rounds: list[Round]) -> tuple[list[Outcome], float]:
        """The outcomes, and the server's CPU seconds (every thread) per request."""
        loop = asyncio.get_running_loop()
        if self.pool is not None:  # the process is started before the clock runs
            await loop.run_in_executor(self.pool, phones_process, self.base, [])
        cpu = time.process_time()
        if self.pool is None:
            results = await _phones(self.base, rounds)
        else:
            results = await loop.run_in_executor(self.pool, phones_process, self.base, rounds)
        requests = sum(len(r[0]) for r in results)
        return results, (time.process_time() - cpu) / max(1, requests)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def report_rounds(label: str, results: list[Outcome], cpu: float) -> None:
    latencies = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    wall = sum(r[2] for r in results)
    report(label, latencies)
    print(f"    {len(latencies)} requests in {wall:.2f} s = {len(latencies) / wall:.0f} req/s,"
          f" server CPU {cpu * 1e6:.0f} µs a request, errors {errors}")  # fmt: skip


async def bench_phones(config: Path, slapd: Slapd, args: argparse.Namespace) -> None:
    rng = random.Random(50)
    feature = DirectoryFeature()
    async with running(config, [feature], agi_port=0, http_port=0, watch=False) as srv:
        await loaded(await feature.service_for(srv.ctx.config.current))
        phones = Phones(f"http://127.0.0.1:{srv.http_port}/directory/yealink",
                        args.phones_in_process)  # fmt: skip
        try:
            await run_phones(phones, slapd, args, rng)
        finally:
            phones.close()


async def run_phones(
    phones: Phones, slapd: Slapd, args: argparse.Namespace, rng: random.Random
) -> None:
    # a round of other terms first: a server that has served before (connections
    # to LDAP opened, code paths warm); the terms measured are still uncached
    await phones.run([[terms_for(slapd.people, 2, rng) for _ in range(args.phones)]])
    p99s = []
    for round_ in range(1, args.rounds + 1):  # new terms each round: all uncached
        plan = [terms_for(slapd.people, args.per_phone, rng) for _ in range(args.phones)]
        results, cpu = await phones.run([plan])
        report_rounds(f"{args.phones} phones over HTTP, uncached, #{round_}", results, cpu)
        p99s.append(pct([x * 1000 for x in results[0][0]], 99))
    print(f"    p99 of the {args.rounds} rounds: median {statistics.median(p99s):.1f} ms,"
          f" best {min(p99s):.1f}, worst {max(p99s):.1f}")  # fmt: skip
    # the same terms again: answers cached in the state store (ldap)
    results, cpu = await phones.run([plan])
    report_rounds(f"{args.phones} phones, same terms again", results, cpu)
    # every phone keys the same prefix at the same moment (one LDAP search
    # per prefix when identical searches in flight are shared)
    prefixes = ["l", "le", "lef", "lefe", "lefev", "lefevr", "lefevre"]
    results, cpu = await phones.run([[[prefix]] * args.phones for prefix in prefixes])
    report_rounds(f"{args.phones} phones typing the same prefix", results, cpu)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--per-phone", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of uncached searches")
    parser.add_argument(
        "--modes",
        default="ldap,index",
        help="ldap: every search asks slapd (before); index: the in-memory index (after)",
    )
    parser.add_argument(
        "--phones-in-process",
        action="store_true",
        help="run the phones on the server's event loop (they share its CPU, as before)",
    )
    parser.add_argument(
        "--no-search-key",
        action="store_true",
        help="search with substring filters on the name attributes (no autocomSearchKey)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="then run the ldap way again with the autocom of this checkout (e.g. `git archive"
        " <commit>` unpacked), on a slapd of its own: before/after, back to back",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autocom-dirbench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        slapd = Slapd(folder / "slapd", generate_people(args.people))
        slapd.load()
        print(f"slapadd of {args.people} people: {time.perf_counter() - started:.1f} s")
        with slapd:
            print("LDAP name and keypad searches:",
                  "substring filters (no search key)" if args.no_search_key
                  else f"the indexed {SEARCH_KEY} attribute")  # fmt: skip
            print(f"autocom from {SOURCE}")
            for mode in args.modes.split(","):
                print(f"--- {mode}: " + ("searches answered from the in-memory index"
                      if mode == "index" else "every search asks slapd"))  # fmt: skip
                config = write_config(folder, slapd, not args.no_search_key, mode)
                await bench_service(config, slapd, args)
                await bench_phones(config, slapd, args)
    if args.baseline:
        baseline(args)


def baseline(args: argparse.Namespace) -> None:
    """This script again, the ldap way only, with the autocom of the --baseline checkout."""
    argv = ["--people", str(args.people), "--searches", str(args.searches), "--phones",
            str(args.phones), "--per-phone", str(args.per_phone), "--rounds",
            str(args.rounds), "--modes", "ldap",
            *(["--no-search-key"] if args.no_search_key else []),
            *(["--phones-in-process"] if args.phones_in_process else [])]  # fmt: skip
    env = {**os.environ, "AUTOCOM_BENCH_SOURCE": str(args.baseline.resolve())}
    print(f"=== baseline, the same bench back to back: {args.baseline}", flush=True)
    subprocess.run([sys.executable, __file__, *argv], env=env, check=True)


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # as `autocom serve` runs
        runner.run(main())
