"""The portal in a real headless browser (Debian's chromium through chromedriver) against
the real autocom server and the real Asterisk 22: every role's main path, driven with
the keyboard; a forward set in the browser is followed by a real call, and a
secretary's toggle flips the boss's device state in Asterisk (read over AMI).

One browser for the module.  Selenium is synchronous: its calls run in a thread, so
the server (in the test's event loop) answers meanwhile.  With
AUTOCOM_PORTAL_SCREENSHOTS=<folder>, each page's screenshot is written there
(scripts/portal_screenshots.sh fills docs/portal/).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from apps import features
from apps.portal import PortalFeature
from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx
from tests.support.browser import Browser
from tests.support.portal import add_portal

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours


@pytest.fixture
async def portal_cfg(autocom_config: ConfigDir) -> ConfigDir:
    add_portal(autocom_config.path, secure_cookies=True)
    return autocom_config


@contextlib.asynccontextmanager
async def serving(
    pbx: Pbx, cfg: ConfigDir, chrome: WebDriver
) -> AsyncIterator[tuple[Any, Browser]]:
    """The real server (pinned to a Tuesday 10:00) and the browser pointed at its portal."""
    async with pbx.autocom(cfg.path, features=features(), clock=Clock(TZ, pinned=DAY)) as srv:
        portal = srv.ctx.features["portal"]
        assert isinstance(portal, PortalFeature) and portal.port is not None
        yield srv, Browser(chrome, f"http://127.0.0.1:{portal.port}")


async def test_user_sets_a_forward_in_the_browser_and_a_real_call_follows_it(
    pbx: Pbx, portal_cfg: ConfigDir, chrome: WebDriver
) -> None:
    async with serving(pbx, portal_cfg, chrome) as (srv, browser):
        await browser.login("lbernard")
        assert await browser.do(lambda d: d.current_url.endswith("/me"))
        assert await browser.text("forwards") == "Aucun renvoi."
        await browser.shot("me")

        def set_forward(d: WebDriver) -> None:
            Select(d.find_element(By.ID, "ftype")).select_by_value("unconditional")
            d.find_element(By.ID, "number").send_keys("2003", Keys.ENTER)

        await browser.submit(set_forward)
        assert (await browser.text("outcome")).startswith("Fait : unconditional forward")
        await browser.shot("me-forward-set")
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"]
        lamp = await pbx.driver.get_global("DEVICE_STATE(Custom:autocom-fwd-unc-2002)")
        assert lamp == "INUSE"
        # an international forward for the lobby phone: refused in words, nothing stored
        await browser.login("restricted")
        await browser.submit(
            lambda d: d.find_element(By.ID, "number").send_keys("000441234567890\n")
        )
        assert "may not forward to international numbers" in await browser.text("outcome")
        assert await srv.ctx.store.get("forwards", "5001:unconditional") is None
        await browser.shot("me-refused")


async def test_secretary_toggle_flips_the_boss_lamp_in_asterisk(
    pbx: Pbx, portal_cfg: ConfigDir, chrome: WebDriver
) -> None:
    async with serving(pbx, portal_cfg, chrome) as (srv, browser):
        await browser.login("lbernard")
        await browser.open("/secretary")
        assert await browser.text("state-2001") == "actif"
        await browser.shot("secretary")
        await browser.submit(lambda d: d.find_element(By.ID, "toggle-2001").send_keys(Keys.ENTER))
        assert await browser.text("state-2001") == "inactif"
        assert await pbx.driver.get_global("DEVICE_STATE(Custom:bsfilter-2001)") == "NOT_INUSE"
        await browser.submit(lambda d: d.find_element(By.ID, "toggle-2001").send_keys(Keys.ENTER))
        assert await pbx.driver.get_global("DEVICE_STATE(Custom:bsfilter-2001)") == "INUSE"
        assert await srv.ctx.store.get("filters", "2001") == "on"


async def test_secretary_adds_a_vip_and_a_real_call_from_it_reaches_the_boss(
    pbx: Pbx, portal_cfg: ConfigDir, chrome: WebDriver
) -> None:
    """Filtered to her phone before; she types the number in the browser (keyboard
    only); the next real call from it rings both of the boss's phones, no reload."""
    caller = "0388123456"
    async with serving(pbx, portal_cfg, chrome) as (srv, browser):
        before = await pbx.driver.call("2001", "personnel", caller=caller)
        assert before.rang == ["bernard-desk"], before.summary()  # the secretary answers
        await browser.login("lbernard")
        await browser.open("/secretary")
        await browser.submit(
            lambda d: d.find_element(By.ID, "vip-new-2001").send_keys("03 88 12 34 56\n")
        )
        assert await browser.text("outcome") == "Fait : 0388123456 ajouté aux VIP de 2001."
        assert await browser.text(f"vip-2001-{caller}") == caller
        await browser.shot("secretary-vip")
        assert await srv.ctx.store.get("filter-vips", "2001") == caller
        after = await pbx.driver.call("2001", "personnel", caller=caller)
        assert sorted(after.rang) == ["martin-desk", "martin-soft"], after.summary()
        assert after.variable("_AUTOCOM_BS_PLAN") == "direct"
        await browser.submit(lambda d: d.find_element(By.ID, "vip-new-2001").send_keys("06*)(x\n"))
        assert (await browser.text("outcome")).startswith("Refusé : « 06*)(x » n'est pas un")


async def test_helpdesk_admin_language_and_forbidden_pages(
    pbx: Pbx, portal_cfg: ConfigDir, chrome: WebDriver
) -> None:
    async with serving(pbx, portal_cfg, chrome) as (_srv, browser):
        await browser.open("/login")
        await browser.shot("login")
        await browser.login("hmoreau")
        await browser.submit(lambda d: d.find_element(By.ID, "q").send_keys("durand", Keys.ENTER))
        assert (await browser.text("pin-2004")).startswith("non bloqué")
        await browser.shot("helpdesk-find")

        def explain(d: WebDriver) -> None:
            d.find_element(By.ID, "caller").send_keys("5001", Keys.TAB)
            d.switch_to.active_element.send_keys("000441234567890", Keys.TAB)
            d.switch_to.active_element.send_keys("2026-11-24T10:00", Keys.ENTER)

        await browser.submit(explain)
        assert await browser.text("verdict") == "deny (international)"
        await browser.shot("helpdesk")
        await browser.open("/admin")
        assert await browser.text("forbidden") == "Accès refusé."
        await browser.login("cdir")  # a department admin: its department's users
        assert "Antoine Moreau" in await browser.text("users")
        await browser.shot("department")
        await browser.login("root")
        assert await browser.text("last-error") == "aucune"
        calls = await browser.text("calls")  # asked of the test Asterisk over ARI
        assert calls == "Aucun appel." or calls.startswith("Canal"), calls
        await browser.submit(lambda d: d.find_element(By.LINK_TEXT, "English").click())
        assert await browser.text("last-error") == "none"
        await browser.shot("admin")
        cookies = await browser.do(lambda d: d.get_cookies())
        session = next(c for c in cookies if c["name"] == "portal_session")
        assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
