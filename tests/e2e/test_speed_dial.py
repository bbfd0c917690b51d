"""Speed dials end to end: collective codes, personal slots by feature code, rights.

The example site and rules (examples/): 2002 Bernard (staff), 5001 a hallway
phone (class lobby: internal and campus numbers only).  "0" takes a line; the
trunk sinks report the number without it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from apps.speed_dial import state
from apps.speed_dial.engine import PersonalEntry
from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours
NIGHT = datetime(2026, 11, 24, 22, 0)

INTERNATIONAL = """
    - code: "8050"
      number: "0004412345678"
      label: "Partner London"
"""


def with_international(cfg: ConfigDir) -> Path:
    path = cfg.folder / "speeddial.yaml"
    text = path.read_text()
    path.write_text(text.replace("\npersonal:", INTERNATIONAL + "\npersonal:", 1))
    return cfg.path


async def test_collective_code_reaches_its_number(pbx: Pbx, autocom_config: ConfigDir) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("8002", "personnel", caller="2002")
        assert result.trunk_calls == [("0389123456", "trunk-orange")]
        assert result.variable("AUTOCOM_SD") == "trunk:0389123456:trunk-orange&trunk-sfr"
        # the label is the connected name of the calling channel (what its phone
        # shows), kept after the answer (Dial option I); the trunk still gets the
        # caller's own number
        names = [
            e.get("ConnectedLineName")
            for e in result.events
            if e.get("Event") == "DialEnd" and e.get("Channel", "").endswith(";2")
        ]
        assert names == ["Pharmacie"]
        assert result.sink_caller("0389123456")[0] == "2002"


async def test_personal_code_stored_in_one_call_dialed_in_the_next(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        stored = await pbx.driver.call("*550700612345678", "personnel", caller="2002")
        assert "vm-saved" in stored.played
        assert await state.load(srv.ctx.store, "2002") == {"07": PersonalEntry("00612345678")}
        dialed = await pbx.driver.call("**07", "personnel", caller="2002")
        assert dialed.dialed == ["0612345678"]
        heard = await pbx.driver.call("*5707", "personnel", caller="2002")
        assert "speed-dial" in heard.played
        deleted = await pbx.driver.call("*5607", "personnel", caller="2002")
        assert "vm-deleted" in deleted.played
        again = await pbx.driver.call("**07", "personnel", caller="2002")
        assert again.dialed == []
        assert "cannot-complete-as-dialed" in again.played


async def test_international_speed_dial_refused_at_night_for_a_restricted_user(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    clock = Clock(TZ, pinned=DAY)
    async with pbx.autocom(with_international(autocom_config), clock=clock):
        staff = await pbx.driver.call("8050", "personnel", caller="2002")
        assert staff.dialed == ["004412345678"]
        clock.pin(NIGHT)
        lobby = await pbx.driver.call("8050", "couloirs", caller="5001")
        assert lobby.dialed == []
        assert "cannot-complete-as-dialed" in lobby.played


async def test_bypass_rights_entry_reached_by_a_restricted_phone(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=NIGHT)):
        direct = await pbx.driver.call("00612345679", "couloirs", caller="5001")
        assert direct.dialed == []  # the lobby class may not call mobiles
        result = await pbx.driver.call("8100", "couloirs", caller="5001")
        assert result.dialed == ["0612345679"]


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_personal_speed_dials_survive_a_restart(
    pbx: Pbx, autocom_config: ConfigDir, backend: str, redis_url: str
) -> None:
    config = autocom_config.use_backend(backend, redis_url)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)):
        await pbx.driver.call("*551200389123456", "personnel", caller="2002")
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("**12", "personnel", caller="2002")
        assert result.dialed == ["0389123456"]
