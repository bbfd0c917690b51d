"""The config history: snapshots stored once, diffs, retention, one record per change
across nodes, declared authors; the shadow folder a rollback is checked in."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autocom.clock import Clock
from autocom.config.settings import HistorySettings, Settings
from autocom.history.files import FileText, build_shadow, move_aside, read_files, write_atomic
from autocom.history.model import (
    Change,
    Version,
    files_digest,
    inside,
    line_counts,
    listing,
    name_of,
    pack,
    prune,
    unified,
    unpack,
)
from autocom.history.recorder import Recorder
from autocom.history.store import BLOBS, NAMESPACE, History
from autocom.loader import Config
from autocom.site.model import Site
from autocom.store.base import StoreUnavailable
from autocom.store.memory_store import MemoryStore

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
OLD = b"classes:\n  lobby:\n    mobile: deny\n"
NEW = b"classes:\n  lobby:\n    mobile: allow\n    short: allow\n"


def version(number: int, files: dict[str, str], changes: tuple[Change, ...] = ()) -> Version:
    return Version(number, AT.isoformat(), "n1", files, number - 1 or None, changes)


def test_pack_round_trips_any_bytes_and_refuses_junk() -> None:
    data = bytes(range(256)) * 40
    assert unpack(pack(data)) == data
    assert len(pack(b"x" * 100_000)) < 1000  # compressed: a large site file costs little
    with pytest.raises(ValueError, match="not a stored file"):
        unpack("not base64!")


def test_diff_and_line_counts() -> None:
    diff = "".join(unified("rights.yaml", OLD, NEW, ("version 1", "version 2")))
    assert "--- a/rights.yaml\tversion 1\n+++ b/rights.yaml\tversion 2\n" in diff
    assert "-    mobile: deny\n+    mobile: allow\n+    short: allow\n" in diff
    assert line_counts(OLD, NEW) == (2, 1)
    assert line_counts(None, NEW) == (4, 0)  # a new file: every line added
    assert line_counts(OLD, None) == (0, 3)
    assert line_counts(OLD, OLD) == (0, 0)
    no_newline = "".join(unified("f", b"a", b"b", ("1", "2")))
    assert "-a\n\\ No newline at end of file\n+b\n" in no_newline


def test_names_and_digests() -> None:
    base = Path("/etc/autocom")
    assert name_of(base, base / "depts" / "phys.yaml") == "depts/phys.yaml"
    assert name_of(base, Path("/srv/rights.yaml")) == "/srv/rights.yaml"
    assert inside("depts/phys.yaml") and not inside("/srv/x") and not inside("../x")
    assert files_digest({"a": "1", "b": "2"}) == files_digest({"b": "2", "a": "1"})
    assert files_digest({"a": "1"}) != files_digest({"a": "2"})


def test_version_encodes_and_ignores_what_it_did_not_write() -> None:
    v = version(3, {"r.yaml": "s2"}, (Change("r.yaml", "s1", "s2", 2, 1, "alice"),))
    assert Version.decode(v.encode()) == v
    assert v.who == "alice" and v.blobs() == {"s1", "s2"}
    for junk in (None, "", "[1]", '{"number": "x"}', '{"number": 1}'):
        assert Version.decode(junk) is None


def test_prune_keeps_the_newest_and_the_files_they_need() -> None:
    v1 = version(1, {"a": "A1", "b": "B1"}, (Change("a", None, "A1", 1, 0, "x"),))
    v2 = version(2, {"a": "A2", "b": "B1"}, (Change("a", "A1", "A2", 1, 1, "x"),))
    v3 = version(3, {"a": "A3", "b": "B1"}, (Change("a", "A2", "A3", 1, 1, "x"),))
    gone, unneeded = prune([v3, v1, v2], keep=2)
    assert gone == [1]
    assert unneeded == set()  # A1 is v2's "before", B1 is still read
    gone, unneeded = prune([v1, v2, v3], keep=1)
    assert gone == [1, 2] and unneeded == {"A1"}
    assert prune([v1], keep=5) == ([], set())


def test_listing_lines() -> None:
    v = Version(
        4,
        "2026-12-04T10:00:00+01:00",
        "node1:4573",
        {},
        3,
        (Change("rights.yaml", "a", "b", 2, 1, "alice"),),
        "rollback to version 1",
    )
    header, row = listing([v])
    assert header.split()[:4] == ["N", "WHEN", "NODE", "WHO"]
    assert row.split() == [
        "4",
        "2026-12-04",
        "10:00:00",
        "node1:4573",
        "alice",
        "rights.yaml",
        "(+2",
        "-1)",
        "[rollback",
        "to",
        "version",
        "1]",
    ]


def files(**texts: bytes) -> list[FileText]:
    return [FileText(f"{name}.yaml", data, "admin") for name, data in texts.items()]


async def test_record_stores_each_file_once_and_diffs_against_the_last_version() -> None:
    store = MemoryStore()
    history = History(store)
    first = await history.record(files(rights=OLD, site=b"users: []\n"), "n1", AT, keep=10)
    assert first is not None and first.number == 1 and first.base is None
    assert [c.summary for c in first.changes] == ["rights.yaml (+3 -0)", "site.yaml (+1 -0)"]
    # the same files again (another node, a restart): not a new version
    assert await history.record(files(rights=OLD, site=b"users: []\n"), "n2", AT, keep=10) is None
    second = await history.record(files(rights=NEW, site=b"users: []\n"), "n2", AT, keep=10)
    assert second is not None and (second.number, second.base, second.node) == (2, 1, "n2")
    assert [(c.name, c.added, c.removed, c.who) for c in second.changes] == [
        ("rights.yaml", 2, 1, "admin")
    ]
    assert len(await store.items(BLOBS)) == 3  # OLD, NEW, the site: once each
    assert await history.blob(second.changes[0].new or "") == NEW
    assert [v.number for v in await history.versions()] == [1, 2]
    assert (await history.head()) == second


async def test_nodes_applying_the_same_edit_at_once_record_it_once() -> None:
    history = History(MemoryStore())
    await history.record(files(rights=OLD), "n1", AT, keep=10)
    results = await asyncio.gather(
        *(history.record(files(rights=NEW), f"n{i}", AT, keep=10) for i in range(4))
    )
    assert sum(r is not None for r in results) == 1
    assert [v.number for v in await history.versions()] == [1, 2]


async def test_retention_drops_old_versions_and_their_files() -> None:
    store = MemoryStore()
    history = History(store)
    for i in range(6):
        await history.record(files(rights=b"v%d\n" % i, site=b"same\n"), "n1", AT, keep=3)
    assert [v.number for v in await history.versions()] == [4, 5, 6]
    stored = {unpack(text) for text in (await store.items(BLOBS)).values()}
    assert stored == {b"v2\n", b"v3\n", b"v4\n", b"v5\n", b"same\n"}  # v4 diffs against v3


async def test_a_declared_author_and_note_replace_the_file_owner() -> None:
    history = History(MemoryStore())
    await history.record(files(rights=OLD, site=b"s\n"), "n1", AT, keep=10)
    await history.declare_author(NEW, "bob", "portal: speed dials")
    v = await history.record(files(rights=NEW, site=b"s2\n"), "n1", AT, keep=10)
    assert v is not None
    assert [(c.name, c.who) for c in v.changes] == [("rights.yaml", "bob"), ("site.yaml", "admin")]
    assert v.who == "bob, admin" and v.note == "portal: speed dials"
    forced = await history.record(files(rights=OLD), "n1", AT, keep=10, author="carol", note="x")
    assert forced is not None and forced.who == "carol" and forced.note == "x"
    assert [(c.name, c.new) for c in forced.changes][1] == ("site.yaml", None)  # no longer read


class FailingBlobs(MemoryStore):
    """A fake: a store that fails half-way through a recording (the file writes fail,
    the rest works), which a real backend shows only by chance."""

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        if namespace == BLOBS and self.failing:
            raise StoreUnavailable("blob write failed")
        await super().set(namespace, key, value, ttl)

    failing = False


async def test_a_failed_write_frees_the_claim_for_the_next_try() -> None:
    store = FailingBlobs()
    history = History(store)
    await history.record(files(rights=OLD), "n1", AT, keep=10)
    store.failing = True
    with pytest.raises(StoreUnavailable):
        await history.record(files(rights=NEW), "n1", AT, keep=10)
    assert [v.number for v in await history.versions()] == [1]
    store.failing = False
    retried = await history.record(files(rights=NEW), "n1", AT, keep=10)
    assert retried is not None and retried.base == 1


def test_read_files_names_and_owners(tmp_path: Path) -> None:
    (tmp_path / "rights.yaml").write_bytes(OLD)
    found = read_files(tmp_path, [tmp_path / "rights.yaml", tmp_path / "gone.yaml"])
    assert [(f.name, f.data) for f in found] == [("rights.yaml", OLD)]
    assert found[0].owner  # the unix user owning it


def test_shadow_folder_replaces_only_the_version_files(tmp_path: Path) -> None:
    base, root = tmp_path / "etc", tmp_path / "shadow"
    (base / "depts").mkdir(parents=True)
    (base / "depts" / "phys.yaml").write_bytes(b"phys now\n")
    (base / "depts" / "chem.yaml").write_bytes(b"chem now\n")
    (base / "rights.yaml").write_bytes(NEW)
    build_shadow(base, {"rights.yaml": OLD, "depts/phys.yaml": b"phys then\n"}, root)
    assert (root / "rights.yaml").read_bytes() == OLD
    assert (root / "depts" / "phys.yaml").read_bytes() == b"phys then\n"
    assert (root / "depts" / "chem.yaml").read_bytes() == b"chem now\n"  # a link to the real one
    assert (base / "rights.yaml").read_bytes() == NEW  # the real folder untouched
    assert (base / "depts" / "phys.yaml").read_bytes() == b"phys now\n"
    hidden = tmp_path / "hidden"
    build_shadow(base, {}, hidden, hide=["depts/chem.yaml"])
    assert sorted(os.listdir(hidden / "depts")) == ["phys.yaml"]
    assert (base / "depts" / "chem.yaml").exists()


def test_move_aside_never_overwrites(tmp_path: Path) -> None:
    for text in (b"first\n", b"second\n"):
        (tmp_path / "extra.yaml").write_bytes(text)
        move_aside(tmp_path / "extra.yaml")
    assert sorted(os.listdir(tmp_path)) == ["extra.yaml.rolled-back", "extra.yaml.rolled-back.1"]
    assert (tmp_path / "extra.yaml.rolled-back.1").read_bytes() == b"second\n"


def test_write_atomic_keeps_the_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "rights.yaml"
    target.write_bytes(NEW)
    target.chmod(0o640)
    write_atomic(target, OLD)
    assert target.read_bytes() == OLD and (target.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["rights.yaml"]
    write_atomic(tmp_path / "new" / "x.yaml", b"x\n")
    assert (tmp_path / "new" / "x.yaml").read_bytes() == b"x\n"


def config_of(folder: Path, enabled: bool = True) -> Config:
    (folder / "autocom.yaml").write_bytes(b"rules: {}\n")
    (folder / "rights.yaml").write_bytes(OLD)
    settings = Settings(history=HistorySettings(enabled=enabled, keep=5))
    files = (folder / "autocom.yaml", folder / "rights.yaml")
    return Config(folder / "autocom.yaml", settings, Site(), files=files)


async def test_recorder_records_from_the_reload_thread_and_logs_a_store_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    recorder = Recorder(store, Clock(), lambda: "n1", asyncio.get_running_loop())
    await asyncio.to_thread(recorder.applied, config_of(tmp_path))
    await asyncio.sleep(0)  # the task is scheduled from the thread
    await recorder.drain()
    (v,) = await recorder.history.versions()
    assert v.node == "n1" and [c.name for c in v.changes] == ["autocom.yaml", "rights.yaml"]

    await store.close()
    (tmp_path / "rights.yaml").write_bytes(NEW)
    recorder.applied(config_of(tmp_path))
    await asyncio.sleep(0)
    await recorder.drain()
    assert recorder.failures == 1
    assert "the applied config was NOT recorded" in caplog.text


async def test_recorder_off_records_nothing(tmp_path: Path) -> None:
    store = MemoryStore()
    recorder = Recorder(store, Clock(), lambda: "n1", asyncio.get_running_loop())
    recorder.applied(config_of(tmp_path, enabled=False))
    await asyncio.sleep(0)
    await recorder.drain()
    assert await store.items(NAMESPACE) == {}
