"""One CEL event read from AMI and from the backlog has one id: duplicates are harmless."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from apps.accounting.cel import CelError, from_ami, from_backlog

# The same HANGUP as cel_manager sent it and as cel_sqlite3_custom wrote it (recorded).
AMI = {
    "Event": "CEL",
    "Timestamp": "1796359329.084133",
    "EventName": "HANGUP",
    "CallerIDnum": "2002",
    "CallerIDname": "X",
    "Exten": "s",
    "Context": "autocom-user",
    "Channel": "Local/2001@personnel-00000000;2",
    "Application": "",
    "AppData": "",
    "EventTime": "2026-12-04 05:42:09",
    "UniqueID": "ast-1796359328.11",
    "LinkedID": "ast-1796359328.10",
    "Userfield": ";ac:user=2001",
    "Peer": "",
    "Extra": '{"hangupcause":16,"hangupsource":"","dialstatus":"ANSWER"}',
}
ROW = {
    "eventtype": "HANGUP",
    "eventtime": "1796359329.083950",
    "name": "X",
    "num": "2002",
    "context": "autocom-user",
    "exten": "s",
    "channame": "Local/2001@personnel-00000000;2",
    "appname": "",
    "appdata": "",
    "uniqueid": "ast-1796359328.11",
    "linkedid": "ast-1796359328.10",
    "userfield": ";ac:user=2001",
    "peer": "",
    "userdeftype": "",
    "eventextra": '{"hangupcause":16,"hangupsource":"","dialstatus":"ANSWER"}',
}


def test_same_event_same_id() -> None:
    live = from_ami(AMI, ZoneInfo("Europe/Paris"))
    stored = from_backlog(ROW)
    assert live.event_id == stored.event_id
    assert live.time == pytest.approx(1796359329.084133)
    assert (live.channel, live.cid_num, live.userfield) == (
        stored.channel,
        stored.cid_num,
        stored.userfield,
    )


def test_another_event_another_id() -> None:
    other = from_backlog({**ROW, "eventtype": "CHAN_END", "eventextra": ""})
    assert other.event_id != from_backlog(ROW).event_id


def test_ami_time_without_timestamp_is_the_second() -> None:
    event = from_ami({k: v for k, v in AMI.items() if k != "Timestamp"}, ZoneInfo("Europe/Paris"))
    assert event.time == 1796359329.0


@pytest.mark.parametrize("bad", [{"EventTime": "yesterday"}, {"LinkedID": ""}, {"UniqueID": ""}])
def test_unreadable_ami_events(bad: dict[str, str]) -> None:
    with pytest.raises(CelError):
        from_ami({**AMI, **bad}, ZoneInfo("UTC"))


def test_unreadable_backlog_time() -> None:
    with pytest.raises(CelError, match="eventtime"):
        from_backlog({**ROW, "eventtime": "2026-12-04 05:42:09"})
