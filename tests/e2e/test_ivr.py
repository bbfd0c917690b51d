"""IVR end to end: a real Asterisk 22, autocom serving its ARI Stasis app, calls with DTMF.

The tests run on the session Asterisk (``pbx``): the IVR globals, the
``ivr-test-internal`` context, the module's site (its mailboxes) and a queue are
added for each test and taken back after it.  One test has an Asterisk of its own
(``restartable``): it stops and restarts Asterisk under the running autocom, which
the session Asterisk shared by every module must not go through.
"""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from apps import features
from apps.ivr import IvrFeature
from autocom.app import Server, running
from autocom.clock import Clock
from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.conftest import Pbx, call_driver, private_asterisk, write_autocom_yaml
from tests.e2e.driver import CallDriver

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours
NIGHT = datetime(2026, 11, 24, 23, 30)

INTERNAL = """
[ivr-test-internal]
; extensions the IVR routes to: each rings a device sink named dev<extension>
exten => _XXXX,1,Dial(Local/dev${EXTEN}@autocom-test-device-sink,5)
 same => n,Hangup()
"""

IVR = """
app: autocom-ivr-test
defaults: {language: fr, timeout: "2", retries: "1", invalid: [beep], goodbye: [beep]}
menus:
  main:
    prompt: [beep]
    branches:
      - {outside: office, menu: closed}
    options:
      "1": {menu: services}
      "2": {extension: "2001"}
      "3": {queue: support}
      "5": {voicemail: "2001@default"}
      "9": {directory: {min_letters: "3", prompt: [beep], pick: [beep]}}
  services:
    prompt: [vm-enter-num-to-call]
    options:
      "1": {extension: "2002"}
      "2": {extension: "2003"}
  closed:
    prompt: [beep]
    timeout: "1"
    retries: "0"
    on_failure: {extension: "2999"}
  strict:
    prompt: [beep]
    timeout: "1"
    retries: "1"
    options:
      "1": {extension: "2001"}
"""

SITE = """
name: test
contexts:
  - {name: default, users: "2000-2999"}
users:
  - {extension: "2001", name: Dupont, first_name: Anne, context: default, voicemail: "2001"}
  - {extension: "2002", name: Martin, first_name: Paul, context: default}
  - {extension: "2003", name: Durand, first_name: Luc, context: default}
"""

# The directory's file source: Roussel is in no site.yaml, only here; Rousseau
# has only an outside number, so the IVR (external: no by default) skips him.
PEOPLE = """name,first_name,extension,office
Roussel,Claire,2005,
Rousseau,Marc,,03 89 33 62 10
"""

DIRECTORY = """
sources:
  - type: site
  - {type: file, name: annuaire, path: people.csv}
cache: {ttl: 0, miss_ttl: 0}
"""

RIGHTS = """
timezone: Europe/Paris
slots:
  office:
    weekdays: mon-fri
    hours: ["08:00-19:00"]
"""


IVR_GLOBALS = {
    "AUTOCOM_IVR_APP": "autocom-ivr-test",
    "AUTOCOM_IVR_DEFAULT_CONTEXT": "ivr-test-internal",
    "AUTOCOM_IVR_OPERATOR": "2000",
}

# The queue of option 3: one member, a Local channel into the device sink "q2010".
QUEUE_MEMBER = "Local/q2010@autocom-test-device-sink/n"


def write_config(folder: Path, asterisk: AsteriskInstance) -> Path:
    (folder / "site.yaml").write_text(textwrap.dedent(SITE))
    (folder / "rights.yaml").write_text(textwrap.dedent(RIGHTS))
    (folder / "ivr.yaml").write_text(textwrap.dedent(IVR))
    (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (folder / "directory.yaml").write_text(textwrap.dedent(DIRECTORY))
    return write_autocom_yaml(
        folder,
        asterisk,
        {"time_rules": "rights.yaml", "ivr": "ivr.yaml", "directory": "directory.yaml"},
        timezone=TZ,
    )


@contextlib.asynccontextmanager
async def ivr_server(config: Path) -> AsyncIterator[Server]:
    """autocom serving ``config`` with the IVR's ARI link up."""
    async with running(
        config, features(), clock=Clock(TZ, pinned=DAY), agi_port=0, http_port=0, watch=False
    ) as srv:
        await wait_ivr_link(srv)
        yield srv


async def wait_ivr_link(srv: Server) -> None:
    feature = ivr_of(srv)
    assert feature.link is not None
    await feature.link.wait_connected(10)


@pytest.fixture
async def server(tmp_path: Path, pbx: Pbx) -> AsyncIterator[Server]:
    await pbx.set_globals(IVR_GLOBALS)
    await pbx.add_dialplan(INTERNAL)
    await pbx.add_queue("support", [QUEUE_MEMBER])
    config = write_config(tmp_path, pbx.asterisk)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)) as srv:
        await wait_ivr_link(srv)
        yield srv


@pytest.fixture
def restartable(asterisk_root: Path) -> Iterator[AsteriskInstance]:
    """An Asterisk of its own for the restart test (see the module's docstring)."""
    with private_asterisk(asterisk_root, extra_dialplan=INTERNAL, globals=IVR_GLOBALS) as instance:
        yield instance


def ivr_of(srv: Server) -> IvrFeature:
    feature = srv.ctx.features["ivr"]
    assert isinstance(feature, IvrFeature)
    return feature


async def last_history(srv: Server) -> list[str]:
    """The history of the IVR's last call, once the app has recorded its end: the
    caller's side may see the hangup before the app has its StasisEnd."""
    app = ivr_of(srv).app
    assert app is not None
    for _ in range(500):  # 10 s at most (a loaded machine)
        if app.finished and not app.calls:
            break
        await asyncio.sleep(0.02)
    assert app.finished and not app.calls, "the IVR app did not record the call's end"
    return app.finished[-1].history


async def test_two_level_menu_by_dtmf_reaches_the_extension(
    server: Server, ami: CallDriver
) -> None:
    # 1 -> menu services (its long prompt is interrupted: barge-in), then 2 -> 2003
    result = await ami.call("main", "autocom-ivr", dtmf="1ww2", max_wait=20)
    assert result.rang == ["dev2003"], result.summary()
    history = await last_history(server)
    assert "menu main: key 1" in history
    assert "menu services: key 2" in history


async def test_closed_branch_at_night(server: Server, ami: CallDriver) -> None:
    server.ctx.clock.pin(NIGHT)
    result = await ami.call("main", "autocom-ivr", max_wait=20)
    assert result.rang == ["dev2999"], result.summary()
    history = await last_history(server)
    assert history[0] == "menu main: outside slot office"
    assert any("no retries left" in h for h in history)


async def test_timeout_repeats_the_menu_then_hangs_up(server: Server, ami: CallDriver) -> None:
    result = await ami.call("strict", "autocom-ivr", max_wait=20)
    assert result.rang == [], result.summary()
    history = await last_history(server)
    assert history[:3] == [
        "menu strict: prompt",
        "prompt played, waiting for a key",
        "menu strict: no key within 1 s, replay",
    ]
    assert "menu strict: no key within 1 s, no retries left" in history
    assert history[-1] == "goodbye played"


async def test_dial_by_name(server: Server, ami: CallDriver) -> None:
    # 9: directory; 387 spells D-U-R (Durand) and D-U-P (Dupont): both are offered,
    # sorted by name, so key 1 picks Durand (2003)
    result = await ami.call("main", "autocom-ivr", dtmf="9w3871", max_wait=25)
    assert result.rang == ["dev2003"], result.summary()
    assert "dial by name: 2 match(es) for 387 from directory" in await last_history(server)


async def test_dial_by_name_finds_a_person_only_in_the_directory_file(
    server: Server, ami: CallDriver
) -> None:
    # 768 spells R-O-U: Roussel (people.csv, extension 2005) and Rousseau (an outside
    # number only, not offered), so Roussel is the only match: key 1 rings 2005
    result = await ami.call("main", "autocom-ivr", dtmf="9w7681", max_wait=25)
    assert result.rang == ["dev2005"], result.summary()
    history = await last_history(server)
    assert "dial by name: 1 match(es) for 768 from directory" in history
    assert "dial by name: Roussel Claire" in history


async def test_queue_option_rings_the_queue_member(server: Server, ami: CallDriver) -> None:
    # 3 -> Queue(support): app_queue rings its member, a Local channel into sink q2010
    result = await ami.call("main", "autocom-ivr", dtmf="3", max_wait=20)
    assert result.apps("Queue", "autocom-ivr-route") == ["support"], result.summary()
    assert any(c.startswith("Local/q2010@autocom-test-device-sink-") for c in result.channels)
    assert result.rang == ["q2010"], result.summary()  # answered: no fallback after it
    assert "menu main: key 3" in await last_history(server)


async def test_voicemail_option_takes_a_message_for_the_mailbox(
    server: Server, pbx: Pbx, ami: CallDriver
) -> None:
    assert pbx.mailbox_messages("2001") == []
    # 5 -> VoiceMail(2001@default,u); # skips the greeting, 2 s of message, hang up
    leave = {"AUTOCOM_TEST_CALLER_SECONDS": "2"}
    result = await ami.call("main", "autocom-ivr", dtmf="5ww#", variables=leave, max_wait=25)
    assert result.apps("VoiceMail", "autocom-ivr-route") == ["2001@default,u"], result.summary()
    assert result.rang == [], result.summary()
    assert "menu main: key 5" in await last_history(server)
    messages = pbx.mailbox_messages("2001")
    assert [m["origmailbox"] for m in messages] == ["2001"], messages


async def test_link_down_takes_the_safe_path(server: Server, ami: CallDriver) -> None:
    feature = ivr_of(server)
    assert feature.link is not None
    await feature.link.stop()
    try:
        result = await ami.call("main", "autocom-ivr", max_wait=20)
        assert result.rang == ["dev2000"], result.summary()
        assert any(e.get("UserEvent") == "AutocomIvr" for e in result.events)
    finally:
        feature.link.start()
        await feature.link.wait_connected(10)


async def test_asterisk_restart_link_comes_back(
    tmp_path: Path, restartable: AsteriskInstance
) -> None:
    asterisk = restartable
    async with ivr_server(write_config(tmp_path, asterisk)) as server:
        feature = ivr_of(server)
        assert feature.link is not None
        before = feature.link.connects
        await asyncio.to_thread(asterisk.stop)
        await asyncio.to_thread(asterisk.start)
        await feature.link.wait_connected(30)
        assert feature.link.connects == before + 1
        async with call_driver(asterisk) as driver:
            result = await driver.call("main", "autocom-ivr", dtmf="2", max_wait=20)
        assert result.rang == ["dev2001"], result.summary()
