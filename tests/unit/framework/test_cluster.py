"""autocom.cluster: the config hash, the heartbeat record and the cluster report (pure)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from autocom.cluster import NodeBeat, cluster_report, config_hash, heartbeat, render_report
from autocom.config.files_seen import file_digest


def beat(node: str, version: str = "1.0", digest: str = "aaaa", seen: float = 100.0) -> NodeBeat:
    return NodeBeat(node, version, digest, started=50.0, seen=seen, active_sessions=2)


def test_config_hash_follows_content_and_names_not_the_folder(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        (folder / "autocom.yaml").write_text("site: site.yaml\n")
        (folder / "site.yaml").write_text("users: []\n")

    def digests(folder: Path, *names: str) -> dict[Path, str]:
        return {folder / name: file_digest(folder / name) for name in names}

    files = ["autocom.yaml", "site.yaml"]
    first = config_hash(one, digests(one, *files))
    assert len(first) == 16 and first == config_hash(two, digests(two, *reversed(files)))
    (two / "site.yaml").write_text("users: [] \n")
    assert config_hash(two, digests(two, *files)) != first
    (two / "site.yaml").rename(two / "other.yaml")  # same bytes under another name
    (two / "site.yaml").write_text("users: []\n")
    assert config_hash(two, digests(two, "autocom.yaml", "other.yaml")) != first
    assert config_hash(one, digests(one, "autocom.yaml", "gone.yaml")) != first


def test_a_beat_survives_json_and_a_foreign_value_is_skipped() -> None:
    b = beat("pbx1:4573")
    assert NodeBeat.from_json(b.to_json()) == b
    assert NodeBeat.from_json("not json") is None
    assert NodeBeat.from_json('{"node": "x"}') is None
    assert NodeBeat.from_json('{"node":"x","version":"1","config_hash":"h","started":"?"}') is None


def test_the_majority_is_the_reference_and_the_odd_node_is_flagged() -> None:
    beats = [beat("c"), beat("a"), beat("b", digest="bbbb"), beat("d", version="0.9")]
    reference, rows = cluster_report(beats)
    assert reference == ("1.0", "aaaa")
    assert [(r.beat.node, r.differs) for r in rows] == [
        ("a", ()),
        ("b", ("config",)),
        ("c", ()),
        ("d", ("version",)),
    ]


def test_a_tie_gives_the_same_reference_whatever_the_order() -> None:
    beats = [beat("a", digest="1111"), beat("b", digest="2222")]
    assert cluster_report(beats)[0] == cluster_report(beats[::-1])[0] == ("1.0", "2222")


def test_render() -> None:
    beats = [beat("pbx1:4573"), beat("pbx2:4573", digest="bbbb", seen=97.0), beat("pbx3:4573")]
    lines = render_report(beats, 100.0).splitlines()
    assert lines[1].startswith("pbx1:4573") and "DIFFERS" not in lines[1]
    assert "pbx2:4573" in lines[2] and "3s" in lines[2] and "DIFFERS: config" in lines[2]
    assert lines[-1].endswith("1 node(s) differ")
    assert "no node has reported" in render_report([], 100.0)


class SwallowingStore:
    """A named fake: a store client that swallows the CancelledError thrown into it
    mid-command and returns (as redis-py did, now and then, when the server stopped;
    a real Redis cannot be made to do it on demand)."""

    def __init__(self) -> None:
        self.writing = asyncio.Event()

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        self.writing.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)


async def test_heartbeat_ends_when_cancelled_even_if_the_store_swallowed_the_cancel() -> None:
    store = SwallowingStore()
    beat = NodeBeat("pbx1:4573", "0.1.0", "abc", started=0.0, seen=0.0)
    task = asyncio.create_task(heartbeat(store, lambda: beat, 0.01))  # type: ignore[arg-type]
    await store.writing.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()  # it used to beat on, and a server stop hung
