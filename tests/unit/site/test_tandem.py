"""Tandems in site.yaml: the model, the checks (file:line) and the rendered legs."""

from __future__ import annotations

import pytest

from autocom.config.errors import ConfigError
from autocom.site.check import check_site
from autocom.site.dialplan import device_dial, render_dialplan
from tests.unit.site.helpers import BASE, site_from
from tests.unit.site.test_dialplan import context_block

TANDEM = """
tandems:
  - main: "2001"
    when_main_busy: skip
    secondaries:
      - {device: dupont-dect}
      - {user: "2002", outgoing: main}
      - {number: "0612345678", delay: 8}
"""


def messages(text: str) -> list[str]:
    return [f"{i.file}:{i.line}: {i.message}" for i in check_site(site_from(text))]


def test_example_tandem_is_clean_and_rings_every_set() -> None:
    site = site_from(BASE + TANDEM)
    assert check_site(site) == []
    user = site.user("2001")
    assert user is not None
    assert site.ring_items(user) == ("dupont-desk", "dupont-soft", "+2001_1", "+2001_2", "+2001_3")
    assert device_dial("+2001_1") == "Local/2001_1@autocom-site-tandem/n"
    # the numberless set belongs to the main user (forward codes, 302 forwards)
    assert site.owner_of_device("dupont-dect") is user
    owner = site.owner_of_device("durand-desk")  # a set with its own number keeps it
    assert owner is not None and owner.extension == "2002"


def test_rendered_legs_main_state_and_outgoing_identity() -> None:
    text = render_dialplan(site_from(BASE + TANDEM))
    compta = context_block(text, "compta")
    state = "Set(__AUTOCOM_TANDEM_MAIN_2001=${EXTENSION_STATE(2001@compta)})"
    assert f"exten => 2001,1,{state}" in compta
    legs = context_block(text, "autocom-site-tandem")
    dect = device_dial("dupont-dect")
    assert (
        legs[0]
        == f"exten => 2001_1,1,Gosub(autocom-tandem-leg,s,1(2001,compta,0,skip,device,{dect}))"
    )
    assert legs[2].endswith(f"(2001,compta,0,skip,user,{device_dial('durand-desk')}))")
    mobile = "(2001,compta,8,skip,number,612345678,0612345678,sortie,trunk-a&trunk-b,))"
    assert legs[4].endswith(mobile)
    assert legs[1] == " same => n,Hangup(${AUTOCOM_TANDEM_CAUSE})"
    devices = context_block(text, "autocom-site-devices")  # 302 forwards from the DECT
    assert "exten => dupont-dect,1,Set(AUTOCOM_FORWARDER=2001)" in devices
    out = context_block(text, "autocom-site-tandem-out")
    assert "exten => dupont-dect,1,Set(CALLERID(num)=2001)" in out
    assert "exten => durand-desk,1,Set(CALLERID(num)=2001)" in out  # outgoing: main
    # the hunt group 2091 rings 2001's tandem too, its main state taken first
    group = [line for line in compta if "2091" in line]
    assert group[0] == f"exten => 2091,1,{state}"
    assert "Local/2001_3@autocom-site-tandem/n" in text.split("exten => 2091")[1]


@pytest.mark.parametrize(
    ("tandem", "expected"),
    [
        ('{main: "2099", secondaries: [{device: x}]}', "2099 is no user of site.yaml"),
        ('{main: "2001", secondaries: [{device: durand-desk}]}', "is a device of user 2002"),
        ('{main: "2001", secondaries: [{device: dupont-soft}]}', "already a device of the main"),
        ('{main: "2001", secondaries: [{user: "2001"}]}', "is the main user itself"),
        ('{main: "2001", secondaries: [{user: "2077"}]}', "2077 is no user"),
        ('{main: "2001", secondaries: [{number: "2002"}]}', "is an extension of site.yaml"),
        ('{main: "2001", secondaries: [{number: "0112"}]}', "emergency number 112"),
        ('{main: "2001", secondaries: [{number: "612345678"}]}', "cannot call it out"),
        ('{main: "2001", secondaries: []}', "no secondary set"),
        (
            '{main: "2001", mobile_caller_id: "0399999999", secondaries: [{device: d}]}',
            "mobile_caller_id 0399999999 is no DID of the site (0388000001, 0388000091)",
        ),
        (
            '{main: "2001", secondaries: [{device: a}, {device: b}, {device: c}, {device: d},'
            " {device: e}]}",
            "5 secondary sets, at most 4",
        ),
    ],
)
def test_each_mistake_is_reported_at_its_line(tandem: str, expected: str) -> None:
    found = messages(BASE + f"tandems:\n  - {tandem}\n")
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith("site.yaml:2")


def test_a_set_in_two_tandems_and_a_main_twice() -> None:
    text = (
        BASE
        + """
tandems:
  - {main: "2001", secondaries: [{device: shared-dect}]}
  - {main: "2002", secondaries: [{device: shared-dect}]}
  - {main: "2001", secondaries: [{device: other}]}
"""
    )
    found = messages(text)
    assert any("already a set of tandem 2001 (site.yaml:" in m for m in found), found
    assert any("2001 is already the main set of the tandem at site.yaml:" in m for m in found)


def test_secondary_needs_exactly_one_target() -> None:
    with pytest.raises(ConfigError, match="exactly one of device, user, number"):
        site_from(BASE + 'tandems:\n  - {main: "2001", secondaries: [{device: a, user: "2002"}]}\n')
    with pytest.raises(ConfigError, match="outgoing: is for a device or user"):
        site_from(
            BASE + 'tandems:\n  - {main: "2001", secondaries: [{number: "06", outgoing: own}]}\n'
        )
