"""CEL sequences recorded on the real Asterisk 22 of tests/e2e (cel_manager), trimmed to
the fields the builder reads; times relative to the call's first event."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from apps.accounting.cel import CelEvent, event_id
from apps.accounting.engine import SiteFacts, UserFacts

T0 = 1796359328.753299
HANGUP_26 = '{"hangupcause":26,"hangupsource":"","dialstatus":""}'
HANGUP_16 = '{"hangupcause":16,"hangupsource":"","dialstatus":""}'
BRIDGE = '{"bridge_id":"fd23ee43","bridge_technology":"simple_bridge"}'

FACTS = SiteFacts(
    users={
        "2001": UserFacts("2001", "Martin Paul", "Physique", "CC-PHY"),
        "2002": UserFacts("2002", "Bernard Luc", "Chimie", "CC-CHI"),
    },
    devices={"martin-desk": "2001", "martin-soft": "2001", "bernard-desk": "2002"},
    trunks=frozenset({"trunk-a"}),
    zone=ZoneInfo("Europe/Paris"),
)


def ev(
    etype: str, dt: float, uid: str, channel: str, *, linkedid: str = "L.10", **kw: str
) -> CelEvent:
    fields = (
        kw.get("app", ""),
        kw.get("appdata", ""),
        kw.get("context", ""),
        kw.get("exten", ""),
        kw.get("extra", ""),
    )
    return CelEvent(
        event_id=event_id(etype, int(T0 + dt), uid, fields),
        type=etype,
        time=T0 + dt,
        linkedid=linkedid,
        uniqueid=uid,
        channel=channel,
        **kw,
    )


CALLER = "Local/2001@personnel-00000000;1"
DIALER = "Local/2001@personnel-00000000;2"
DESK = "Local/martin-desk@autocom-test-device-sink-00000001;1"
DESK2 = "Local/martin-desk@autocom-test-device-sink-00000001;2"
SOFT = "Local/martin-soft@autocom-test-device-sink-00000002;1"
SOFT2 = "Local/martin-soft@autocom-test-device-sink-00000002;2"


def marks(channel: str, uid: str, at: float, *values: str) -> list[CelEvent]:
    """autocom's marks as the dialplan sends them (CELGenUserEvent(autocom,<value>))."""
    return [
        ev(
            "autocom",
            at,
            uid,
            channel,
            app="CELGenUserEvent",
            appdata=f"autocom,{v}",
            extra=f'{{"extra":"{v}"}}',
        )
        for v in values
    ]


def answered_call(talk: float = 0.32) -> list[CelEvent]:
    """2002 calls 2001; both devices ring, martin-soft answers, talks ``talk`` s."""
    e = talk - 0.32
    return [
        *marks(DIALER, "L.11", 0.004, "user=2001"),
        ev("CHAN_START", 0.0, "L.10", CALLER, context="personnel", exten="2001"),
        ev("CHAN_START", 0.0035, "L.11", DIALER, context="personnel", exten="2001"),
        ev(
            "CHAN_START",
            0.0046,
            "L.12",
            DESK,
            context="autocom-test-device-sink",
            exten="martin-desk",
        ),
        ev("CHAN_START", 0.0053, "L.13", DESK2),
        ev(
            "CHAN_START",
            0.0059,
            "L.14",
            SOFT,
            context="autocom-test-device-sink",
            exten="martin-soft",
        ),
        ev("CHAN_START", 0.0065, "L.15", SOFT2),
        ev("ANSWER", 0.0071, "L.15", SOFT2, cid_num="2002", app="Answer"),
        ev("ANSWER", 0.0077, "L.14", SOFT, cid_num="s", app="AppDial"),
        ev("HANGUP", 0.0083, "L.12", DESK, app="AppDial", extra=HANGUP_26),
        ev("CHAN_END", 0.0089, "L.12", DESK, app="AppDial"),
        ev(
            "ANSWER",
            0.0095,
            "L.11",
            DIALER,
            cid_num="2002",
            cid_name="X",
            app="Dial",
            context="autocom-user",
            exten="s",
        ),
        ev("BRIDGE_ENTER", 0.0113, "L.11", DIALER, cid_num="2002", extra=BRIDGE),
        ev("ANSWER", 0.0125, "L.10", CALLER, cid_num="2002", cid_name="X", app="AppDial2"),
        ev("HANGUP", 0.3263 + e, "L.15", SOFT2, extra=HANGUP_16),
        ev("BRIDGE_EXIT", 0.3281 + e, "L.11", DIALER, extra=BRIDGE),
        ev("HANGUP", 0.3288 + e, "L.14", SOFT, app="AppDial", extra=HANGUP_16),
        ev(
            "HANGUP",
            0.3308 + e,
            "L.11",
            DIALER,
            extra='{"hangupcause":16,"hangupsource":"","dialstatus":"ANSWER"}',
        ),
        ev("HANGUP", 0.3323 + e, "L.10", CALLER, cid_num="2002", extra=HANGUP_16),
        ev("CHAN_END", 0.3331 + e, "L.10", CALLER),
        ev("LINKEDID_END", 0.3338 + e, "L.10", CALLER),
    ]


def unanswered_call(dialstatus: str, cause: int) -> list[CelEvent]:
    """2002 calls 2001; martin-desk rings and the Dial ends with ``dialstatus``."""
    hang = f'{{"hangupcause":{cause},"hangupsource":"","dialstatus":""}}'
    return [
        ev("CHAN_START", 0.0, "L.10", CALLER, context="personnel", exten="2001"),
        ev("CHAN_START", 0.01, "L.11", DIALER, context="personnel", exten="2001"),
        ev("ANSWER", 0.02, "L.10", CALLER, cid_num="2002", app="AppDial2"),
        ev("CHAN_START", 0.03, "L.12", DESK, exten="martin-desk"),
        ev("HANGUP", 5.0, "L.12", DESK, extra=hang),
        ev(
            "HANGUP",
            5.1,
            "L.11",
            DIALER,
            cid_num="2002",
            extra=f'{{"hangupcause":{cause},"hangupsource":"","dialstatus":"{dialstatus}"}}',
        ),
        ev("HANGUP", 5.2, "L.10", CALLER, cid_num="2002", extra=hang),
        ev("LINKEDID_END", 5.3, "L.10", CALLER),
    ]


def outgoing_call(number: str, talk: float, *decisions: str) -> list[CelEvent]:
    """bernard-desk (2002) calls ``number`` out through trunk-a, talks ``talk`` s."""
    phone = "PJSIP/bernard-desk-0000000a"
    trunk = "PJSIP/trunk-a-0000000b"
    return [
        ev(
            "CHAN_START",
            0.0,
            "L.10",
            phone,
            context="personnel",
            exten="0" + number,
            cid_num="2002",
            cid_name="Bernard Luc",
        ),
        *marks(phone, "L.10", 0.5, *decisions),
        *marks(phone, "L.10", 0.5, *decisions),
        ev("CHAN_START", 1.0, "L.11", trunk, exten=number),
        ev("ANSWER", 4.0, "L.11", trunk),
        ev("ANSWER", 4.01, "L.10", phone, cid_num="2002"),
        ev("HANGUP", 4.0 + talk, "L.11", trunk, extra=HANGUP_16),
        ev(
            "HANGUP",
            4.01 + talk,
            "L.10",
            phone,
            cid_num="2002",
            extra='{"hangupcause":16,"hangupsource":"","dialstatus":"ANSWER"}',
        ),
        ev("LINKEDID_END", 4.02 + talk, "L.10", phone),
    ]


def ami_event(e: CelEvent, shift: float = 0.0) -> bytes:
    """``e`` (``shift`` seconds later) as cel_manager sends it, EventTime in UTC."""
    t = e.time + shift
    local = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(t)))
    event_name = "USER_DEFINED" if e.type == "autocom" else e.type
    fields = [
        ("Event", "CEL"), ("Privilege", "call,all"), ("Timestamp", f"{t:.6f}"),
        ("EventName", event_name), ("UserDefType", "autocom" if e.type == "autocom" else ""),
        ("CallerIDnum", e.cid_num), ("CallerIDname", e.cid_name), ("Exten", e.exten),
        ("Context", e.context), ("Channel", e.channel), ("Application", e.app),
        ("AppData", e.appdata), ("EventTime", local), ("UniqueID", e.uniqueid),
        ("LinkedID", e.linkedid), ("Userfield", ""), ("Peer", e.peer), ("Extra", e.extra),
    ]  # fmt: skip
    return ("".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode()
