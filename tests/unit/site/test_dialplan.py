from __future__ import annotations

from autocom.site.dialplan import device_dial, device_hint, render_dialplan, user_dial
from tests.unit.site.helpers import BASE, site_from


def context_block(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"[{name}]")
    block = []
    for line in lines[start + 1 :]:
        if line.startswith("["):
            break
        block.append(line)
    return [line for line in block if line and not line.startswith(";")]


def test_internal_context_includes_emergency_first_then_features_then_its_includes() -> None:
    text = render_dialplan(site_from(BASE))
    rh = context_block(text, "rh")
    assert rh[:3] == [
        "include => autocom-site-emergency-sortie",  # reached through compta
        "include => autocom-features",
        "include => compta",
    ]
    assert f"exten => 3001,hint,{device_hint('leroy-desk')}" in rh


def test_user_with_two_devices_rings_both_through_the_template() -> None:
    text = render_dialplan(site_from(BASE))
    compta = context_block(text, "compta")
    dial = f"{device_dial('dupont-desk')}&{device_dial('dupont-soft')}"
    assert f"exten => 2001,1,Gosub(autocom-user,s,1(2001,compta,{dial},))" in compta
    hint = f"{device_hint('dupont-desk')}&{device_hint('dupont-soft')}"
    assert f"exten => 2001,hint,{hint}" in compta
    assert device_dial("x") == "${STRREPLACE(AUTOCOM_DEVICE_DIAL,{device},x)}"
    idx = compta.index(f"exten => 2001,1,Gosub(autocom-user,s,1(2001,compta,{dial},))")
    assert compta[idx + 1] == " same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)"


def test_groups_ringall_and_linear() -> None:
    site = site_from(BASE)
    text = render_dialplan(site)
    u1, u2 = site.user("2001"), site.user("2002")
    assert u1 is not None and u2 is not None
    ringall = f"{user_dial(u1)}&{user_dial(u2)}"
    assert f"exten => 2091,1,Gosub(autocom-group,s,1(2091,compta,20,,,,{ringall}))" in text
    linear = site_from(
        BASE.replace(
            'members: ["2001", "2002"]', 'members: ["2001", "2002"], strategy: linear, ring_time: 5'
        )
    )
    text = render_dialplan(linear)
    linear_dials = f"{user_dial(u1)},{user_dial(u2)}"
    assert f"exten => 2091,1,Gosub(autocom-group,s,1(2091,compta,5,,,,{linear_dials}))" in text


def test_outgoing_context_emergency_numbers_exact_then_prefix_pattern() -> None:
    text = render_dialplan(site_from(BASE))
    sortie = context_block(text, "sortie")
    assert sortie[0] == "exten => 15,1,Gosub(autocom-emergency,s,1(15,trunk-a&trunk-b))"
    assert "exten => 0112,1,Gosub(autocom-emergency,s,1(112,trunk-a&trunk-b))" in sortie
    assert (
        "exten => _0X.,1,Gosub(autocom-outgoing,s,1(${EXTEN:1},${EXTEN},sortie,trunk-a&trunk-b))"
        in sortie
    )
    emergency = context_block(text, "autocom-site-emergency-sortie")
    assert "exten => 112,1,Gosub(autocom-emergency,s,1(112,trunk-a&trunk-b))" in emergency
    assert not any("autocom-outgoing" in line for line in emergency)


def test_no_prefix_outgoing() -> None:
    text = render_dialplan(site_from(BASE.replace('line_prefix: "0"', 'line_prefix: ""')))
    assert "exten => _X.,1,Gosub(autocom-outgoing,s,1(${EXTEN},${EXTEN},sortie," in text
    assert "exten => 0112," not in text


def test_incoming_dids_go_to_the_destination_context() -> None:
    text = render_dialplan(site_from(BASE))
    entrant = context_block(text, "entrant")
    assert entrant == [
        "exten => 0388000001,1,Gosub(autocom-incoming,s,1(0388000001,2001,compta))",
        " same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)",
        "exten => 0388000091,1,Gosub(autocom-incoming,s,1(0388000091,2091,compta))",
        " same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)",
    ]


def test_device_owners_for_phone_forwards() -> None:
    devices = context_block(render_dialplan(site_from(BASE)), "autocom-site-devices")
    assert devices[:3] == [
        "exten => dupont-desk,1,Set(AUTOCOM_FORWARDER=2001)",
        " same => n,Set(AUTOCOM_FORWARDER_CONTEXT=compta)",
        " same => n,Return()",
    ]


def test_names_cannot_break_the_config() -> None:
    text = render_dialplan(
        site_from(BASE.replace("name: Dupont, first_name: Marie", 'name: "Du;pont", first_name: M'))
    )
    assert "; user 2001 Du,pont M (site.yaml:16)" in text


def test_device_hint_is_the_dial_template_around_the_device() -> None:
    """The hint splits AUTOCOM_DEVICE_DIAL at {device} with expressions (no function:
    none is loaded when Asterisk boots); the e2e tests check what Asterisk makes of it."""
    assert device_hint("x") == (
        '$["${AUTOCOM_DEVICE_DIAL}" =~ "^([^{]*)[{]device[}]"]'
        'x$["${AUTOCOM_DEVICE_DIAL}" =~ "[{]device[}](.*)$"]'
    )
    assert "STRREPLACE" not in device_hint("x")


def test_user_without_devices_has_no_hint() -> None:
    text = render_dialplan(site_from(BASE.replace("devices: [durand-desk]", "devices: []")))
    assert "exten => 2002,hint," not in text
    assert "exten => 2002,1,Gosub(autocom-user,s,1(2002,compta,,))" in text
