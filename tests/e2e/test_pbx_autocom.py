"""The whole dialplan (every feature's hooks) with the real autocom server, and without it."""

from __future__ import annotations

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
    await pbx.set_globals({"AUTOCOM_AGI": f"127.0.0.1:{port}"})
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
        site.write_text(
            site.read_text() + '  - {extension: "2002", name: Twin, context: personnel}\n'
        )
        with pytest.raises(AssertionError, match="extension 2002 is used twice"):
            await pbx.reload_autocom(server)
        again = await pbx.driver.call("2002", "personnel", caller="2001")
    assert before.rang == ["bernard-desk"]
    assert sorted(after.rang) == ["bernard-dect", "bernard-desk"]
    assert sorted(again.rang) == ["bernard-dect", "bernard-desk"]
