"""Reloads in the loader process (``reload_in: process``): a real child process
loading real files, its config rebuilt in the server; a refused edit, a loader that
dies and features that cannot be sent fall back as they should."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.feature import Feature
from autocom.loader import load_config
from autocom.loader_process import STOP_WAIT, LoaderProcess
from autocom.reload import ConfigHolder
from autocom.rights.rules import TimeRules
from autocom.site.model import Site
from tests.integration.framework.test_history import edit, make_config


def write_config(folder: Path, reload_in: str) -> Path:
    return make_config(folder, more=f"reload_in: {reload_in}\n")


def staff_premium(holder: ConfigHolder) -> str:
    rules = holder.current.rules["time_rules"]
    assert isinstance(rules, TimeRules)
    return rules.classes["staff"].calls["premium"][0].verdict


@pytest.fixture
async def holder(tmp_path: Path) -> AsyncIterator[ConfigHolder]:
    features: list[Feature] = [TimeRulesFeature()]
    held = ConfigHolder(load_config(write_config(tmp_path, "process"), features), features)
    yield held
    await held.close()


async def test_reloads_run_in_one_loader_process(holder: ConfigHolder, tmp_path: Path) -> None:
    rights = tmp_path / "rights.yaml"
    edit(rights, "    premium: pin\n", "    premium: deny\n")
    assert await holder.refresh()
    process = holder._process
    assert process is not None and process.pid != os.getpid()
    assert staff_premium(holder) == "deny"
    kept_site = holder.current.site
    edit(rights, "    premium: deny\n", "    premium: allow\n")
    assert await holder.refresh()
    assert holder._process is process  # the same process, in step with the server
    assert staff_premium(holder) == "allow"
    assert holder.current.site is kept_site  # the unchanged site: the very same object
    assert holder.reloads == 2 and holder.last_error is None
    # hooks read the feature instances the server was started with, never copies
    assert holder.current.features[0] is holder._features[0]
    # the reload kept the loader off the event loop's core (cores_apart), and the
    # loop's thread is free again
    mine = os.sched_getaffinity(0)
    loader_cores = os.sched_getaffinity(process.pid)
    assert len(loader_cores) == (len(mine) - 1 if len(mine) > 1 else len(mine))


async def test_the_loader_started_ahead_sends_the_same_config_and_is_no_reload(
    holder: ConfigHolder, tmp_path: Path
) -> None:
    applied: list[object] = []
    holder.on_applied = applied.append
    start = holder.current
    await holder.start_loader()
    process = holder._process
    assert process is not None and process.sent(holder.current)
    assert holder.current is not start and holder.current.digest == start.digest
    assert staff_premium(holder) == "pin"
    assert holder.reloads == 0 and applied == []  # the same files: not a reload
    await holder.start_loader()  # once started, nothing more
    assert holder._process is process and holder.reloads == 0
    # the first reload then sends what changed, to the same loader
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    assert await holder.refresh()
    assert holder._process is process and staff_premium(holder) == "deny"
    assert holder.reloads == 1 and applied == [holder.current]


async def test_files_changed_before_the_loader_started_make_its_load_a_reload(
    holder: ConfigHolder, tmp_path: Path
) -> None:
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    await holder.start_loader()
    assert holder._process is not None and staff_premium(holder) == "deny"
    assert holder.reloads == 1


def unsendable(tmp_path: Path) -> ConfigHolder:
    """A holder whose feature cannot be sent to the loader process."""

    class Unsendable(TimeRulesFeature):  # a class inside a function: pickle refuses it
        pass

    features: list[Feature] = [Unsendable()]
    return ConfigHolder(load_config(write_config(tmp_path, "process"), features), features)


async def test_a_loader_that_cannot_start_leaves_the_config_and_the_first_reload_retries(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = unsendable(tmp_path)
    start = holder.current
    with caplog.at_level(logging.WARNING, "autocom.reload"):
        await holder.start_loader()
    assert "the first reload starts another" in caplog.text
    assert holder.current is start and holder._process is None and holder.reloads == 0


async def test_a_refused_edit_keeps_the_last_good_config(
    holder: ConfigHolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rights = tmp_path / "rights.yaml"
    assert await holder.refresh()
    good = weakref.ref(holder.current)  # held, it would not be let go of for 10 s
    edit(rights, "    premium: pin\n", "    premium: maybe\n")
    with caplog.at_level(logging.ERROR, "autocom.reload"):
        assert not await holder.refresh()
    assert holder.current is good()
    assert holder.last_error is not None
    assert any("rights.yaml:" in str(i) for i in holder.last_error.issues)
    assert "reload refused" in caplog.text
    edit(rights, "    premium: maybe\n", "    premium: deny\n")  # the fix is taken
    assert await holder.refresh()
    assert staff_premium(holder) == "deny" and holder.failed_reloads == 1


async def test_a_dead_loader_means_a_reload_in_a_thread_then_a_new_loader(
    holder: ConfigHolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rights = tmp_path / "rights.yaml"
    assert await holder.refresh()
    assert holder._process is not None
    pid = holder._process.pid
    os.kill(pid, signal.SIGKILL)
    edit(rights, "    premium: pin\n", "    premium: deny\n")
    with caplog.at_level(logging.WARNING, "autocom.reload"):
        assert await holder.refresh()  # in a thread this time
    assert "the loader process failed" in caplog.text
    assert holder._process is None and staff_premium(holder) == "deny"
    edit(rights, "    premium: deny\n", "    premium: allow\n")
    assert await holder.refresh()  # a new loader, sent the whole config
    assert holder._process is not None and holder._process.pid != pid
    assert staff_premium(holder) == "allow"


async def test_features_that_cannot_be_sent_reload_in_a_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = unsendable(tmp_path)
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    with caplog.at_level(logging.WARNING, "autocom.reload"):
        assert await holder.refresh()
    assert "cannot be sent" in caplog.text
    assert staff_premium(holder) == "deny" and holder._process is None


async def test_small_configs_reload_in_a_thread_unless_told(tmp_path: Path) -> None:
    features: list[Feature] = [TimeRulesFeature()]
    holder = ConfigHolder(load_config(write_config(tmp_path, "auto"), features), features)
    await holder.start_loader()
    assert holder._process is None  # no loader to start ahead
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    assert await holder.refresh()
    assert holder._process is None  # 256 KB of rules or less: a thread is quick enough
    assert staff_premium(holder) == "deny"


async def test_reloads_at_once_run_one_after_the_other(
    holder: ConfigHolder, tmp_path: Path
) -> None:
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    assert await asyncio.gather(holder.refresh(), holder.refresh()) == [True, True]
    assert holder.reloads == 2 and staff_premium(holder) == "deny"


async def test_close_stops_the_loader(holder: ConfigHolder) -> None:
    assert await holder.refresh()
    process = holder._process
    assert process is not None
    await holder.close()
    assert holder._process is None
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


class TalkingRules(TimeRulesFeature):
    """time_rules that log a line as they load: in the loader process, the line
    must reach the server's log."""

    def load_rules(self, path: Path | None, site: Site) -> Any:
        logging.getLogger("apps.talking").warning("read %s", path.name if path else None)
        return super().load_rules(path, site)


async def test_the_loaders_log_lines_are_the_servers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    features: list[Feature] = [TalkingRules()]
    holder = ConfigHolder(load_config(write_config(tmp_path, "process"), features), features)
    try:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert await holder.refresh()
        assert holder._process is not None
        said = [r for r in caplog.records if r.name == "apps.talking"]
        assert [r.getMessage() for r in said] == ["loader process: read rights.yaml"]
        assert said[0].levelno == logging.WARNING
    finally:
        await holder.close()


async def test_reload_in_changed_to_thread_while_a_loader_runs(
    holder: ConfigHolder, tmp_path: Path
) -> None:
    assert await holder.refresh()  # through the loader
    edit(tmp_path / "autocom.yaml", "reload_in: process\n", "reload_in: thread\n")
    assert await holder.refresh()  # still through the loader: the config said so
    assert holder.current.settings.reload_in == "thread"
    edit(tmp_path / "rights.yaml", "    premium: pin\n", "    premium: deny\n")
    assert await asyncio.wait_for(holder.refresh(), 60)  # in a thread: nothing to settle
    assert staff_premium(holder) == "deny"


async def test_a_replaced_config_is_freed_once_no_call_holds_it(
    holder: ConfigHolder, tmp_path: Path
) -> None:
    rights = tmp_path / "rights.yaml"
    assert await holder.refresh()  # the loader's first: the config loaded here is let go of
    await holder.settled()
    sent = weakref.ref(holder.current)  # this one the loader sent: its table holds it
    edit(rights, "    premium: pin\n", "    premium: deny\n")
    call = holder.current  # a call still holding its snapshot
    assert await holder.refresh()
    settled = asyncio.ensure_future(holder.settled())
    await asyncio.sleep(0.3)
    assert not settled.done()  # not let go of while the call holds it
    del call
    await settled  # the call ended: let go of within a look (50 ms), not 10 s
    assert sent() is None  # dropped from the table, parents first: freed


def test_the_loader_and_the_event_loop_get_cores_of_their_own() -> None:
    """While a reload runs, the loader may not run on the event loop's core and the
    loop's thread stays there (Linux puts a process woken through a pipe on its
    waker's core: their turns there evict the calls' data); then the thread is free
    again.  With one core allowed, nothing is changed."""
    import subprocess

    from autocom.loader_process import cores_apart, this_core

    mine = os.sched_getaffinity(0)
    other = subprocess.Popen(["sleep", "30"])
    try:
        with cores_apart(other.pid) as apart:
            assert apart == (len(mine) > 1)
            if apart:
                here = this_core()
                assert here is not None and os.sched_getaffinity(0) == {here}
                assert os.sched_getaffinity(other.pid) == mine - {here}
        assert os.sched_getaffinity(0) == mine
        os.sched_setaffinity(0, {min(mine)})
        try:
            before = os.sched_getaffinity(other.pid)
            with cores_apart(other.pid) as apart:
                assert not apart and os.sched_getaffinity(0) == {min(mine)}
            assert os.sched_getaffinity(other.pid) == before
        finally:
            os.sched_setaffinity(0, mine)
    finally:
        other.kill()
        other.wait()
    with cores_apart(other.pid) as apart:  # it ended: no affinity to set
        assert not apart
    assert os.sched_getaffinity(0) == mine


def many_classes(folder: Path, users: int) -> Path:
    """A site of ``users`` users, each with a class of its own: tables of the rules
    larger than a batch (autocom/transfer.py)."""
    site = ["name: many", "contexts:",
            f"  - {{name: staff, users: ['10000-{10000 + users - 1}'], include: [out]}}",
            "  - {name: out, kind: outgoing, line_prefix: '0', trunks: [t]}", "users:"]  # fmt: skip
    rights = ["classes:"]
    assign = ["assign:", "  extensions:"]
    for i in range(users):
        site.append(f"  - {{extension: '{10000 + i}', name: U{i}, context: staff}}")
        rights += [f"  c{i}:", "    mobile: allow", "    default: deny"]
        assign.append(f"    '{10000 + i}': c{i}")
    (folder / "site.yaml").write_text("\n".join(site) + "\n", encoding="utf-8")
    (folder / "rights.yaml").write_text("\n".join(rights + assign) + "\n", encoding="utf-8")
    path = folder / "autocom.yaml"
    path.write_text("site: site.yaml\nreload_in: process\nrules: {time_rules: rights.yaml}\n")
    return path


async def test_large_tables_that_changed_in_a_few_items_come_as_their_changes(
    tmp_path: Path,
) -> None:
    features: list[Feature] = [TimeRulesFeature()]
    held = ConfigHolder(load_config(many_classes(tmp_path, 600), features), features)
    try:
        assert await held.refresh()  # the first: the whole config sent
        process = held._process
        assert process is not None
        before = held.current.rules["time_rules"]
        batches = 0
        take = process._take

        def counted(first: int, data: bytes) -> None:  # the real one, counted
            nonlocal batches
            batches += 1
            take(first, data)

        process._take = counted  # type: ignore[method-assign]
        edit(tmp_path / "rights.yaml", "  c1:\n", "  c1:\n    internal: allow\n")
        assert await held.refresh()
        after = held.current.rules["time_rules"]
        assert list(after.classes) == list(before.classes)  # the order kept
        assert after.classes["c1"] is not before.classes["c1"]
        assert after.classes["c1"].calls["internal"][0].verdict == "allow"
        assert all(after.classes[n] is before.classes[n] for n in before.classes if n != "c1")
        assert after.by_extension is before.by_extension  # no item changed: the very table
        assert after.class_lines["c2"] == before.class_lines["c2"] + 1
        # the classes, their parts and their models as the last ones and one change,
        # not 3 pieces and a join each: 22 batches, 34 with those tables sent whole
        assert batches <= 24, batches
    finally:
        await held.close()


async def test_a_load_cancelled_half_way_still_stops_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stopping while the loader sends its first config (its start at the
    server's start, or a reload): the loader, blocked on a pipe nobody reads, is
    stopped, and close() returns (a pipe left unread kept it waiting for ever)."""
    features: list[Feature] = [TimeRulesFeature()]
    held = ConfigHolder(load_config(many_classes(tmp_path, 3000), features), features)
    start = held.current
    first_batch = asyncio.Event()
    take = LoaderProcess._take

    def seen(self: LoaderProcess, first: int, data: bytes) -> None:  # the real one, watched
        first_batch.set()
        take(self, first, data)

    monkeypatch.setattr(LoaderProcess, "_take", seen)
    starting = asyncio.create_task(held.start_loader())
    await asyncio.wait_for(first_batch.wait(), 30)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    process = held._process
    assert process is not None and held.current is start  # nothing swapped in
    await asyncio.wait_for(held.close(), STOP_WAIT + 3)
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)
