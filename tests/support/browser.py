"""A real headless browser for the portal's tests: Debian's chromium through
/usr/bin/chromedriver (one for a test module: the ``chrome`` fixture), and
:class:`Browser`, which runs each synchronous selenium step in a thread so that the
server, in the test's event loop, answers meanwhile.  With
AUTOCOM_PORTAL_SCREENSHOTS=<folder>, :meth:`Browser.shot` writes each page there."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.portal import PASSWORD

T = TypeVar("T")
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,800",
)


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _replaced(page: WebElement) -> Callable[[WebDriver], bool]:
    """True once ``page`` (the old page's html element) is gone: stale, or, as chromium
    sometimes answers for a node asked about while its page is being replaced,
    "unhandled inspector error: ... Node with given id does not belong to the document"
    (a plain WebDriverException that selenium's staleness_of lets through: it failed
    test_portal_browser.py twice in 17 runs under load)."""

    def check(_driver: WebDriver) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in (exc.msg or ""):
                return True
            raise
        return False

    return check


class Browser:
    """The module's browser, for one test: each step in a thread."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver = driver
        self.base = base

    async def do(self, step: Callable[[WebDriver], T]) -> T:
        return await asyncio.to_thread(step, self.driver)

    async def submit(self, step: Callable[[WebDriver], None]) -> None:
        """``step`` sends a form (a key or a click): wait for the next page to load."""

        def run(d: WebDriver) -> None:
            page = d.find_element(By.TAG_NAME, "html")
            step(d)
            WebDriverWait(d, 10).until(_replaced(page))

        await self.do(run)

    async def open(self, path: str) -> None:
        await self.do(lambda d: d.get(f"{self.base}{path}"))

    async def text(self, element_id: str) -> str:
        return await self.do(lambda d: d.find_element(By.ID, element_id).text)

    async def shot(self, name: str) -> None:
        folder = os.environ.get("AUTOCOM_PORTAL_SCREENSHOTS")
        if folder:
            await self.do(lambda d: d.save_screenshot(str(Path(folder) / f"{name}.png")))

    async def login(self, name: str, password: str = PASSWORD) -> None:
        """Log in with the keyboard only: type, Tab, type, Enter."""
        await self.open("/login")
        await self.do(lambda d: d.delete_all_cookies())
        await self.open("/login")

        def type_in(d: WebDriver) -> None:
            # autofocus puts the caret in the username (chromium applies it after load)
            WebDriverWait(d, 5).until(
                lambda d: d.switch_to.active_element.get_attribute("id") == "login"
            )
            d.switch_to.active_element.send_keys(name, Keys.TAB)
            d.switch_to.active_element.send_keys(password, Keys.ENTER)

        await self.submit(type_in)
