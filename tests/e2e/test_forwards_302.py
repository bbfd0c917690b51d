"""A phone answering 302 (a forward set on the phone): SIPp plays the phone.

The phone is a PJSIP endpoint whose AOR has a static contact (SIPp's port), so
no REGISTER is needed.  SIPp answers the INVITE with 302 Moved Temporarily to an
external number; Asterisk dials Local/<target>@autocom-forward, where autocom
checks the forward with the rights of the phone's owner.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from autocom.clock import Clock
from tests.e2e.asterisk import SipEndpoint
from tests.e2e.conftest import ConfigDir, Pbx

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)
SIPP = shutil.which("sipp") or "/usr/bin/sipp"

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer 302">
  <recv request="INVITE" />
  <send>
    <![CDATA[
      SIP/2.0 302 Moved Temporarily
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{target}@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" />
</scenario>
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class StaticPhone(SipEndpoint):
    """An endpoint reached at a fixed contact (SIPp's address), no registration."""

    contact: str = ""

    def conf(self) -> str:
        text = super().conf()
        return text.replace(
            f"[{self.name}]\ntype=aor\n", f"[{self.name}]\ntype=aor\ncontact={self.contact}\n"
        )


@pytest.fixture
async def phone_302(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """Start SIPp as a phone answering 302 to 00612345678; yields (port, log)."""
    port = free_udp_port()
    scenario = tmp_path / "uas302.xml"
    scenario.write_text(SCENARIO.replace("{target}", "00612345678"))
    log = tmp_path / "sipp.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            SIPP, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
            "-nostdin", "-timeout", "30s",
            stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        try:
            await asyncio.sleep(0.5)
            yield port, log
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 5)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def setup(pbx: Pbx, cfg: ConfigDir, user: str, port: int) -> None:
    """``user``'s only device is the SIPp phone."""
    site = cfg.folder / "site.yaml"
    text = site.read_text()
    old = {"2002": "devices: [bernard-desk]", "5001": "devices: [amphi-a]"}[user]
    site.write_text(text.replace(old, "devices: [sipp-phone]"))
    await pbx.add_endpoint(
        StaticPhone("sipp-phone", context="personnel", contact=f"sip:sipp@127.0.0.1:{port}")
    )
    await pbx.set_globals({"AUTOCOM_DEVICE_DIAL": "PJSIP/{device}"})


async def test_302_to_a_mobile_followed_for_an_allowed_user(
    pbx: Pbx, autocom_config: ConfigDir, phone_302: tuple[int, Path]
) -> None:
    port, _ = phone_302
    await setup(pbx, autocom_config, "2002", port)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("2002", "personnel", caller="2004", max_wait=20)
    assert result.dialed == ["0612345678"], result.summary()
    assert "autocom-forward" in result.contexts
    assert "external:00612345678" in result.values("AUTOCOM_FWD"), result.summary()


async def test_302_to_a_mobile_blocked_for_a_restricted_user(
    pbx: Pbx, autocom_config: ConfigDir, phone_302: tuple[int, Path]
) -> None:
    port, _ = phone_302
    await setup(pbx, autocom_config, "5001", port)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("5001", "couloirs", caller="2004", max_wait=20)
    assert result.dialed == [], result.summary()
    assert "autocom-forward" in result.contexts
    # autocom answered (no safe path) and refused: the forward leg hung up
    assert set(result.values("AUTOCOM_FWD")) == {""}, result.summary()
    assert "forward-phone" in " ".join(
        e.get("Command", "") + e.get("AppData", "") for e in result.events
    )
    assert "SUCCESS" in result.agistatus
