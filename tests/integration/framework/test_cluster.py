"""Two servers sharing a real Redis: each reports its config hash in /healthz and
/metrics and beats in the store; `autocom status --cluster` lists both and flags the
one whose rules differ."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from apps.ivr import IvrFeature
from autocom import __version__
from autocom.app import running
from autocom.cli import main
from autocom.cluster import NAMESPACE
from autocom.feature import Feature
from tests.integration.framework.test_app import GreetFeature, make_config

pytestmark = pytest.mark.integration


def shared_config(folder: Path, word: str, redis_url: str) -> Path:
    folder.mkdir()
    path = make_config(folder, word)
    with path.open("a") as f:
        f.write(f"state: {{backend: redis, url: '{redis_url}'}}\nheartbeat_interval: 0.1\n")
    return path


def cli_features() -> list[Feature]:
    return [GreetFeature(), IvrFeature()]  # `autocom status` is the IVR feature's command


async def cluster_status(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["-c", str(path), "status", "--cluster"], cli_features())
    return code, capsys.readouterr().out


async def test_nodes_report_their_config_hash_and_the_odd_one_is_flagged(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    one = shared_config(tmp_path / "one", "bonjour", redis_url)
    two = shared_config(tmp_path / "two", "bonjour", redis_url)
    odd = shared_config(tmp_path / "odd", "hello", redis_url)
    async with (
        running(one, [GreetFeature()], agi_port=0, http_port=0, node="pbx1") as a,
        running(two, [GreetFeature()], agi_port=0, http_port=0, node="pbx2") as b,
    ):
        digest = a.ctx.config.current.digest
        assert digest == b.ctx.config.current.digest  # same files, other folder
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{a.admin_port}"
            async with http.get(f"{base}/healthz") as resp:
                health = await resp.json()
            async with http.get(f"{base}/metrics") as resp:
                metrics = await resp.text()
        assert health["config_hash"] == digest and health["node"] == "pbx1"
        labels = f'config_hash="{digest}",node="pbx1",version="{__version__}"'
        assert f"autocom_build_info{{{labels}}} 1.0" in metrics

        await asyncio.sleep(0.3)
        code, out = await cluster_status(one, capsys)
        assert code == 0, out
        assert "pbx1" in out and "pbx2" in out and out.rstrip().endswith("all agree")

        async with running(odd, [GreetFeature()], agi_port=0, http_port=0, node="pbx3") as c:
            assert c.ctx.config.current.digest != digest
            await asyncio.sleep(0.3)
            code, out = await cluster_status(one, capsys)
        assert code == 4
        [flagged] = [row for row in out.splitlines() if "DIFFERS" in row]
        assert flagged.startswith("pbx3") and "DIFFERS: config" in flagged
        assert f"reference: version {__version__}, config {digest}" in out

        await asyncio.sleep(0.5)  # pbx3 stopped: its beat expires (ttl 3 beats)
        code, out = await cluster_status(one, capsys)
        assert code == 0 and "pbx3" not in out
        store = a.ctx.store
        beats = await store.items(NAMESPACE)
        assert sorted(beats) == ["pbx1", "pbx2"]
        assert json.loads(beats["pbx2"])["config_hash"] == digest


def test_a_dead_store_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_config(tmp_path / "one", "bonjour", "redis://127.0.0.1:9/0")
    assert main(["-c", str(path), "status", "--cluster"], cli_features()) == 1
    assert "the shared store does not answer" in capsys.readouterr().err
