"""Same rules everywhere: each node's config hash, its heartbeat in the shared store,
and the report `autocom status --cluster` prints.

- ``config_hash(base, digests)``: SHA-256 over every file the config was read from
  (autocom.yaml, the site file, each rule file), each named by its path relative to
  autocom.yaml's folder, so two nodes with the same files in different folders agree,
  and given by the sha256 of its bytes (the loader's, not read again);
  the first 16 hex digits are shown in /healthz, /metrics and the cluster report.
- ``heartbeat(...)``: every ``interval`` seconds a node writes a ``NodeBeat`` (JSON)
  to the store's ``nodes`` namespace with a ttl of ``3 * interval``: a stopped node
  disappears from the report within that time.  A store that does not answer is
  logged once per outage and retried at the next beat; the calls never wait for it.
- ``cluster_report(beats)``: pure; the reference is the (version, hash) pair most
  nodes report (ties: the greatest, so every reader picks the same), and every node
  that differs is flagged with what differs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from autocom.store.base import StateStore, StoreError

log = logging.getLogger("autocom.cluster")

NAMESPACE = "nodes"
HASH_DIGITS = 16


def config_hash(base: Path, digests: Mapping[Path, str]) -> str:
    """The hash of the config files' names (relative to ``base``) and the sha256 of
    their bytes (``digests``: '' for a file that cannot be read)."""
    digest = hashlib.sha256()
    for file in sorted(digests):
        try:
            name = str(file.relative_to(base))
        except ValueError:
            name = str(file)
        digest.update(f"{name}\0{digests[file] or 'missing'}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:HASH_DIGITS]


@dataclass(frozen=True)
class NodeBeat:
    """What one node says about itself in the shared store."""

    node: str  # host:agi_port unless autocom.yaml names it
    version: str
    config_hash: str
    started: float  # unix time
    seen: float  # unix time of this beat
    active_sessions: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> NodeBeat | None:
        """The beat, or None for a value this version cannot read (skipped, not fatal)."""
        try:
            data = json.loads(text)
            return cls(
                node=str(data["node"]),
                version=str(data["version"]),
                config_hash=str(data["config_hash"]),
                started=float(data["started"]),
                seen=float(data["seen"]),
                active_sessions=int(data.get("active_sessions", 0)),
            )
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class NodeRow:
    beat: NodeBeat
    differs: tuple[str, ...]  # "version", "config": what differs from the reference


def cluster_report(beats: Sequence[NodeBeat]) -> tuple[tuple[str, str] | None, list[NodeRow]]:
    """The reference (version, hash) and one row per node, sorted by node name."""
    if not beats:
        return None, []
    counts = Counter((b.version, b.config_hash) for b in beats)
    reference = max(counts, key=lambda pair: (counts[pair], pair))
    rows = []
    for beat in sorted(beats, key=lambda b: b.node):
        differs = []
        if beat.version != reference[0]:
            differs.append("version")
        if beat.config_hash != reference[1]:
            differs.append("config")
        rows.append(NodeRow(beat, tuple(differs)))
    return reference, rows


def render_report(beats: Sequence[NodeBeat], now: float) -> str:
    reference, rows = cluster_report(beats)
    if reference is None:
        return "no node has reported to the shared store in the last heartbeats"
    lines = [f"{'node':<28} {'version':<10} {'config':<17} {'seen':>6} {'calls':>5}  note"]
    for row in rows:
        b = row.beat
        note = f"DIFFERS: {' and '.join(row.differs)}" if row.differs else ""
        lines.append(
            f"{b.node[:28]:<28} {b.version[:10]:<10} {b.config_hash:<17} "
            f"{max(0.0, now - b.seen):>5.0f}s {b.active_sessions:>5}  {note}"
        )
    odd = sum(1 for r in rows if r.differs)
    summary = f"{len(rows)} node(s); reference: version {reference[0]}, config {reference[1]}"
    lines.append(summary + (f"; {odd} node(s) differ" if odd else "; all agree"))
    return "\n".join(lines)


async def read_beats(store: StateStore) -> list[NodeBeat]:
    beats = [NodeBeat.from_json(v) for v in (await store.items(NAMESPACE)).values()]
    return [b for b in beats if b is not None]


async def heartbeat(store: StateStore, describe: Callable[[], NodeBeat], interval: float) -> None:
    """Write this node's beat (``describe()``: the config may have been reloaded) every
    ``interval`` seconds until cancelled."""
    failing = False
    while True:
        beat = describe()
        try:
            await store.set(NAMESPACE, beat.node, beat.to_json(), ttl=3 * interval)
        except StoreError as exc:
            if not failing:
                log.warning("heartbeat: the store does not answer, retrying: %s", exc)
            failing = True
        else:
            if failing:
                log.info("heartbeat: the store answers again")
            failing = False
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # the store's client (redis-py) may swallow the CancelledError that stop()
            # threw in mid-command: end as cancelled instead of beating forever
            raise asyncio.CancelledError
        await asyncio.sleep(interval)
