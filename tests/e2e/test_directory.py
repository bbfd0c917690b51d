"""Caller names from the directory on real calls: Asterisk 22, autocom, slapd.

A call to a user runs the "user" hook point; autocom-directory-user runs the
callername AGI hook, which sets CALLERID(name) with one SET VARIABLE.  The
device sink reports the caller id it was shown.  The session Asterisk (``pbx``):
``pbx.autocom`` renders this module's site into it for each test.
"""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autocom.app import Server
from tests.e2e.conftest import Pbx
from tests.e2e.driver import CallDriver
from tests.support.slapd import Slapd

pytestmark = pytest.mark.e2e

SITE = """
name: e2e-directory
contexts:
  - {name: direction, users: "2001-2009"}
users:
  - {extension: "2001", name: Dupont, first_name: Marie, context: direction,
     devices: [desk-2001], department: Présidence}
  - {extension: "2002", name: Martin, first_name: Anne, context: direction, devices: [desk-2002]}
"""

PEOPLE = """name,first_name,department,office
"Evil""; ${SHELL(touch /tmp/autocom-e2e-pwned)}",Bob,"R&D
Labo",03 87 00 00 01
"""


def write_config(folder: Path, slapd: Slapd, index: str = "false") -> Path:
    """``index``: the LDAP source's (false: every lookup asks slapd, the path the
    outage tests are about; {}: read into memory, the default)."""
    (folder / "site.yaml").write_text(textwrap.dedent(SITE), encoding="utf-8")
    (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (folder / "directory.yaml").write_text(
        f"""
sources:
  - type: site
  - {{type: file, name: annuaire, path: people.csv}}
  - type: ldap
    name: rh
    servers: ["{slapd.url}"]
    base: "{slapd.base}"
    bind_dn: "{slapd.bind_dn}"
    password: "{slapd.password}"
    timeout: 1
    connect_timeout: 0.5
    index: {index}
caller_name: {{budget_ms: 300}}
cache: {{ttl: 0, miss_ttl: 0}}
""",
        encoding="utf-8",
    )
    main = folder / "autocom.yaml"
    main.write_text(
        f"site: site.yaml\nstate: {{path: {folder / 'state.sqlite'}}}\n"
        "rules: {directory: directory.yaml}\n",
        encoding="utf-8",
    )
    return main


@pytest.fixture
async def server(tmp_path: Path, pbx: Pbx, slapd: Slapd) -> AsyncIterator[Server]:
    config = write_config(tmp_path, slapd)
    async with pbx.autocom(config) as srv:
        yield srv


def ami_escaped(text: str) -> str:
    """How AMI events print a caller name (Asterisk escapes it C-style)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


async def call_2001(ami: CallDriver, caller: str, name: str) -> tuple[str, str, float, list[str]]:
    started = time.monotonic()
    result = await ami.call("2001", "direction", caller=caller, caller_name=name, max_wait=20)
    elapsed = time.monotonic() - started
    assert result.rang == ["desk-2001"], result.summary()
    number, shown = result.sink_caller("desk-2001")
    return number, shown, elapsed, result.agistatus[:1]  # the directory hook runs first


async def test_ldap_person_calling_gets_the_directory_name(
    server: Server, ami: CallDriver, slapd: Slapd
) -> None:
    person = slapd.people[5]  # Élie Jean, Médecine, +33 3 88 40 00 05
    number, shown, _, status = await call_2001(ami, "0388400005", "Jean")
    assert (number, shown) == ("0388400005", f"ÉLIE Jean - {person.department}")
    assert status == ["SUCCESS"]


async def test_internal_call_gets_the_site_department(server: Server, ami: CallDriver) -> None:
    result = await ami.call("2001", "direction", caller="2002", caller_name="Anne", max_wait=20)
    assert result.sink_caller("desk-2001") == ("2002", "MARTIN Anne")


async def test_unknown_number_keeps_its_name(server: Server, ami: CallDriver) -> None:
    number, shown, _, status = await call_2001(ami, "0145678900", "Jean Martin")
    assert (number, shown, status) == ("0145678900", "Jean Martin", ["SUCCESS"])


async def test_ldap_stopped_the_call_goes_on_unchanged_within_the_budget(
    server: Server, ami: CallDriver, slapd: Slapd
) -> None:
    _, _, normal, _ = await call_2001(ami, "0145678900", "Jean Martin")
    slapd.stop()
    number, shown, elapsed, status = await call_2001(ami, "0388400006", "Orig Name")
    assert (number, shown, status) == ("0388400006", "Orig Name", ["SUCCESS"])
    assert elapsed - normal < 0.3 + 0.5


async def test_ldap_hung_the_call_goes_on_unchanged_within_the_budget(
    server: Server, ami: CallDriver, slapd: Slapd
) -> None:
    _, _, normal, _ = await call_2001(ami, "0145678900", "Jean Martin")
    slapd.pause()
    try:
        number, shown, elapsed, status = await call_2001(ami, "0388400007", "Orig Name")
    finally:
        slapd.resume()
    assert (number, shown, status) == ("0388400007", "Orig Name", ["SUCCESS"])
    assert elapsed - normal < 0.3 + 0.5


async def test_ldap_stopped_once_read_into_memory_the_name_still_comes(
    tmp_path: Path, pbx: Pbx, ami: CallDriver, slapd: Slapd
) -> None:
    from apps.directory import DirectoryFeature

    person = slapd.people[6]
    async with pbx.autocom(write_config(tmp_path, slapd, index="{}")) as server:
        feature = server.ctx.features["directory"]
        assert isinstance(feature, DirectoryFeature)
        service = await feature.service_for(server.ctx.config.current)
        await asyncio.wait_for(service.wait_loaded(), 30)
        slapd.stop()  # the fixture starts it again
        number, shown, _, status = await call_2001(ami, "0388400006", "Orig Name")
    assert (number, status) == ("0388400006", ["SUCCESS"])
    assert shown == f"{person.sn.upper()} {person.given_name} - {person.department}"


@pytest.fixture
def pwned() -> Path:
    """The file a SHELL() in the directory's data would create if it ever ran."""
    path = Path("/tmp/autocom-e2e-pwned")
    path.unlink(missing_ok=True)
    return path


async def test_hostile_directory_data_stays_data(
    server: Server, ami: CallDriver, pwned: Path
) -> None:
    _, shown, _, _ = await call_2001(ami, "0387000001", "x")
    # caller_name.max_length (48) cuts it; AMI shows a '"' of the name as '\\"'
    assert shown == ami_escaped('EVIL"; ${SHELL(TOUCH /TMP/AUTOCOM-E2E-PWNED)} Bo')
    assert not await asyncio.to_thread(pwned.exists)


async def test_hostile_caller_id_is_not_looked_up(server: Server, ami: CallDriver) -> None:
    result = await ami.call(
        "2001", "direction", caller="0388${SHELL(id)}", caller_name='a"b', max_wait=20
    )
    assert result.rang == ["desk-2001"], result.summary()
    assert result.sink_caller("desk-2001")[1] == ami_escaped('a"b')  # unchanged
