"""The assembled server: config snapshot per call, pinned clock, reload, /healthz, /metrics.

Asterisk's side is played by tests.integration.agi.fake_asterisk (a named fake);
the same server is driven by the real Asterisk in tests/e2e/.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from autocom.app import build_router, running, serve
from autocom.clock import Clock
from autocom.config import RuleModel, load_yaml, validate
from autocom.context import AppContext
from autocom.feature import AgiRequest, Feature, HookRoute
from autocom.loader import load_config
from autocom.site.model import Site
from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call

SITE = """\
contexts:
  - name: compta
    users: 2001-2090
users:
  - {extension: '2001', name: DUPONT, first_name: Jean, context: compta, devices: [a]}
"""


class Greeting(RuleModel):
    word: str


class GreetFeature(Feature):
    """A small real feature: sets AUTOCOM_GREETING from its rule file and the clock."""

    name = "greet"
    ctx: AppContext | None = None

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def start(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def load_rules(self, path: Path | None, site: Site) -> Any:
        return validate(Greeting, load_yaml(path)) if path else Greeting(word="none")

    def hooks(self) -> list[HookRoute]:
        return [
            HookRoute("greet", self.greet),
            HookRoute("crash", self.crash),
            HookRoute("wait", self.wait),
        ]

    async def wait(self, request: AgiRequest) -> None:
        await request.session.noop()  # the call is now in progress
        await self.release.wait()

    async def greet(self, request: AgiRequest) -> None:
        word = request.config.rules["greet"].word
        await request.session.set_variable("AUTOCOM_GREETING", f"{word}@{request.now:%H:%M}")

    async def crash(self, request: AgiRequest) -> None:
        raise RuntimeError("bug in a hook")


def make_config(tmp_path: Path, word: str = "bonjour", reload_in: str = "auto") -> Path:
    (tmp_path / "autocom.yaml").write_text(
        "site: site.yaml\nrules:\n  greet: greet.yaml\nreload_interval: 0.05\n"
        f"reload_in: {reload_in}\n"
    )
    (tmp_path / "site.yaml").write_text(SITE)
    (tmp_path / "greet.yaml").write_text(f"word: {word}\n")
    return tmp_path / "autocom.yaml"


def pinned() -> Clock:
    return Clock("Europe/Paris", datetime.fromisoformat("2026-12-25T10:00:00+01:00"))


async def test_hook_gets_config_and_pinned_clock(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    async with running(path, [GreetFeature()], clock=pinned(), agi_port=0, http_port=0) as srv:
        answer = asterisk_answer()
        result = await fake_call(srv.agi_port, "greet", answer)
        assert result.status == "SUCCESS"
        assert answer.store["AUTOCOM_GREETING"] == "bonjour@10:00"  # type: ignore[attr-defined]

        assert (await fake_call(srv.agi_port, "nosuch")).status == "FAILURE"
        assert (await fake_call(srv.agi_port, "crash")).status == "FAILURE"

        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{srv.admin_port}"
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 200
                assert (await resp.json())["status"] == "ok"
            async with http.get(f"{base}/metrics") as resp:
                text = await resp.text()
        assert 'autocom_agi_sessions_total{outcome="ok",script="greet"} 1.0' in text
        assert 'autocom_agi_sessions_total{outcome="failure:hook_error",script="crash"} 1.0' in text
        assert 'outcome="failure:unknown_script",script="unknown"' in text
        assert "autocom_agi_active_sessions 0.0" in text


async def test_running_serves_a_config_already_loaded(tmp_path: Path) -> None:
    """`autocom serve` loads the config to report errors first: running() serves
    that very snapshot instead of reading every file again."""
    feature = GreetFeature()
    config = load_config(make_config(tmp_path, "salut"), [feature])
    async with running(config, [feature], clock=pinned(), agi_port=0, http_port=0) as srv:
        assert srv.ctx.config.current is config
        answer = asterisk_answer()
        assert (await fake_call(srv.agi_port, "greet", answer)).status == "SUCCESS"
        assert answer.store["AUTOCOM_GREETING"] == "salut@10:00"  # type: ignore[attr-defined]


async def test_metrics_and_healthz_count_calls_in_progress(tmp_path: Path) -> None:
    feature = GreetFeature()
    path = make_config(tmp_path)
    async with running(path, [feature], clock=pinned(), agi_port=0, http_port=0) as srv:
        noop_seen = asyncio.Event()

        def answer(line: str) -> bytes:
            noop_seen.set()
            return b"200 result=0\n"

        call = asyncio.create_task(fake_call(srv.agi_port, "wait", answer))
        await asyncio.wait_for(noop_seen.wait(), 5)
        base = f"http://127.0.0.1:{srv.admin_port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as resp:
                assert "autocom_agi_active_sessions 1.0" in await resp.text()
            async with http.get(f"{base}/healthz") as resp:
                assert (await resp.json())["active_sessions"] == 1
        feature.release.set()
        assert (await asyncio.wait_for(call, 5)).status == "SUCCESS"


@pytest.mark.parametrize("reload_in", ["thread", "process"])
async def test_file_change_reloads_and_bad_edit_keeps_last_good(
    tmp_path: Path, reload_in: str
) -> None:
    path = make_config(tmp_path, reload_in=reload_in)
    feature = GreetFeature()
    async with running(path, [feature], clock=pinned(), agi_port=0, http_port=0) as srv:
        (tmp_path / "greet.yaml").write_text("word: salut\n")
        await _until(lambda: srv.ctx.config.current.rules["greet"].word == "salut")
        answer = asterisk_answer()
        await fake_call(srv.agi_port, "greet", answer)
        assert answer.store["AUTOCOM_GREETING"] == "salut@10:00"  # type: ignore[attr-defined]

        (tmp_path / "greet.yaml").write_text("word: [unclosed\n")
        await _until(lambda: srv.ctx.config.failed_reloads == 1)
        answer = asterisk_answer()
        await fake_call(srv.agi_port, "greet", answer)
        assert answer.store["AUTOCOM_GREETING"] == "salut@10:00"  # type: ignore[attr-defined]
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{srv.admin_port}/healthz") as resp,
        ):
            body = await resp.json()
        assert "greet.yaml:2: YAML syntax error" in body["last_reload_error"][0]
        loader = srv.ctx.config._process
        assert (loader is not None) == (reload_in == "process")
        # the hooks' feature, started with the server's context, is the config's own
        assert srv.ctx.config.current.features == (feature,)
    if loader is not None:
        with pytest.raises(ProcessLookupError):  # stopped with the server
            os.kill(loader.pid, 0)


async def test_serve_reloads_on_sighup_and_stops_on_trigger(tmp_path: Path) -> None:
    path = make_config(tmp_path)
    (tmp_path / "autocom.yaml").write_text(
        "site: site.yaml\nrules:\n  greet: greet.yaml\nreload_interval: 3600\n"
        "reload_in: process\nagi:\n  port: 0\nhttp:\n  enabled: false\n"
    )
    stop = asyncio.Event()
    feature = GreetFeature()
    task = asyncio.create_task(serve(path, [feature], clock=pinned(), shutdown_trigger=stop.wait))
    # SIGHUP must not reach the process before serve() handles it: wait for its handler
    await _until(lambda: task.done() or signal.getsignal(signal.SIGHUP) != signal.SIG_DFL)
    if task.done():
        task.result()
    assert feature.ctx is not None
    holder = feature.ctx.config
    # the loader process, started with the server, has sent the config (not a reload)
    await _until(lambda: holder._process is not None and holder._process.sent(holder.current))
    assert holder.reloads == 0
    (tmp_path / "greet.yaml").write_text("word: hup\n")
    os.kill(os.getpid(), signal.SIGHUP)
    await _until(lambda: holder.reloads == 1)
    assert holder.current.rules["greet"].word == "hup"
    stop.set()
    await asyncio.wait_for(task, 10)
    assert signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, None)


def test_two_features_cannot_serve_one_script() -> None:
    class Other(GreetFeature):
        name = "other"

    with pytest.raises(ValueError, match="served by both greet and other"):
        build_router([GreetFeature(), Other()], AppContext.__new__(AppContext))


async def _until(cond: Any, within: float = 5.0) -> None:
    """Poll a condition another task or thread makes true (a reload runs in a thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not cond():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)
