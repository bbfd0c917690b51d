"""Day/night override end to end: the toggle code (with its PIN) dialed on the real
Asterisk flips the IVR's branch and the service's BLF lamp, and back."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autocom.app import Server
from autocom.clock import Clock
from tests.e2e.conftest import Pbx
from tests.e2e.driver import CallDriver
from tests.e2e.test_ivr import (
    DAY,
    INTERNAL,
    IVR,
    IVR_GLOBALS,
    TZ,
    last_history,
    wait_ivr_link,
    write_config,
)

pytestmark = pytest.mark.e2e

DAYNIGHT = """
daynight:
  services:
    accueil: {slot: office, code: "*601", pin: "2580", until: next_change}
"""

# a switchboard outside the IVR asks the same decision (docs/dialplan.md)
SWITCHBOARD = """
[daynight-switchboard]
exten => 2000,1,Gosub(autocom-ivr-daynight,s,1(accueil))
 same => n,Hangup()
"""


async def switchboard(ami: CallDriver) -> str:
    return (await ami.call("2000", "daynight-switchboard")).values("AUTOCOM_DAYNIGHT")[-1]


@pytest.fixture
async def server(tmp_path: Path, pbx: Pbx) -> AsyncIterator[Server]:
    await pbx.set_globals(IVR_GLOBALS)
    await pbx.add_dialplan(INTERNAL + SWITCHBOARD)
    config = write_config(tmp_path, pbx.asterisk)
    ivr = textwrap.dedent(IVR).replace(
        "{outside: office, menu: closed}", "{night: accueil, menu: closed}"
    )
    (tmp_path / "ivr.yaml").write_text(ivr + textwrap.dedent(DAYNIGHT))
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)) as srv:
        await wait_ivr_link(srv)
        yield srv


async def lamp(ami: CallDriver) -> str:
    out = await ami.command("devstate list")
    for line in out.splitlines():
        if "Custom:daynight-accueil" in line:
            return line.split("'")[-2]
    return "none"


async def toggle(ami: CallDriver, pin: str) -> list[str]:
    result = await ami.call("*601", "default", caller="2002", caller_side="dtmf", dtmf=f"{pin}#")
    return result.values("AUTOCOM_DAYNIGHT_TOGGLE")


async def test_override_flips_the_ivr_branch_and_the_lamp(server: Server, ami: CallDriver) -> None:
    assert (await ami.call("main", "autocom-ivr", dtmf="2", max_wait=20)).rang == ["dev2001"]
    assert (await last_history(server))[0] == "menu main: prompt"  # office hours: open

    assert (await toggle(ami, "1111"))[-1] == "denied"  # wrong PIN: nothing changes
    assert await lamp(ami) != "INUSE"

    assert (await toggle(ami, "2580"))[-1] == "night"  # closed early, until the slot changes
    assert await lamp(ami) == "INUSE"
    result = await ami.call("main", "autocom-ivr", max_wait=20)
    assert result.rang == ["dev2999"], result.summary()  # the closed menu's on_failure
    assert (await last_history(server))[0] == "menu main: service accueil in night mode"
    assert await switchboard(ami) == "night"

    assert (await toggle(ami, "2580"))[-1] == "schedule"  # back to the time slot
    assert await lamp(ami) == "NOT_INUSE"
    assert await switchboard(ami) == "day"
    assert (await ami.call("main", "autocom-ivr", dtmf="2", max_wait=20)).rang == ["dev2001"]
