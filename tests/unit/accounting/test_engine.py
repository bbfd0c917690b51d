"""The ticket builder on recorded CEL sequences: field by field."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.accounting.engine import build_ticket, endpoint, price_of
from apps.accounting.rules import Tariff
from tests.unit.accounting.samples import (
    FACTS,
    SOFT,
    answered_call,
    ev,
    outgoing_call,
    unanswered_call,
)

PARIS = ZoneInfo("Europe/Paris")
TARIFFS = (
    Tariff(
        category="national",
        setup=Decimal("0.05"),
        per_minute=Decimal("0.02"),
        days="mon-fri",
        hours="08:00-19:00",
    ),
    Tariff(category="national", setup=Decimal("0.05"), per_minute=Decimal("0.01")),
    Tariff(
        category="international", setup=Decimal("0.10"), per_minute=Decimal("0.30"), increment=60
    ),
)


def test_answered_internal_call() -> None:
    t = build_ticket(answered_call(talk=2.7), FACTS, TARIFFS).as_dict()
    assert t["ticket_version"] == 1
    assert t["id"] == "L.10"
    assert (t["caller"], t["caller_name"], t["caller_user"]) == ("2002", "X", "2002")
    assert (t["called"], t["called_user"], t["answered_by"]) == ("2001", "2001", "2001")
    assert (t["direction"], t["disposition"], t["hangup_cause"]) == ("internal", "answered", 16)
    assert (t["ring_seconds"], t["talk_seconds"]) == (0, 3)
    assert (t["category"], t["payer"], t["price"]) == ("internal", "2002", "0")
    assert (t["department"], t["cost_center"]) == ("Chimie", "CC-CHI")
    assert t["marks"] == ["user=2001"]
    legs = t["legs"]
    assert isinstance(legs, list)
    assert [(leg["target"], leg["user"], leg["status"]) for leg in legs] == [
        ("martin-desk", "2001", "no_answer"),
        ("martin-soft", "2001", "answered"),
    ]


def test_event_order_and_duplicates_do_not_matter() -> None:
    events = answered_call()
    shuffled = events + events[:7]
    random.Random(4).shuffle(shuffled)
    assert build_ticket(shuffled, FACTS).as_dict() == build_ticket(events, FACTS).as_dict()


@pytest.mark.parametrize(
    ("dialstatus", "cause", "disposition"),
    [
        ("BUSY", 17, "busy"),
        ("NOANSWER", 19, "no_answer"),
        ("CANCEL", 16, "no_answer"),
        ("CHANUNAVAIL", 20, "failed"),
        ("CONGESTION", 34, "failed"),
    ],
)
def test_unanswered(dialstatus: str, cause: int, disposition: str) -> None:
    t = build_ticket(unanswered_call(dialstatus, cause), FACTS, TARIFFS)
    assert (t.disposition, t.answered_by, t.answer, t.talk_seconds) == (disposition, "", None, 0)
    assert t.ring_seconds == 5
    assert t.price == 0


def test_outgoing_priced_by_time_of_day_with_rights_marks() -> None:
    # 2026-12-04 is a Friday: 05:42 Paris time, outside 08:00-19:00
    t = build_ticket(outgoing_call("0144556677", 90.0, "rights=allow>national"), FACTS, TARIFFS)
    assert (t.direction, t.caller_user, t.called, t.answered_by) == (
        "outgoing",
        "2002",
        "00144556677",
        "0144556677",
    )
    assert (t.category, t.rights, t.payer, t.talk_seconds) == ("national", "allow", "2002", 90)
    assert t.price == Decimal("0.0650")  # 0.05 + 1.5 min x 0.01
    assert t.legs[0].kind == "trunk"


def test_pin_override_and_forward_marks() -> None:
    marks = ("forward=2002>0044123456>unconditional", "rights=pin>international", "pin=ok")
    t = build_ticket(outgoing_call("0044123456", 61.0, *marks), FACTS, TARIFFS)
    assert (t.rights, t.pin, t.category) == ("pin", "ok", "international")
    assert t.forwards == ({"from": "2002", "to": "0044123456", "reason": "unconditional"},)
    assert t.payer == "2002"
    assert t.price == Decimal("0.7000")  # 0.10 + 2 started minutes x 0.30


def test_denied_call() -> None:
    events = unanswered_call("", 52)
    t = build_ticket([e for e in events if e.channel != events[3].channel], FACTS)
    assert t.disposition == "denied"
    assert t.legs == ()


def test_price_tariffs() -> None:
    weekday_day = datetime(2027, 1, 4, 10, 0, tzinfo=PARIS)
    saturday = datetime(2027, 1, 9, 10, 0, tzinfo=PARIS)
    assert price_of(TARIFFS, "national", weekday_day, 60) == Decimal("0.0700")
    assert price_of(TARIFFS, "national", saturday, 60) == Decimal("0.0600")
    assert price_of(TARIFFS, "mobile", saturday, 60) == 0


def test_endpoint_names() -> None:
    assert endpoint("PJSIP/phone-a-0000002a") == ("phone-a", "")
    assert endpoint("Local/martin-desk@autocom-test-device-sink-00000001;2") == ("martin-desk", "2")
    assert endpoint("garbage") is None


def test_no_events() -> None:
    with pytest.raises(ValueError, match="no CEL event"):
        build_ticket([], FACTS)


def test_transfers_from_their_cel_events() -> None:
    blind = (
        '{"extension":"2003","context":"personnel","bridge_id":"9765641c",'
        '"transferee_channel_name":"Local/2001@personnel-00000000;2"}'
    )
    attended = (
        '{"bridge1_id":"b1","channel2_name":"PJSIP/bernard-desk-0000000c",'
        '"transfer_target_channel_name":"Local/bernard-desk@autocom-test-device-sink-00000009;1"}'
    )
    events = [
        *answered_call(talk=5.0),
        ev("BLINDTRANSFER", 2.0, "L.14", SOFT, app="AppDial", extra=blind),
        ev("ATTENDED_TRANSFER", 3.0, "L.14", SOFT, extra=attended),
        # Asterisk swapped the bridges: no target name, the consultation bridge says
        ev(
            "BRIDGE_ENTER",
            3.5,
            "L.20",
            "Local/2003@personnel-00000003;1",
            extra='{"bridge_id":"b2"}',
        ),
        ev(
            "ATTENDEDTRANSFER",
            4.0,
            "L.14",
            SOFT,
            extra=attended.replace(
                '"transfer_target_channel_name":"Local/bernard-desk@autocom-test-device-sink'
                '-00000009;1"',
                '"bridge2_id":"b2","transfer_target_channel_name":"N/A"',
            ),
        ),
    ]
    t = build_ticket(events, FACTS)
    assert [(x["kind"], x["by"], x["to"]) for x in t.transfers] == [
        ("blind", "2001", "2003"),
        ("attended", "2001", "2002"),
        ("attended", "2001", "2003"),
    ]


def test_ivr_keys_pressed_from_the_route_mark() -> None:
    marks = ("ivr=accueil", "ivrkeys=accueil:2>scolarite:1", "ivrkeys=")
    t = build_ticket(outgoing_call("0044123456", 61.0, *marks), FACTS, TARIFFS).as_dict()
    assert t["ivr"] == ["accueil"]
    assert t["ivr_keys"] == [
        {"menu": "accueil", "key": "2"},
        {"menu": "scolarite", "key": "1"},
    ]
