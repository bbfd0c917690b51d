"""One CEL event, whichever way it came: live over AMI or from the local backlog.

Both sources describe the same event with the same fields, so ``event_id`` (a
hash of the fields that identify it, the time to the second) is the same for
both: storing an event twice is a no-op.  AMI gives the event time as local
``%Y-%m-%d %H:%M:%S`` in Asterisk's zone (``asterisk_timezone``) and, with
``timestampevents = yes`` in manager.conf, a precise ``Timestamp``; the backlog
gives ``<seconds>.<microseconds>`` (cel.conf ``dateformat = %s.%6q``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# The columns of the backlog table, in the order docs/accounting.md configures them.
BACKLOG_FIELDS = (
    "eventtype",
    "eventtime",
    "name",
    "num",
    "ani",
    "rdnis",
    "dnid",
    "context",
    "exten",
    "channame",
    "appname",
    "appdata",
    "accountcode",
    "peeraccount",
    "uniqueid",
    "linkedid",
    "userfield",
    "peer",
    "userdeftype",
    "eventextra",
)


class CelError(ValueError):
    """An event that cannot be read (no linkedid, bad time...)."""


@dataclass(frozen=True, slots=True)
class CelEvent:
    event_id: str
    type: str  # CHAN_START, ANSWER, HANGUP, ... or the user-defined type
    time: float  # Unix time, as precise as the source gives it
    linkedid: str
    uniqueid: str
    channel: str
    context: str = ""
    exten: str = ""
    cid_num: str = ""
    cid_name: str = ""
    cid_dnid: str = ""
    cid_rdnis: str = ""
    app: str = ""
    appdata: str = ""
    userfield: str = ""
    peer: str = ""
    extra: str = ""

    def as_row(self) -> dict[str, str | float]:
        return {name: getattr(self, name) for name in self.__slots__}


def event_id(etype: str, second: int, uniqueid: str, fields: tuple[str, ...]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in (etype, str(second), uniqueid, *fields):
        digest.update(part.encode("utf-8", "replace"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _build(values: Mapping[str, str], etype: str, time: float, second: int) -> CelEvent:
    linkedid = values.get("linkedid", "")
    uniqueid = values.get("uniqueid", "")
    if not linkedid or not uniqueid:
        raise CelError(f"CEL event {etype!r} without linkedid/uniqueid")
    ident = (
        values.get("appname", ""),
        values.get("appdata", ""),
        values.get("context", ""),
        values.get("exten", ""),
        values.get("extra", ""),
    )
    return CelEvent(
        event_id=event_id(etype, second, uniqueid, ident),
        type=etype,
        time=time,
        linkedid=linkedid,
        uniqueid=uniqueid,
        channel=values.get("channel", ""),
        context=values.get("context", ""),
        exten=values.get("exten", ""),
        cid_num=values.get("num", ""),
        cid_name=values.get("name", ""),
        cid_dnid=values.get("dnid", ""),
        cid_rdnis=values.get("rdnis", ""),
        app=values.get("appname", ""),
        appdata=values.get("appdata", ""),
        userfield=values.get("userfield", ""),
        peer=values.get("peer", ""),
        extra=values.get("extra", ""),
    )


def from_ami(message: Mapping[str, str], zone: ZoneInfo) -> CelEvent:
    """An AMI ``Event: CEL`` message."""
    text = message.get("EventTime", "")
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    except ValueError:
        raise CelError(f"CEL EventTime {text!r} is not YYYY-MM-DD HH:MM:SS") from None
    second = int(local.timestamp())
    time = float(second)
    stamp = message.get("Timestamp", "")
    if stamp:
        try:
            precise = float(stamp)
        except ValueError:
            precise = time
        # the manager stamps the event when it sends it, a little after it happened:
        # within the event's second, take its microseconds; past it, the second's end
        if precise >= second:
            time = min(precise, second + 0.999999)
    values = {
        "linkedid": message.get("LinkedID", ""),
        "uniqueid": message.get("UniqueID", ""),
        "channel": message.get("Channel", ""),
        "context": message.get("Context", ""),
        "exten": message.get("Exten", ""),
        "num": message.get("CallerIDnum", ""),
        "name": message.get("CallerIDname", ""),
        "dnid": message.get("CallerIDdnid", ""),
        "rdnis": message.get("CallerIDrdnis", ""),
        "appname": message.get("Application", ""),
        "appdata": message.get("AppData", ""),
        "userfield": message.get("Userfield", ""),
        "peer": message.get("Peer", ""),
        "extra": message.get("Extra", ""),
    }
    etype = message.get("EventName", "")
    if etype == "USER_DEFINED":
        etype = message.get("UserDefType", etype) or etype
    return _build(values, etype, time, second)


def from_backlog(row: Mapping[str, str]) -> CelEvent:
    """One row of the cel_sqlite3_custom table (columns ``BACKLOG_FIELDS``)."""
    text = str(row.get("eventtime", ""))
    try:
        time = float(text)
    except ValueError:
        raise CelError(f"backlog eventtime {text!r} is not <seconds>.<microseconds>") from None
    etype = str(row.get("eventtype", ""))
    if row.get("userdeftype"):
        etype = str(row["userdeftype"])
    values = {key: str(row.get(key) or "") for key in BACKLOG_FIELDS}
    values["channel"] = values["channame"]
    values["extra"] = values["eventextra"]
    return _build(values, etype, time, int(time))
