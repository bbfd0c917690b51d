"""`autocom site sync`: read the sources, merge, check, show the difference, write.

The generated site is written only when every source was read whole, the
merge found no clash, the site passes `autocom check`'s numbering-plan checks
and the removal guard agrees (or ``force``).  It is written atomically (a
temporary file in the same folder, fsync, rename): the server's watcher, or
a SIGHUP, reloads it; a half-written file is never read.  Otherwise nothing
is written, the last good site keeps serving and the report says why.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocom.config.errors import ConfigError
from autocom.config.model import validate
from autocom.config.settings import Settings
from autocom.config.yaml_source import Document, load_yaml
from autocom.loader import collector_paused
from autocom.site.check import check_site
from autocom.site.model import Site
from autocom.site.sitefile import load_site, render_generated, validate_site
from autocom.site.sync.confd_source import read_confd_source
from autocom.site.sync.csv_source import read_csv_source
from autocom.site.sync.diff import SiteDiff, diff_sites, removal_refused
from autocom.site.sync.ldap_source import read_ldap_source
from autocom.site.sync.merge import MergeError, merge
from autocom.site.sync.records import SourceData, SourceFailed
from autocom.site.sync.settings import (
    ConfdSource,
    CsvSource,
    Overrides,
    SourceSettings,
    SyncSettings,
)


@dataclass(frozen=True)
class SyncPlan:
    """Where a sync reads and writes, resolved from autocom.yaml and sync.yaml."""

    settings: SyncSettings
    base: Path  # sync.yaml's folder
    output: Path
    overrides: Path

    @classmethod
    def load(cls, autocom_yaml: Path) -> SyncPlan:
        """The sync of an autocom.yaml (its ``sync:`` file); ConfigError if none or bad."""
        path = autocom_yaml.absolute()
        main = validate(Settings, load_yaml(path))
        if not main.sync:
            raise ConfigError.single(str(path), None, "no sync: file", "write 'sync: sync.yaml'")
        sync_path = path.parent / main.sync
        settings = validate(SyncSettings, load_yaml(sync_path))
        base = sync_path.parent
        output = base / settings.output if settings.output else path.parent / main.site
        overrides = base / settings.overrides
        if output.resolve() == overrides.resolve():
            raise ConfigError.single(
                str(sync_path),
                None,
                f"output and overrides are both {output.name}",
                "let autocom.yaml's site: name the generated file (site.generated.yaml)",
            )
        return cls(settings, base, output, overrides)


@dataclass(frozen=True)
class SyncReport:
    outcome: str  # written | unchanged | dry-run | refused | failed
    diff: SiteDiff | None = None
    reasons: tuple[str, ...] = ()  # why refused or failed
    notes: tuple[str, ...] = ()
    users: int = 0
    devices: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in ("written", "unchanged", "dry-run")


async def read_source(settings: SourceSettings, base: Path) -> SourceData:
    if isinstance(settings, ConfdSource):
        return await read_confd_source(settings, base)
    if isinstance(settings, CsvSource):
        return await asyncio.to_thread(read_csv_source, settings, base)
    return await read_ldap_source(settings, base)


async def read_sources(plan: SyncPlan) -> tuple[list[SourceData], list[SourceFailed]]:
    """Every source at once: what was read, and the sources that failed."""
    results = await asyncio.gather(
        *(read_source(s, plan.base) for s in plan.settings.sources), return_exceptions=True
    )
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, SourceFailed):
            raise r
    failed = [r for r in results if isinstance(r, SourceFailed)]
    return [r for r in results if isinstance(r, SourceData)], failed


def load_overrides(path: Path) -> Overrides:
    if not path.exists():
        return Overrides()
    return validate(Overrides, load_yaml(path))


def current_site(path: Path, notes: list[str]) -> Site:
    """The site written by the last sync; empty when there is none yet, or when it
    does not read (edited by hand: the sync writes a good one again, said in a note)."""
    if not path.exists():
        return Site()
    try:
        return load_site(path)
    except ConfigError as exc:
        notes.append(f"{path} does not read ({exc.issues[0]}): compared with an empty site")
        return Site()


def build_site(
    sources: Sequence[SourceData], overrides: Overrides
) -> tuple[Site, dict[str, Any], tuple[str, ...]]:
    """Merge and check (pure); MergeError naming every problem.

    The site is validated item by item (``validate_site``): one pydantic call
    for 4000 users holds the GIL 36 ms, the calls served meanwhile wait."""
    merged = merge(sources, overrides)
    try:
        site = validate_site(Document("the merged site", merged.document))
    except ConfigError as exc:
        raise MergeError([i.message for i in exc.issues]) from None
    issues = check_site(site)
    if issues:
        raise MergeError([i.message + (f" ({i.hint})" if i.hint else "") for i in issues])
    return site, merged.document, merged.notes


Announce = Callable[[bytes], Awaitable[None]]  # the bytes about to be written


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Prepared:
    site: Site
    diff: SiteDiff
    text: str
    notes: tuple[str, ...]


def prepare(plan: SyncPlan, sources: Sequence[SourceData]) -> Prepared:
    """Everything between reading the sources and writing (CPU only: run in a
    thread, never in the event loop that serves calls); MergeError or ConfigError."""
    with collector_paused(True, freeze=False):
        overrides = load_overrides(plan.overrides)
        site, document, notes = build_site(sources, overrides)
        more: list[str] = []
        diff = diff_sites(current_site(plan.output, more), site)
        names = [s.name for s in plan.settings.sources]
        text = render_generated(document, names, plan.overrides.name)
    return Prepared(site, diff, text, notes + tuple(more))


async def sync_site(
    plan: SyncPlan,
    *,
    dry_run: bool = False,
    force: bool = False,
    announce: Announce | None = None,
) -> SyncReport:
    """One sync; never raises for a source, merge or guard problem: the report says.
    ``announce(data)`` runs just before the site file is written with ``data`` (the
    server declares the sync as the author in the config history); it must not raise.

    The cyclic collector is paused until the sync's objects (confd's pages, the
    records, two sites: some 200,000 objects for 4000 users) are freed: a full
    collection over them in the event loop's thread stalls the calls (measured:
    23 to 42 ms, bench/sync_bench.py)."""
    with collector_paused(True, freeze=False):
        return await _sync(plan, dry_run, force, announce)


async def _sync(
    plan: SyncPlan, dry_run: bool, force: bool, announce: Announce | None
) -> SyncReport:
    loop = asyncio.get_running_loop()
    start = loop.time()
    sources, failed = await read_sources(plan)
    if failed:
        return SyncReport("failed", reasons=tuple(str(f) for f in failed))
    read = loop.time()
    try:
        ready = await asyncio.to_thread(prepare, plan, sources)
    except MergeError as exc:
        return SyncReport("refused", reasons=exc.problems)
    except ConfigError as exc:
        return SyncReport("refused", reasons=tuple(str(i) for i in exc.issues))
    diff, notes = ready.diff, ready.notes
    timings = {"read": read - start, "merge": loop.time() - read}
    counts = {
        "users": len(ready.site.users),
        "devices": sum(len(u.devices) for u in ready.site.users),
    }
    refusal = removal_refused(diff, plan.settings.max_removed_share)
    if refusal and not force:
        return SyncReport("refused", diff, (refusal,), notes, timings=timings, **counts)
    if dry_run or diff.empty:
        outcome = "dry-run" if dry_run else "unchanged"
        return SyncReport(outcome, diff, (), notes, timings=timings, **counts)
    if announce is not None:
        await announce(ready.text.encode("utf-8"))
    try:
        await asyncio.to_thread(write_atomically, plan.output, ready.text)
    except OSError as exc:
        reason = f"cannot write {plan.output}: {exc.strerror or exc}"
        return SyncReport("failed", diff, (reason,), notes, timings=timings, **counts)
    timings["total"] = loop.time() - start
    return SyncReport("written", diff, (), notes, timings=timings, **counts)
