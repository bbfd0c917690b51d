"""A department's fragment decides real calls: a real Asterisk 22, the real autocom
server, the project's dialplan (docs/departments.md).

The example site and rights; departments.yaml lets Laboratoire MIPS give its users
the classes staff or lab, and its fragment makes Hugo Laurent (2103, staff by his
context) a lab phone: at night a national number is refused to him, allowed to his
colleague 2102.  A reload applies the fragment's edit; an edit that reaches a user
of another department is refused and the last good config keeps deciding.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.app import Server
from autocom.clock import Clock
from tests.e2e.conftest import EXAMPLES, Pbx

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
TUESDAY_23 = datetime(2026, 11, 24, 23, 0)  # night: lab may not call national numbers
NATIONAL = "00140000000"
DEPARTMENTS = """\
departments:
  mips:
    name: Laboratoire MIPS
    may: {assign: [staff, lab]}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    (folder / "departments" / "mips").mkdir(parents=True)
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    shutil.copy(EXAMPLES / "rights.yaml", folder / "rights.yaml")
    (folder / "departments.yaml").write_text(DEPARTMENTS, encoding="utf-8")
    (folder / "departments" / "mips" / "rights.yaml").write_text('assign:\n  "2103": lab\n')
    (folder / "autocom.yaml").write_text(
        f"timezone: {TZ}\nsite: site.yaml\ndepartments: departments.yaml\n"
        f"state: {{path: {folder}/state.sqlite}}\nrules:\n  time_rules: rights.yaml\n",
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


@pytest.fixture
async def server(pbx: Pbx, config: Path) -> AsyncIterator[Server]:
    clock = Clock(TZ, pinned=TUESDAY_23)
    async with pbx.autocom(config, features=[TimeRulesFeature()], clock=clock) as srv:
        yield srv


async def test_a_class_a_department_assigns_decides_the_call(
    pbx: Pbx, server: Server, config: Path
) -> None:
    lab = await pbx.driver.call(NATIONAL, "personnel", caller="2103")
    assert lab.dialed == [] and lab.variable("AUTOCOM_RIGHTS") == "deny"
    assert lab.hangup_cause == 52
    staff = await pbx.driver.call(NATIONAL, "personnel", caller="2102")
    assert staff.trunk_calls == [("0140000000", "trunk-orange")]

    fragment = config.parent / "departments" / "mips" / "rights.yaml"
    fragment.write_text('assign:\n  "2103": staff\n')
    await pbx.reload_autocom(server)
    again = await pbx.driver.call(NATIONAL, "personnel", caller="2103")
    assert again.trunk_calls == [("0140000000", "trunk-orange")]

    fragment.write_text('assign:\n  "2103": lab\n  "2001": lab\n')  # 2001 is Scolarité's
    holder = server.ctx.config
    assert await holder.refresh() is False
    assert holder.last_error is not None
    assert str(holder.last_error.issues[0]).startswith(f"{fragment}:3: assign: 2001 is a user")
    kept = await pbx.driver.call(NATIONAL, "personnel", caller="2103")
    assert kept.trunk_calls == [("0140000000", "trunk-orange")]  # the last good config
