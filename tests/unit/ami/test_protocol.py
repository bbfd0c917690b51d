"""The sans-IO AMI parser: whole, byte by byte, bounded; actions refuse injected lines."""

from __future__ import annotations

import pytest

from autocom.ami.protocol import AmiMessage, AmiParser, AmiProtocolError, Banner, format_action

STREAM = (
    b"Asterisk Call Manager/11.0.0\r\n"
    b"Response: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n"
    b'Event: CEL\r\nEventName: HANGUP\r\nExtra: {"a":1}\r\nAppData: x:y: z\r\n\r\n'
    b"Response: Follows\r\nOutput: one\r\nOutput: two\r\nbare line\r\n\r\n"
)


def parse(chunks: list[bytes]) -> list[Banner | AmiMessage]:
    parser = AmiParser()
    out: list[Banner | AmiMessage] = []
    for chunk in chunks:
        parser.feed(chunk)
        out.extend(parser.events())
    return out


def test_whole_and_byte_by_byte_give_the_same_messages() -> None:
    whole = parse([STREAM])
    single = parse([STREAM[i : i + 1] for i in range(len(STREAM))])
    assert whole == single
    assert whole[0] == Banner("11.0.0")
    login, cel, output = whole[1:]
    assert isinstance(cel, AmiMessage) and cel.is_event
    assert cel["Extra"] == '{"a":1}' and cel["AppData"] == "x:y: z"
    assert isinstance(output, AmiMessage)
    assert output.all("Output") == ["one", "two", "bare line"]
    assert isinstance(login, AmiMessage) and not login.is_event


def test_not_ami() -> None:
    with pytest.raises(AmiProtocolError, match="not an AMI server"):
        parse([b"HTTP/1.1 200 OK\r\n"])


def test_unbounded_message_refused() -> None:
    with pytest.raises(AmiProtocolError, match="no end"):
        parse([b"Asterisk Call Manager/1\r\n", b"Key: " + b"x" * (2 * 1024 * 1024)])


def test_action_bytes_and_injection() -> None:
    assert format_action("Login", {"Username": "u"}, "id-1") == (
        b"Action: Login\r\nActionID: id-1\r\nUsername: u\r\n\r\n"
    )
    with pytest.raises(ValueError, match="line breaks"):
        format_action("Originate", {"Channel": "x\r\nAction: Command"}, "id-2")
