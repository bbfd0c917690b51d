"""Forward lamps follow every change of the stored forwards, not only feature codes.

The real autocom server runs against the session Asterisk (its ari: section
pointed at the test ARI) while `autocom forwards set|clear` runs as a separate
process on the same config and state store, as an admin runs it.  What is
checked is what Asterisk reports: the hint of *21<ext> in
autocom-forwards-hints (AMI ExtensionState) and the Custom device state.
"""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import datetime

import pytest

from apps.forwards import ForwardsFeature, state
from apps.forwards.engine import Forward
from autocom.app import Server
from autocom.clock import Clock
from tests.e2e.asterisk import PROJECT
from tests.e2e.conftest import ConfigDir, Pbx
from tests.e2e.driver import CallDriver
from tests.support.process import free_port

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)
HINTS = "autocom-forwards-hints"
IDLE, IN_USE = "0", "1"  # ExtensionState Status


async def autocom_cli(config: str, *args: str) -> tuple[int, str]:
    """`autocom -c CONFIG ARGS...` as a separate process; (exit status, stdout+stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from autocom.cli import main; sys.exit(main())",
        "-c",
        config,
        *args,
        cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def hint(driver: CallDriver, exten: str) -> str:
    reply = await driver.ami.action("ExtensionState", Exten=exten, Context=HINTS)
    return reply.get("Status", "")


async def lamp(driver: CallDriver, device: str) -> str:
    return await driver.get_global(f"DEVICE_STATE({device})")


async def wait_hint(driver: CallDriver, exten: str, wanted: str, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (got := await hint(driver, exten)) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"hint {exten}@{HINTS}: status {got}, expected {wanted}")
        await asyncio.sleep(0.1)


def lamp_sync_every(cfg: ConfigDir, seconds: float) -> None:
    path = cfg.folder / "forwards.yaml"
    path.write_text(path.read_text() + f"lamp_sync: {seconds}\n")


async def started_sync(server: Server) -> ForwardsFeature:
    """The forwards feature of ``server`` once its first lamp sync (at start) is done."""
    feature = server.ctx.features["forwards"]
    assert isinstance(feature, ForwardsFeature)
    sync = feature.lamps
    assert sync is not None, "no lamp sync: the config has no ari: section"
    for _ in range(100):
        if sync.syncs:
            return feature
        await asyncio.sleep(0.05)
    raise AssertionError("the lamp sync did not run at server start")


async def test_cli_set_and_clear_reach_the_hint_at_once(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    # the server would sync only in an hour: what moves the lamp is the CLI itself
    lamp_sync_every(autocom_config, 3600)
    config = str(autocom_config.path)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        await started_sync(srv)
        assert await hint(pbx.driver, "*212002") == IDLE
        status, out = await autocom_cli(config, "forwards", "set", "2002", "unconditional", "2003")
        assert status == 0, out
        assert "lamps set" in out
        assert await state.load(srv.ctx.store, "2002") == {"unconditional": Forward("2003")}
        assert await hint(pbx.driver, "*212002") == IN_USE
        assert await lamp(pbx.driver, "Custom:autocom-fwd-unc-2002") == "INUSE"
        assert await hint(pbx.driver, "*222002") == IDLE  # the other lamps are untouched
        # the call follows the forward the CLI set
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"], call.summary()

        status, out = await autocom_cli(config, "forwards", "set", "2002", "busy", "2004")
        assert status == 0, out
        assert await hint(pbx.driver, "*232002") == IN_USE
        assert await hint(pbx.driver, "*212002") == IN_USE

        status, out = await autocom_cli(config, "forwards", "clear", "2002")
        assert status == 0, out
        assert "2002: 2 forward(s) removed" in out and "lamps set" in out
        assert await hint(pbx.driver, "*212002") == IDLE
        assert await hint(pbx.driver, "*232002") == IDLE


async def test_refused_cli_forward_leaves_the_lamp_alone(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    lamp_sync_every(autocom_config, 3600)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        await started_sync(srv)
        # a lobby phone may never forward to an international number
        status, out = await autocom_cli(
            str(autocom_config.path), "forwards", "set", "5001", "unconditional", "000441234567"
        )
        assert status == 1, out
        assert "refused" in out
        assert await state.load(srv.ctx.store, "5001") == {}
        assert await hint(pbx.driver, "*215001") == IDLE


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_the_server_notices_a_change_the_cli_could_not_push(
    pbx: Pbx, autocom_config: ConfigDir, backend: str, redis_url: str
) -> None:
    config = autocom_config.use_backend(backend, redis_url)
    lamp_sync_every(autocom_config, 0.5)
    # the admin's CLI runs where Asterisk's ARI cannot be reached (nothing listens there)
    cli_config = autocom_config.folder / "autocom-cli.yaml"
    text = config.read_text()
    text, count = re.subn(r"(?m)^  url: http://\S+", f"  url: http://127.0.0.1:{free_port()}", text)
    assert count == 1, text
    cli_config.write_text(text)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)) as srv:
        await started_sync(srv)
        assert await hint(pbx.driver, "*222002") == IDLE
        status, out = await autocom_cli(
            str(cli_config), "forwards", "set", "2002", "noanswer", "2003"
        )
        assert status == 0, out
        assert "lamps not set" in out and "next lamp sync" in out
        # the server's sync reads the store and sets the lamp (every 0.5 s here)
        await wait_hint(pbx.driver, "*222002", IN_USE, within=5)
        # another autocom server (or a script) turns it off in the shared store
        await state.save(srv.ctx.store, "2002", {"noanswer": Forward("2003", False)})
        await wait_hint(pbx.driver, "*222002", IDLE, within=5)
