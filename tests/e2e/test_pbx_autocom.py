"""The whole dialplan (every feature's hooks) with the real autocom server, and without it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import ConfigDir, Pbx

pytestmark = pytest.mark.e2e


async def test_autocom_stopped_emergency_calls_never_touch_it(pbx: Pbx) -> None:
    for number in ("112", "018", "15"):
        result = await pbx.driver.call(number, "personnel", caller="2001")
        assert result.dialed == [number.removeprefix("0")]
        assert result.agistatus == []
        assert not any(app == "AGI" for *_, app, _data in result.steps)


async def test_autocom_stopped_internal_calls_take_the_safe_path(pbx: Pbx) -> None:
    result = await pbx.driver.call("2001", "personnel", caller="2002")
    assert set(result.agistatus) == {"FAILURE"}  # every hook tried, none answered
    assert sorted(result.rang) == ["martin-desk", "martin-soft"]
    result = await pbx.driver.call("0389336101", "entrant", caller="0612345678")
    assert "FAILURE" in result.agistatus
    assert sorted(result.rang) == ["moreau-desk", "moreau-soft"]


async def test_internal_call_through_the_running_autocom(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path):
        result = await pbx.driver.call("2002", "personnel", caller="2001")
    assert result.agistatus and set(result.agistatus) == {"SUCCESS"}
    assert result.rang == ["bernard-desk"]


async def test_autocom_stopping_mid_session_falls_back_to_the_safe_path(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path) as server:
        port = server.agi_port
    # the dialplan still points at the stopped server
    await pbx.set_globals({"AUTOCOM_AGI": f"agi://127.0.0.1:{port}"})
    result = await pbx.driver.call("2002", "personnel", caller="2001")
    assert set(result.agistatus) == {"FAILURE"}
    assert result.rang == ["bernard-desk"]


async def test_site_change_reloaded_into_autocom_and_asterisk(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    site = autocom_config.folder / "site.yaml"
    async with pbx.autocom(autocom_config.path) as server:
        before = await pbx.driver.call("2002", "personnel", caller="2001")
        site.write_text(
            site.read_text().replace(
                "devices: [bernard-desk]", "devices: [bernard-desk, bernard-dect]"
            )
        )
        await pbx.reload_autocom(server)
        after = await pbx.driver.call("2002", "personnel", caller="2001")
        # a broken site is refused: the last good config keeps serving
        text = site.read_text()
        assert "  # Hallways\n" in text  # a line of the users: list
        twin = '  - {extension: "2002", name: Twin, context: personnel}\n'
        site.write_text(text.replace("  # Hallways\n", twin + "  # Hallways\n"))
        with pytest.raises(AssertionError, match="extension 2002 is used twice"):
            await pbx.reload_autocom(server)
        again = await pbx.driver.call("2002", "personnel", caller="2001")
    assert before.rang == ["bernard-desk"]
    assert sorted(after.rang) == ["bernard-dect", "bernard-desk"]
    assert sorted(again.rang) == ["bernard-dect", "bernard-desk"]


async def test_group_overflow_to_a_mobile_passes_call_rights_as_a_forward_of_the_group(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    """Nobody of 2901 answers: the overflow to a mobile is checked by the real call
    rights as a forward on behalf of 2901: refused while 2901 has the default class
    (lobby: no forwards), let through once rights.yaml gives it the staff class."""
    site = autocom_config.folder / "site.yaml"
    group = 'members: ["2102", "2103"], strategy: linear, ring_time: 10'
    text = site.read_text()
    assert group in text
    site.write_text(
        text.replace(
            group,
            group.replace("ring_time: 10", "ring_time: 1") + ', overflow: {number: "00612345678"}',
        )
    )
    rights = autocom_config.folder / "rights.yaml"
    await pbx.driver.sink("simon-desk", "busy")
    await pbx.driver.sink("laurent-desk", "busy")
    async with pbx.autocom(autocom_config.path) as server:
        server.ctx.clock.pin(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris")))
        refused = await pbx.driver.call("0389336190", "entrant", caller="0388000000")
        rights.write_text(
            rights.read_text().replace(
                '    "2101": direction', '    "2101": direction\n    "2901": staff'
            )
        )
        await pbx.reload_autocom(server)
        allowed = await pbx.driver.call("0389336190", "entrant", caller="0388000000")
    assert refused.rang == ["simon-desk", "laurent-desk"]
    assert refused.dialed == []
    assert refused.hangup_cause == 52  # outgoing call barred
    assert allowed.rang == ["simon-desk", "laurent-desk"]
    assert allowed.dialed == ["0612345678"]
    assert set(allowed.agistatus) == {"SUCCESS"}
