"""The config history on a running server and the real stores: edits recorded with
their author and diff, `autocom history`, `autocom rollback` restoring a decision,
a rollback that no longer checks refused, a dead Redis never stopping a reload."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.app import running
from autocom.cli import main
from autocom.history.files import FileText, read_files
from autocom.history.model import sha
from autocom.history.store import History
from autocom.loader import load_config
from autocom.store.redis_store import RedisStore
from autocom.store.sqlite_store import SqliteStore
from tests.support.redis_server import RedisServer

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FEATURES = [TimeRulesFeature()]
LOBBY = "    campus: {working_time: allow, default: deny}\n    default: deny\n"
LOBBY_MOBILE = (
    "    campus: {working_time: allow, default: deny}\n    mobile: allow\n    default: deny\n"
)
MONDAY = "2026-11-23T10:00:00+01:00"
AT = datetime.fromisoformat(MONDAY)


def make_config(folder: Path, state: str = "{path: state.sqlite}", more: str = "") -> Path:
    """The example site and rights in ``folder``, autocom.yaml with ``more`` lines."""
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    shutil.copy(EXAMPLES / "rights.yaml", folder / "rights.yaml")
    (folder / "autocom.yaml").write_text(
        f"timezone: Europe/Paris\nsite: site.yaml\nstate: {state}\n"
        "rules:\n  time_rules: rights.yaml\nreload_interval: 0.05\nreload_settle: 0.05\n"
        "http: {enabled: false}\nadmin: {enabled: false}\n" + more,
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def run(config: Path, *argv: str) -> int:
    return main(["-c", str(config), *argv], features=FEATURES)


async def cli(config: Path, *argv: str) -> int:
    """`autocom ...` (it runs its own event loop: in a thread)."""
    return await asyncio.to_thread(run, config, *argv)


async def until(cond: Callable[[], bool]) -> None:
    """Poll what a reload thread or a recording task makes true (no tight limit: load)."""
    for _ in range(3000):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("condition not met in 60 s")


async def versions(config: Path) -> list[int]:
    store = await SqliteStore.open(config.parent / "state.sqlite")
    try:
        return [v.number for v in await History(store).versions()]
    finally:
        await store.close()


async def wait_versions(config: Path, count: int) -> None:
    for _ in range(3000):
        if len(await versions(config)) >= count:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{count} versions not recorded in 60 s")


async def test_edits_recorded_listed_and_rolled_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    rights = tmp_path / "rights.yaml"
    explain = ("explain", "rights", "--from", "5001", "--to", "00612345678", "--at", MONDAY)
    async with running(config, FEATURES, agi_port=0, node="node-a") as srv:
        holder = srv.ctx.config
        await wait_versions(config, 1)  # the config it started with
        assert await cli(config, *explain) == 1  # the lobby may not call a mobile
        edit(rights, LOBBY, LOBBY_MOBILE)
        await until(lambda: holder.reloads == 1)
        await wait_versions(config, 2)
        edit(rights, "    internal: allow\n    campus: {working", "    campus: {working")
        await until(lambda: holder.reloads == 2)
        await wait_versions(config, 3)
        assert await cli(config, *explain) == 0
        capsys.readouterr()

        assert await cli(config, "history") == 0
        rows = [line.split() for line in capsys.readouterr().out.splitlines()]
        me = getpass.getuser()
        assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
        assert all(r[3:5] == ["node-a", me] for r in rows[1:])
        assert {"autocom.yaml", "rights.yaml", "site.yaml"} <= set(rows[1][5:])
        assert rows[2][5:] == ["rights.yaml", "(+1", "-0)"]
        assert rows[3][5:] == ["rights.yaml", "(+0", "-1)"]
        assert await cli(config, "history", "2") == 0
        diff = capsys.readouterr().out
        assert "version 2: 2026" in diff and f"on node-a by {me}, against version 1" in diff
        assert "--- a/rights.yaml\tversion 1\n+++ b/rights.yaml\tversion 2\n" in diff
        assert "\n+    mobile: allow\n" in diff
        assert not [line for line in diff.splitlines()[3:] if line.startswith("-")]

        assert await cli(config, "rollback", "1", "--as", "alice") == 0
        out = capsys.readouterr().out
        assert "version 1 passes check; writing: rights.yaml" in out
        assert "recorded as version 4 (by alice)" in out
        assert rights.read_text(encoding="utf-8") == (EXAMPLES / "rights.yaml").read_text()
        assert await cli(config, *explain) == 1  # the decision is back to version 1's
        original = sha((EXAMPLES / "rights.yaml").read_bytes())
        await until(lambda: holder.current.seen[rights].digest == original)  # the server too
        assert holder.reloads == 3
        await asyncio.sleep(0.3)  # what the server records of its reload (nothing new)

    assert await versions(config) == [1, 2, 3, 4]
    assert await cli(config, "history") == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert "alice" in last and "rights.yaml (+1 -1)" in last and "[rollback to version 1]" in last
    assert await cli(config, "rollback", "4") == 0
    assert "already: nothing to write" in capsys.readouterr().out


async def test_a_version_that_no_longer_checks_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A version recorded under rules an older release accepted (here a slot name
    misspelt): today's check refuses it, naming the real file and line."""
    config = make_config(tmp_path)
    rights = tmp_path / "rights.yaml"
    good = rights.read_bytes()
    bad = good.replace(b"working_time: allow", b"workin_time: allow", 1)
    store = await SqliteStore.open(tmp_path / "state.sqlite")
    try:
        history = History(store)
        names = ("autocom.yaml", "site.yaml")
        old = [FileText(n, (tmp_path / n).read_bytes(), "root") for n in names]
        at = AT
        await history.record([*old, FileText("rights.yaml", bad, "root")], "n", at, 10)
        await history.record([*old, FileText("rights.yaml", good, "root")], "n", at, 10)
    finally:
        await store.close()
    stamp = rights.stat().st_mtime_ns
    capsys.readouterr()
    assert await cli(config, "rollback", "1") == 1
    err = capsys.readouterr().err
    assert f"{rights}:" in err and "workin_time" in err
    assert "version 1 does not pass check today" in err and "nothing written" in err
    assert rights.read_bytes() == good and rights.stat().st_mtime_ns == stamp
    assert not [name for name in os.listdir(tmp_path) if "rollback" in name]  # no temp left
    assert await versions(config) == [1, 2]
    assert await cli(config, "rollback", "7") == 1
    assert "no version 7" in capsys.readouterr().err


async def test_dead_redis_a_reload_still_applies_and_the_failure_is_logged(
    tmp_path: Path,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config(tmp_path, f"{{backend: redis, url: '{redis_server.url}', timeout: 0.5}}")
    rights = tmp_path / "rights.yaml"
    async with running(config, FEATURES, agi_port=0, node="node-r") as srv:
        holder = srv.ctx.config
        store = await RedisStore.open(redis_server.url)
        try:
            for _ in range(3000):
                if await History(store).versions():
                    break
                await asyncio.sleep(0.02)
        finally:
            await store.close()
        redis_server.stop()
        caplog.set_level(logging.INFO, "autocom")
        edit(rights, LOBBY, LOBBY_MOBILE)
        await until(lambda: holder.reloads == 1)
        assert "mobile: allow" in rights.read_text(encoding="utf-8")
        assert holder.current.seen[rights].digest == sha(rights.read_bytes())
        await until(lambda: "NOT recorded" in caplog.text)
        assert "the reload applied and serves" in caplog.text
    capsys.readouterr()
    assert await cli(config, "history") == 2
    assert "the state store does not answer" in capsys.readouterr().err
    assert await cli(config, "rollback", "1") == 2
    assert "nothing written" in capsys.readouterr().err
    assert "mobile: allow" in rights.read_text(encoding="utf-8")


async def test_nodes_sharing_redis_record_one_edit_once(redis_url: str) -> None:
    stores = [await RedisStore.open(redis_url) for _ in range(4)]
    try:
        at = AT
        one = [FileText("rights.yaml", b"a\n", "root")]
        two = [FileText("rights.yaml", b"b\n", "root")]
        await History(stores[0]).record(one, "n0", at, 10)
        done = await asyncio.gather(
            *(History(s).record(two, f"n{i}", at, 10) for i, s in enumerate(stores))
        )
        assert sum(v is not None for v in done) == 1
        assert [v.number for v in await History(stores[1]).versions()] == [1, 2]
    finally:
        for s in stores:
            await s.close()


DEPARTMENTS = """departments:
  mips:
    name: Laboratoire MIPS
    may: {assign: [staff, lab]}
"""


async def test_rollback_moves_aside_a_department_fragment_added_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fragment folder is read whole (*.yaml): restoring the version before a fragment
    was added moves the fragment aside, and its decision goes back."""
    config = make_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "departments: departments.yaml\n", encoding="utf-8")
    (tmp_path / "departments.yaml").write_text(DEPARTMENTS, encoding="utf-8")
    mips = tmp_path / "departments" / "mips"
    mips.mkdir(parents=True)
    (mips / "base.yaml").write_text('assign: {"2104": lab}\n', encoding="utf-8")
    store = await SqliteStore.open(tmp_path / "state.sqlite")
    history = History(store)
    try:
        await history.record(await asyncio.to_thread(applied, config), "n", AT, 10)
        (mips / "lab.yaml").write_text('assign: {"2103": lab}\n', encoding="utf-8")
        await history.record(await asyncio.to_thread(applied, config), "n", AT, 10)
    finally:
        await store.close()
    explain = ("explain", "rights", "--from", "2103", "--to", "00612345678", "--at", MONDAY)
    assert await cli(config, *explain) == 2  # lab: a mobile needs a PIN
    capsys.readouterr()
    assert await cli(config, "rollback", "1", "--as", "dept-admin") == 0
    out = capsys.readouterr().out
    assert "writing: nothing" in out and "departments/mips/lab.yaml" in out
    assert "moved aside: departments/mips/lab.yaml -> lab.yaml.rolled-back" in out
    assert sorted(p.name for p in await asyncio.to_thread(lambda: list(mips.iterdir()))) == [
        "base.yaml",
        "lab.yaml.rolled-back",
    ]
    assert await cli(config, *explain) == 0  # staff again (its context's class): allowed
    assert await cli(config, "history", "3") == 0
    assert "+++ /dev/null" in capsys.readouterr().out


def applied(config: Path) -> tuple[FileText, ...]:
    """The files a server applying ``config`` now would record."""
    loaded = load_config(config, FEATURES)
    return read_files(loaded.base, loaded.files)
