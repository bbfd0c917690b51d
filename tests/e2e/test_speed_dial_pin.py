"""Speed dials whose number needs a PIN under the caller's call rights, end to end.

A speed dial is a shortcut, not a way around the rules: when the caller's
class wants a PIN for the resolved number, the speed-dial hook answers
``pin:<number>`` and the dialplan redirects the call to that number in the
caller's context, whose outgoing rights hook asks for the PIN.  The caller's
side of the Local channel keys the digits (SendDTMF) once the call is answered.

Example site and rules (examples/): 2002 Bernard (staff) may call
international numbers in working time, with a PIN otherwise; 2002's PIN is
1234 (rights.yaml).  "0" takes a line; the trunk sinks report the number
without it.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.speed_dial import state
from apps.speed_dial.engine import PersonalEntry
from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx
from tests.e2e.driver import CallResult

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
NIGHT = datetime(2026, 11, 24, 23, 0)  # a Tuesday, outside working time
LONDON = "0004412345678"  # as 2002 dials it
ON_THE_TRUNK = "004412345678"  # what reaches the trunk (line prefix removed)

INTERNATIONAL = f"""
    - code: "8050"
      number: "{LONDON}"
      label: "Partner London"
"""


@pytest.fixture
def config(autocom_config: ConfigDir) -> ConfigDir:
    """examples/ with an international collective code 8050 and a 2 s PIN timeout."""
    speeddial = autocom_config.folder / "speeddial.yaml"
    text = speeddial.read_text()
    assert "\npersonal:" in text
    speeddial.write_text(text.replace("\npersonal:", INTERNATIONAL + "\npersonal:", 1))
    rights = autocom_config.folder / "rights.yaml"
    text = rights.read_text(encoding="utf-8")
    new = text.replace("pin:\n  attempts: 3\n", "pin:\n  attempts: 3\n  timeout_ms: 2000\n")
    assert new != text, "rights.yaml's pin: section changed shape"
    rights.write_text(new, encoding="utf-8")
    return autocom_config


def pin_asked(result: CallResult) -> None:
    """The speed dial handed the call to the outgoing route, which asked for the PIN."""
    assert result.variable("AUTOCOM_SD") == f"pin:{LONDON}", result.summary()
    assert result.variable("AUTOCOM_RIGHTS") == "pin", result.summary()
    assert "agent-pass" in result.played, result.summary()


async def test_collective_speed_dial_with_the_right_pin_is_dialed(
    pbx: Pbx, config: ConfigDir
) -> None:
    async with pbx.autocom(config.path, clock=Clock(TZ, pinned=NIGHT)):
        result = await pbx.driver.call(
            "8050", "personnel", caller="2002", dtmf="1234#", max_wait=30
        )
    pin_asked(result)
    assert result.variable("AUTOCOM_PIN") == "ok", result.summary()
    assert result.trunk_calls == [(ON_THE_TRUNK, "trunk-orange")], result.summary()
    assert result.sink_caller(ON_THE_TRUNK)[0] == "2002"


async def test_collective_speed_dial_with_a_wrong_pin_is_refused(
    pbx: Pbx, config: ConfigDir
) -> None:
    async with pbx.autocom(config.path, clock=Clock(TZ, pinned=NIGHT)):
        result = await pbx.driver.call(
            "8050",
            "personnel",
            caller="2002",
            dtmf="9999#",
            max_wait=60,
            variables={"AUTOCOM_TEST_CALLER_SECONDS": "50"},  # stay on until refused
        )
    pin_asked(result)
    assert result.variable("AUTOCOM_PIN") == "fail", result.summary()
    assert result.dialed == [], result.summary()
    assert result.played.count("agent-pass") == 3  # three attempts, each refused
    assert "cannot-complete-as-dialed" in result.played
    assert result.hangup_cause == 52  # outgoing call barred


async def test_personal_slot_needing_a_pin_goes_through_the_pin_too(
    pbx: Pbx, config: ConfigDir
) -> None:
    async with pbx.autocom(config.path, clock=Clock(TZ, pinned=NIGHT)) as srv:
        # storing checks only that the numbering plan knows the number
        await pbx.driver.call(f"*5507{LONDON}", "personnel", caller="2002")
        assert await state.load(srv.ctx.store, "2002") == {"07": PersonalEntry(LONDON)}
        wrong = await pbx.driver.call(
            "**07",
            "personnel",
            caller="2002",
            dtmf="4321#",
            max_wait=60,
            variables={"AUTOCOM_TEST_CALLER_SECONDS": "50"},
        )
        right = await pbx.driver.call("**07", "personnel", caller="2002", dtmf="1234#", max_wait=30)
    pin_asked(wrong)
    assert wrong.variable("AUTOCOM_PIN") == "fail" and wrong.dialed == [], wrong.summary()
    pin_asked(right)
    assert right.variable("AUTOCOM_PIN") == "ok", right.summary()
    assert right.dialed == [ON_THE_TRUNK], right.summary()
