"""The running server serves only the features named under ``rules:``: a feature
left out has its AGI scripts answered ``not_configured`` (nothing done, no
FAILURE), its HTTP routes not served, and a reload cannot start or stop one.

Asterisk's side is played by tests.integration.agi.fake_asterisk (a named fake);
tests/e2e/test_thirdparty_feature.py drives a feature through the real Asterisk.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import aiohttp
import pytest

from apps import features
from autocom.app import running
from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call
from tests.unit.agi.samples import env_with

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """examples/ copied, state in tmp, without the ari: section (no lamp keeper to
    reach) and so without the IVR (which needs it)."""
    for f in EXAMPLES.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    shutil.copytree(EXAMPLES / "departments", tmp_path / "departments")  # departments.yaml's
    path = tmp_path / "autocom.yaml"
    text = path.read_text()
    start = text.index("\nari:")
    end = text.index("\nrules:")
    text = (text[:start] + text[end:]).replace("  ivr: ivr.yaml\n", "")
    path.write_text(text.replace("path: var/autocom.sqlite", f"path: {tmp_path / 's.sqlite'}"))
    return path


def leave_out(path: Path, line: str) -> None:
    text = path.read_text()
    assert line in text
    path.write_text(text.replace(line, ""))


def sessions(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "autocom.agi.session"]


async def test_the_script_of_a_feature_left_out_is_not_run(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="autocom.agi.session")
    env = env_with(network_script="forward-code", arg_1="2001", arg_2="*212002")
    async with running(config, features(), agi_port=0, http_port=0, watch=False) as srv:
        ran = await fake_call(srv.agi_port, env=env, answer=asterisk_answer())
    assert ran.commands  # forwards named: the hook talked to Asterisk
    assert sessions(caplog)[-1]["outcome"] != "not_configured"

    leave_out(config, "  forwards: forwards.yaml\n")
    caplog.clear()
    async with running(config, features(), agi_port=0, http_port=0, watch=False) as srv:
        assert "forwards" not in srv.ctx.features  # not started either
        left_out = await fake_call(srv.agi_port, env=env, answer=asterisk_answer())
        other = await fake_call(srv.agi_port, "callername", answer=asterisk_answer())
    # Nothing sent, no FAILURE line: AGISTATUS=SUCCESS with nothing set.
    assert (left_out.status, left_out.commands) == ("SUCCESS", [])
    logged = sessions(caplog)
    assert [s["outcome"] for s in logged if s["script"] == "forward-code"] == ["not_configured"]
    # a feature still named (directory) is served by its hook as before
    assert other.status == "SUCCESS"
    assert [s["outcome"] for s in logged if s["script"] == "callername"] == ["ok"]


async def test_the_http_routes_of_a_feature_left_out_are_not_served(config: Path) -> None:
    async def status(path: Path) -> int:
        async with running(path, features(), agi_port=0, http_port=0, watch=False) as srv:
            url = f"http://127.0.0.1:{srv.http_port}/directory/yealink"
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                return response.status

    assert await status(config) != 404
    leave_out(config, "  directory: directory.yaml\n")
    assert await status(config) == 404


async def test_a_reload_cannot_start_or_stop_a_feature(config: Path) -> None:
    async with running(config, features(), agi_port=0, http_port=0, watch=False) as srv:
        holder = srv.ctx.config
        leave_out(config, "  forwards: forwards.yaml\n")
        assert await holder.refresh() is False
        assert holder.last_error is not None
        (issue,) = holder.last_error.issues
        assert "the features that run changed (-forwards)" in issue.message
        assert "restart autocom" in issue.hint
        assert "forwards" in holder.current.feature_names  # the last good config serves
