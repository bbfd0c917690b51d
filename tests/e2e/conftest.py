"""Fixtures for the end-to-end tests: one real Asterisk 22 per test session.

- ``asterisk`` (session): the private ``AsteriskInstance`` (tests/e2e/asterisk.py),
  booted with the project's dialplan/, the example site (examples/site.yaml)
  rendered, the test sinks, and SIP endpoints ``phone-a``, ``phone-b`` ...
  (``SIP_PHONES``).  ``asterisk.ari_url``-style facts: ``host``, ``http_port``,
  ``ari_user``, ``ari_password``, ``ami_port``, ``sip_port``.
- ``ari`` (session): ``AriAccess(url, user, password, app)`` for the IVR tests.
- ``driver``: a ``CallDriver`` (its own AMI login, ``driver.ami``) per test.
- ``ami``: the ``pbx``'s ``CallDriver`` (the feature modules' name for it).
- ``pbx``: ``Pbx`` per test: ``driver``, ``asterisk``, and ways to change the
  config for this test only (restored after it): ``await pbx.load_site(...)``,
  ``await pbx.add_dialplan(...)``, ``await pbx.set_globals(...)``,
  ``async with pbx.autocom(config) as server`` (the real autocom server in this
  test's loop, AUTOCOM_AGI pointed at it, the site of its config rendered),
  ``async with pbx.agi(handler, script="test")`` (a bare FastAGI server with one
  route, for protocol tests), ``await pbx.reload_autocom(server)`` (after editing
  the config files), ``pbx.sipp()`` (SIPp phones, tests/e2e/sipp.py),
  ``await pbx.add_endpoint(SipEndpoint(...))``, ``await pbx.add_queue(name, members)``
  (app_queue), ``pbx.mailbox_messages(box)`` (app_voicemail's INBOX; the mailboxes
  are those of the site rendered last, emptied after each test),
  ``port = await pbx.sip_phone(name)`` (an endpoint at a fixed SIPp address),
  ``await pbx.only_local_hooks()``.
- ``autocom_config``: a copy of examples/ in a temporary folder (a ``ConfigDir``)
  to edit before starting autocom.

Without root privileges the fixtures fail with a message saying what is needed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocom.config.model import validate
from autocom.config.yaml_source import load_yaml
from autocom.site.dialplan import render_dialplan
from autocom.site.model import Site
from tests.e2e.ami import AmiClient
from tests.e2e.asterisk import (
    PROJECT,
    TEST_GLOBALS,
    AsteriskError,
    AsteriskInstance,
    SipEndpoint,
    ensure_root,
)
from tests.e2e.driver import CallDriver, CallResult
from tests.e2e.sipp import CALL, REGISTER, UNREGISTER, Sipp, free_udp_port

EXAMPLES = PROJECT / "examples"
HOOK_POINTS = ("INCOMING", "USER", "UNANSWERED", "OUTGOING", "FORWARD")
DEFAULT_SITE = EXAMPLES / "site.yaml"

# SIP endpoints of the session's Asterisk, for SIPp phones (password "secret"):
# name -> (context, callerid).
SIP_PHONES: dict[str, tuple[str, str]] = {
    "phone-a": ("personnel", '"Durand Marc" <2004>'),
    "phone-b": ("personnel", '"Bernard Luc" <2002>'),
    "phone-c": ("couloirs", '"Amphi A" <5001>'),
}


def default_endpoints() -> dict[str, SipEndpoint]:
    return {
        name: SipEndpoint(name, context=context, callerid=callerid)
        for name, (context, callerid) in SIP_PHONES.items()
    }


def load_site(path: Path) -> Site:
    return validate(Site, load_yaml(path))


def mailboxes(site: Site) -> dict[str, str]:
    """The site's voicemail boxes (box -> user's name), for voicemail.conf."""
    return {u.voicemail: u.display_name for u in site.users if u.voicemail is not None}


@dataclass(frozen=True)
class AriAccess:
    """How to reach the session Asterisk's ARI."""

    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/ari"


@pytest.fixture(scope="session")
def asterisk_root() -> Path:
    try:
        return ensure_root()
    except AsteriskError as exc:
        pytest.fail(str(exc), pytrace=False)


@contextlib.contextmanager
def private_asterisk(
    root: Path,
    *,
    site: Site | None = None,
    extra_dialplan: str = "",
    globals: Mapping[str, str] | None = None,
    endpoints: dict[str, SipEndpoint] | None = None,
    cel: bool = False,
    resolv_conf: Path | None = None,
) -> Iterator[AsteriskInstance]:
    """Boot one private Asterisk (the session's, or a module's own with its site,
    extra dialplan and globals; ``cel``: channel event logging to AMI and to the
    backlog; ``resolv_conf``: its own DNS resolver), fail the test plainly if it cannot,
    clean it up."""
    instance = AsteriskInstance(root)
    instance.cel = cel
    instance.resolv_conf = resolv_conf
    if site is not None:
        instance.site_dialplan = render_dialplan(site)
        instance.voicemail_boxes = mailboxes(site)
    instance.extra_dialplan = extra_dialplan
    instance.globals.update(globals or {})
    if endpoints is not None:
        instance.endpoints = endpoints
    try:
        instance.start()
    except AsteriskError as exc:
        instance.cleanup()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield instance
    finally:
        instance.cleanup()


@contextlib.asynccontextmanager
async def call_driver(asterisk: AsteriskInstance) -> AsyncIterator[CallDriver]:
    """A ``CallDriver`` on a fresh AMI login, the device sinks reset before and after."""
    client = await AmiClient.connect(
        asterisk.host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
    )
    driver = CallDriver(client)
    try:
        await driver.reset_sinks()
        yield driver
        await driver.reset_sinks()
    finally:
        await client.close()


@pytest.fixture(scope="session")
def asterisk(asterisk_root: Path) -> Iterator[AsteriskInstance]:
    site = load_site(DEFAULT_SITE)
    with private_asterisk(asterisk_root, site=site, endpoints=default_endpoints()) as instance:
        yield instance


@pytest.fixture(scope="session")
def ari(asterisk: AsteriskInstance) -> AriAccess:
    return AriAccess(asterisk.host, asterisk.http_port, asterisk.ari_user, asterisk.ari_password)


@pytest.fixture
async def driver(asterisk: AsteriskInstance) -> AsyncIterator[CallDriver]:
    async with call_driver(asterisk) as drv:
        yield drv


class Pbx:
    """The session Asterisk as one test sees it; every change is undone after the test."""

    def __init__(self, asterisk: AsteriskInstance, driver: CallDriver) -> None:
        self.asterisk = asterisk
        self.driver = driver
        self.ami = driver.ami
        self._changed = False
        self._endpoints_changed = False
        self._sipp_count = 0

    async def load_site(self, site: Site | Path | str) -> Site:
        """Render this site (a Site, a site.yaml path, or YAML text) and reload."""
        if isinstance(site, str) and "\n" in site:
            tmp = self.asterisk.tmp / "site.yaml"
            tmp.write_text(site)
            site = tmp
        if not isinstance(site, Site):
            site = load_site(Path(site))
        await self._render(site)
        return site

    async def _render(self, site: Site, config: Any = None) -> None:
        """The site's dialplan and mailboxes into Asterisk (one reload); with the
        autocom ``config``, its features' contexts too (feature codes), as
        `autocom dialplan` renders them."""
        await self._reconfigure(
            site_dialplan=render_dialplan(config if config is not None else site),
            voicemail_boxes=mailboxes(site),
        )

    async def load_site_dialplan(self, text: str) -> None:
        """A site dialplan rendered elsewhere (`autocom dialplan` run as a command)."""
        await self._reconfigure(site_dialplan=text)

    async def add_dialplan(self, text: str) -> None:
        """Add contexts (e.g. an ``autocom-local-user`` hook) for this test."""
        await self._reconfigure(extra_dialplan=self.asterisk.extra_dialplan + "\n" + text)

    async def set_globals(self, values: Mapping[str, str]) -> None:
        """Set globals now and across reloads (back to the test defaults after the test)."""
        self._changed = True
        self.asterisk.globals.update(values)
        for name, value in values.items():
            await self.driver.set_global(name, value)

    async def only_local_hooks(self) -> None:
        """Run only the ``autocom-local-<point>`` hooks (no feature's): base-flow tests."""
        await self.set_globals({f"AUTOCOM_HOOKS_{p}": "local" for p in HOOK_POINTS})

    async def add_endpoint(self, endpoint: SipEndpoint) -> None:
        """Add (or replace) a PJSIP endpoint for this test and reload res_pjsip."""
        self.asterisk.endpoints[endpoint.name] = endpoint
        self._endpoints_changed = True
        self.asterisk.write_pjsip()
        await self.driver.command("module reload res_pjsip.so")

    async def sip_phone(
        self, name: str, context: str = "personnel", *, dial_sip: bool = True
    ) -> int:
        """Endpoint ``name`` reached at a fixed contact on 127.0.0.1 (no REGISTER): start
        a SIPp phone on the returned port.  ``dial_sip``: devices are dialed as
        ``PJSIP/{device}`` for this test (instead of the test sinks)."""
        port = free_udp_port()
        await self.add_endpoint(
            SipEndpoint(name, context=context, static_contact=f"sip:{name}@127.0.0.1:{port}")
        )
        if dial_sip:
            await self.set_globals({"AUTOCOM_DEVICE_DIAL": "PJSIP/{device}"})
        return port

    async def phone_dials(self, endpoint: SipEndpoint, number: str) -> CallResult:
        """``endpoint`` (password ``secret``) registers from a SIPp phone, dials
        ``number`` and unregisters; the call as Asterisk saw it, once it is over."""
        await self.add_endpoint(endpoint)
        sipp = self.sipp()
        user = endpoint.name
        reg = await sipp.run(REGISTER, service=user, user=user, password="secret")
        assert reg.ok, reg.explain()
        mark = self.driver.mark()
        run = await sipp.start(
            CALL,
            service=number,
            user=user,
            password="secret",
            port=reg.port,
            variables={"caller_name": "DECT"},
        )
        call = await self.driver.call_from(f"PJSIP/{user}-", mark)
        result = await call.finished(20)
        await run.wait()
        off = await sipp.run(UNREGISTER, service=user, user=user, password="secret", port=reg.port)
        assert off.ok, off.explain()
        return result

    async def add_queue(self, name: str, members: Sequence[str]) -> None:
        """A queue (app_queue, ringall, 5 s a try) of member interfaces for this test,
        e.g. ``Local/q2010@autocom-test-device-sink/n`` (its sink reports ``q2010``)."""
        await self._reconfigure(queues={**self.asterisk.queues, name: list(members)})

    def mailbox_messages(self, box: str, context: str = "default") -> list[dict[str, str]]:
        """The messages left in a mailbox during this test (emptied after it)."""
        return self.asterisk.mailbox_messages(box, context)

    def sipp(self) -> Sipp:
        """SIPp phones against this Asterisk (tests/e2e/sipp.py)."""
        self._sipp_count += 1
        folder = self.asterisk.tmp / f"sipp-{os.getpid()}-{self._sipp_count}"
        return Sipp(folder, self.asterisk.host, self.asterisk.sip_port)

    async def _reconfigure(self, **kw: Any) -> None:
        self._changed = True
        await _to_thread(self.asterisk.reconfigure, **kw)

    @contextlib.asynccontextmanager
    async def agi(
        self, handler: Callable[[Any], Awaitable[None]], script: str = "test"
    ) -> AsyncIterator[Any]:
        """A bare FastAGI server (autocom.agi) serving ``handler`` for ``script``."""
        from autocom.agi.router import AgiRoute, AgiRouter
        from autocom.agi.server import FastAgiServer

        server = FastAgiServer(AgiRouter([AgiRoute(script, handler)]), port=0, grace_period=2)
        await server.start()
        await self.set_globals({"AUTOCOM_AGI": f"agi://127.0.0.1:{server.port}"})
        try:
            yield server
        finally:
            await self.set_globals({"AUTOCOM_AGI": TEST_GLOBALS["AUTOCOM_AGI"]})
            await server.close()

    @contextlib.asynccontextmanager
    async def autocom(
        self,
        config: Path | str | None = None,
        *,
        features: Sequence[Any] | None = None,
        clock: Any = None,
    ) -> AsyncIterator[Any]:
        """The real autocom server (autocom.app.running) for this test.

        ``config`` is an autocom.yaml (default: examples/autocom.yaml); its site is
        rendered into Asterisk and AUTOCOM_AGI points at the server's port.
        """
        from apps import features as all_features
        from autocom.app import running

        path = Path(config) if config is not None else EXAMPLES / "autocom.yaml"
        feats = list(features) if features is not None else all_features()
        async with running(
            path, feats, clock=clock, agi_port=0, http_port=0, watch=False
        ) as server:
            await self._render(server.ctx.config.current.site, server.ctx.config.current)
            await self.set_globals({"AUTOCOM_AGI": f"agi://127.0.0.1:{server.agi_port}"})
            try:
                yield server
            finally:
                await self.set_globals({"AUTOCOM_AGI": TEST_GLOBALS["AUTOCOM_AGI"]})

    async def reload_autocom(self, server: Any) -> None:
        """After editing the config files: reload autocom (raise if the new config is
        refused) and re-render the site into Asterisk, as an admin's reload does."""
        holder = server.ctx.config
        if not await holder.refresh():
            raise AssertionError(f"autocom refused the new config: {holder.last_error}")
        await self._render(holder.current.site, holder.current)

    async def restore(self) -> None:
        if self._endpoints_changed:
            self.asterisk.endpoints = default_endpoints()
            self.asterisk.write_pjsip()
            await self.driver.command("module reload res_pjsip.so")
        if self._changed:
            site = load_site(DEFAULT_SITE)
            await _to_thread(
                self.asterisk.reconfigure,
                site_dialplan=render_dialplan(site),
                extra_dialplan="",
                globals={},
                voicemail_boxes=mailboxes(site),
                queues={},
            )
        self.asterisk.clear_mailboxes()


async def _to_thread(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args, **kw)


@pytest.fixture
async def pbx(asterisk: AsteriskInstance, driver: CallDriver) -> AsyncIterator[Pbx]:
    p = Pbx(asterisk, driver)
    yield p
    await p.restore()


@pytest.fixture
def ami(pbx: Pbx) -> CallDriver:
    """The ``pbx``'s call driver (the session Asterisk, restored after the test)."""
    return pbx.driver


def write_autocom_yaml(
    folder: Path, asterisk: AsteriskInstance, rules: Mapping[str, str], *, timezone: str
) -> Path:
    """``folder``/autocom.yaml: site.yaml, a SQLite state in ``folder``, the ARI of
    ``asterisk`` and the ``rules`` files (feature -> file name in ``folder``)."""
    rule_files = ", ".join(f"{feature}: {name}" for feature, name in rules.items())
    main = folder / "autocom.yaml"
    main.write_text(
        f"timezone: {timezone}\nsite: site.yaml\n"
        f"state: {{backend: sqlite, path: {folder / 'state.sqlite'}}}\n"
        f"ari: {{url: 'http://{asterisk.host}:{asterisk.http_port}', user: {asterisk.ari_user},"
        f" password: '{asterisk.ari_password}', timeout: '2'}}\n"
        f"rules: {{{rule_files}}}\n"
    )
    return main


@dataclass
class ConfigDir:
    """A copy of examples/ that a test may edit; ``path`` is its autocom.yaml."""

    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / "autocom.yaml"

    def write(self, name: str, text: str) -> Path:
        target = self.folder / name
        target.write_text(text)
        return target

    def use_backend(self, backend: str, redis_url: str = "") -> Path:
        """Keep the example's sqlite state, or switch it to redis at ``redis_url``;
        returns ``path``.  Fails loudly if the example's state: section changed shape
        (a silent no-op would test sqlite twice)."""
        if backend == "redis":
            text = self.path.read_text()
            text, backends = re.subn(r"(?m)^(\s+)backend: sqlite\b", r"\1backend: redis", text)
            text, urls = re.subn(r"(?m)^(\s+)# url: redis://\S+", rf"\1url: {redis_url}", text)
            assert backends == 1 and urls == 1, f"no state backend/url to switch in {self.path}"
            self.path.write_text(text)
        else:
            assert backend == "sqlite", backend
        return self.path

    def point_ari(self, ari: AriAccess) -> None:
        """Point autocom.yaml's ari: section at the test Asterisk's ARI."""
        text = self.path.read_text()
        new, count = re.subn(
            r"(?m)^ari:(.*)\n((?:[ \t]+.*\n|\s*\n)*)",
            lambda m: (
                f"ari:{m.group(1)}\n  url: http://{ari.host}:{ari.port}\n"
                f"  user: {ari.user}\n  password: {ari.password}\n"
            ),
            text,
            count=1,
        )
        if count == 0:
            new = text + (
                f"\nari:\n  url: http://{ari.host}:{ari.port}\n  user: {ari.user}\n"
                f"  password: {ari.password}\n"
            )
        self.path.write_text(new)


@pytest.fixture
def autocom_config(tmp_path: Path, ari: AriAccess) -> ConfigDir:
    """examples/ copied to a temporary folder, its ari: section pointed at the test ARI."""
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    config = ConfigDir(folder)
    config.point_ari(ari)
    return config
