"""Feature codes from the rule files, rendered into the site dialplan by `autocom dialplan`.

forwards.yaml and speeddial.yaml name other codes than the defaults; the site
dialplan the test Asterisk loads is rendered from the autocom config (as
`autocom dialplan` does), so the new codes work and the old ones are gone.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.forwards import state as forwards_state
from apps.forwards.engine import Forward
from apps.speed_dial import state as speed_dial_state
from apps.speed_dial.engine import PersonalEntry
from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)
HINTS = "autocom-forwards-hints"


def other_codes(cfg: ConfigDir) -> None:
    forwards = cfg.folder / "forwards.yaml"
    text = forwards.read_text()
    for old, new in (("*21", "*71"), ("*22", "*72"), ("*23", "*73"), ("*20", "*70")):
        assert f'"{old}"' in text, old
        text = text.replace(f'"{old}"', f'"{new}"')
    forwards.write_text(text)
    speeddial = cfg.folder / "speeddial.yaml"
    text = speeddial.read_text()
    for old, new in (('"*55"', '"#55"'), ('"**"', '"#0"')):
        assert old in text, old
        text = text.replace(old, new)
    speeddial.write_text(text)


async def test_forward_codes_of_forwards_yaml_are_dialed_and_hinted(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    other_codes(autocom_config)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        old = await pbx.driver.call("*212003", "personnel", caller="2002")
        assert old.variable("AUTOCOM_FWD_PROMPT") is None, old.summary()  # no such code now
        assert await forwards_state.load(srv.ctx.store, "2002") == {}

        code = await pbx.driver.call("*712003", "personnel", caller="2002")
        assert "activated" in code.played, code.summary()
        assert await forwards_state.load(srv.ctx.store, "2002") == {
            "unconditional": Forward("2003")
        }
        reply = await pbx.driver.ami.action("ExtensionState", Exten="*712002", Context=HINTS)
        assert reply.get("Status") == "1", reply  # the BLF key on *712002 is lit
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"], call.summary()

        await pbx.driver.call("*70", "personnel", caller="2002")  # cancel all
        assert await forwards_state.load(srv.ctx.store, "2002") == {
            "unconditional": Forward("2003", False)
        }
        reply = await pbx.driver.ami.action("ExtensionState", Exten="*712002", Context=HINTS)
        assert reply.get("Status") == "0", reply


async def test_personal_speed_dial_codes_of_speeddial_yaml(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    other_codes(autocom_config)
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        stored = await pbx.driver.call("#550700612345678", "personnel", caller="2002")
        assert "vm-saved" in stored.played, stored.summary()
        assert await speed_dial_state.load(srv.ctx.store, "2002") == {
            "07": PersonalEntry("00612345678")
        }
        dialed = await pbx.driver.call("#007", "personnel", caller="2002")
        assert dialed.dialed == ["0612345678"], dialed.summary()
        # the collective range is unchanged and still rendered
        pharmacy = await pbx.driver.call("8002", "personnel", caller="2002")
        assert pharmacy.dialed == ["0389123456"], pharmacy.summary()
