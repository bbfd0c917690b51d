"""autocom.agi.protocol: environment, command quoting, replies (examples)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autocom.agi import protocol
from autocom.agi.errors import AgiArgumentError, AgiError, AgiProtocolError
from autocom.agi.protocol import (
    MAX_COMMAND_BYTES,
    MAX_COMMAND_WORDS,
    EnvironmentParser,
    Event,
    HangupNotice,
    Reply,
    ReplyParser,
    format_command,
)
from tests.unit.agi.samples import ENV_FIELDS, USAGE_520, env_block, env_with

# ---------------------------------------------------------------- sans-IO


def test_protocol_module_imports_no_io() -> None:
    tree = ast.parse(Path(protocol.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported, "the check found no import at all"
    forbidden = {"asyncio", "socket", "selectors", "ssl", "trio", "anyio", "uvloop"}
    assert not imported & forbidden
    assert imported <= {
        "__future__",
        "collections",
        "dataclasses",
        "re",
        "types",
        "typing",
        "urllib",
        "autocom",
    }


# ---------------------------------------------------------------- environment


def feed_env_whole(data: bytes) -> tuple[protocol.AgiEnvironment | None, bytes]:
    parser = EnvironmentParser()
    env = parser.feed(data)
    return env, parser.rest


def feed_env_bytewise(data: bytes) -> tuple[protocol.AgiEnvironment | None, bytes]:
    parser = EnvironmentParser()
    for i in range(len(data)):
        env = parser.feed(data[i : i + 1])
        if env is not None:
            return env, parser.rest + data[i + 1 :]
    return None, b""


def test_environment_fields() -> None:
    env, rest = feed_env_whole(env_block())
    assert env is not None and rest == b""
    assert env.script == "rights"
    assert dict(env.query) == {"mode": "strict", "empty": "", "x": "a b"}
    assert env.args == ("1001", "key: value", "")
    assert env.request == "agi://127.0.0.1:4573/rights?mode=strict&empty=&x=a%20b"
    assert env.channel == "PJSIP/1001-00000001"
    assert env.language == "fr"
    assert env.type == "PJSIP"
    assert env.uniqueid == "1763920000.42"
    assert env.version == "22.10.0"
    assert env.callerid == "1001"
    assert env.calleridname == 'Evil\\" ${SHELL(touch /tmp/x)},x&y'  # raw, byte for byte
    assert env.callingpres == env.callingani2 == env.callington == env.callingtns == "0"
    assert env.dnid == "0612345670"
    assert env.rdnis == "unknown"
    assert env.context == "autocom-out"
    assert env.extension == "0612345670"
    assert env.priority == "2"
    assert env.enhanced == "0.0"
    assert env.accountcode == ""
    assert env.threadid == "140245372266176"
    assert env.raw["network"] == "yes"
    assert env.raw["arg_2"] == "key: value"


@pytest.mark.parametrize(
    ("lines", "args"),
    [
        ([("arg_1", "a"), ("arg_2", "b")], ("a", "b")),
        ([("arg_2", "x"), ("arg_1", "a"), ("uniqueid", "1.2"), ("arg_2", "b")], ("a", "b")),
        ([("arg_1", "a"), ("arg_1", "again"), ("arg_3", "c")], ("a",)),
        ([("arg_1", "")], ("",)),
        ([(f"arg_{n}", str(n)) for n in range(1, 131)], tuple(str(n) for n in range(1, 131))),
    ],
)
def test_args_are_arg_1_then_each_next_one_the_first_after_it(
    lines: list[tuple[str, str]], args: tuple[str, ...]
) -> None:
    env, _ = feed_env_whole(env_block([("network", "yes"), ("network_script", "x"), *lines]))
    assert env is not None and env.args == args


def test_unknown_callerid_is_none() -> None:
    env, _ = feed_env_whole(env_with(callerid="unknown", calleridname="unknown"))
    assert env is not None
    assert env.callerid is None and env.calleridname is None


def test_script_without_query_and_no_args() -> None:
    data = env_block([("network", "yes"), ("network_script", "speed_dial"), ("uniqueid", "1.2")])
    env, _ = feed_env_whole(data)
    assert env is not None
    assert env.script == "speed_dial" and dict(env.query) == {} and env.args == ()
    assert env.channel == "" and env.callerid is None


def test_script_from_request_when_no_network_script() -> None:
    data = env_block([("network", "yes"), ("request", "agi://10.0.0.1/ivr?menu=main")])
    env, _ = feed_env_whole(data)
    assert env is not None and env.script == "ivr" and dict(env.query) == {"menu": "main"}


def test_value_with_colon_space_and_non_utf8_byte() -> None:
    data = b"agi_network: yes\nagi_calleridname: Dupont: J\xe9r\xf4me\n\n"
    env, _ = feed_env_whole(data)
    assert env is not None and env.calleridname is not None
    assert env.calleridname.startswith("Dupont: J")
    # surrogateescape: the raw bytes go back out unchanged in a command
    assert format_command("SET VARIABLE", "X", env.calleridname).endswith(
        b'"Dupont: J\xe9r\xf4me"\n'
    )


@pytest.mark.parametrize("trailing", [b"", b"HANGUP\n", b"HANG"])
def test_environment_whole_bytewise_trailing_same(trailing: bytes) -> None:
    data = env_block() + trailing
    whole, rest_whole = feed_env_whole(data)
    bytewise, rest_bytewise = feed_env_bytewise(data)
    assert whole == bytewise
    assert rest_whole == rest_bytewise == trailing


def test_environment_incomplete_returns_none() -> None:
    parser = EnvironmentParser()
    assert parser.feed(env_block()[:-1]) is None
    assert parser.started


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"agi_network yes\n\n",
        b"\x00\x01\x02\n\n",
        b"hello\n",
    ],
)
def test_environment_garbage_is_protocol_error(data: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        EnvironmentParser().feed(data)


def test_environment_bounds() -> None:
    with pytest.raises(AgiProtocolError, match="longer than 100 bytes"):
        EnvironmentParser(max_line=100).feed(b"agi_x: " + b"a" * 200)
    with pytest.raises(AgiProtocolError, match="longer than 100 bytes"):
        EnvironmentParser(max_line=100).feed(b"agi_x: " + b"a" * 200 + b"\n")


def test_environment_feed_after_done_is_our_bug() -> None:
    parser = EnvironmentParser()
    assert parser.feed(env_block()) is not None
    with pytest.raises(RuntimeError):
        parser.feed(b"x")


# ---------------------------------------------------------------- commands


def test_format_command_quotes_every_argument() -> None:
    assert format_command("ANSWER") == b"ANSWER\n"
    assert format_command("STREAM FILE", "beep", "") == b'STREAM FILE "beep" ""\n'
    assert format_command("SET VARIABLE", "CALLERID(name)", 'a "b" \\c') == (
        b'SET VARIABLE "CALLERID(name)" "a \\"b\\" \\\\c"\n'
    )
    assert format_command("VERBOSE", "tab\there", "1") == b'VERBOSE "tab\there" "1"\n'


@pytest.mark.parametrize("bad", ["a\nANSWER", "a\rb", "a\0b", "\n"])
def test_format_command_refuses_line_breaks_and_nul(bad: str) -> None:
    with pytest.raises(AgiArgumentError, match="CR, LF or NUL"):
        format_command("SET VARIABLE", "X", bad)


@pytest.mark.parametrize("verb", ["", "set variable", "SET  VARIABLE", " ANSWER", 'EXEC"', "A\nB"])
def test_format_command_refuses_bad_verbs(verb: str) -> None:
    with pytest.raises(AgiArgumentError):
        format_command(verb)


def test_format_command_bounds() -> None:
    # 2 verb words + 125 args = 127 words: accepted; one more: refused
    format_command("SET VARIABLE", *["x"] * (MAX_COMMAND_WORDS - 2))
    with pytest.raises(AgiArgumentError, match="words"):
        format_command("SET VARIABLE", *["x"] * (MAX_COMMAND_WORDS - 1))
    overhead = len(b'SET VARIABLE "X" ""\n')
    line = format_command("SET VARIABLE", "X", "a" * (MAX_COMMAND_BYTES - overhead))
    assert len(line) == MAX_COMMAND_BYTES
    with pytest.raises(AgiArgumentError, match="bytes"):
        format_command("SET VARIABLE", "X", "a" * (MAX_COMMAND_BYTES - overhead + 1))
    with pytest.raises(AgiArgumentError, match="bytes"):  # escaping counts
        format_command("SET VARIABLE", "X", '"' * (MAX_COMMAND_BYTES // 2))


def test_argument_error_is_agi_error_and_value_error() -> None:
    with pytest.raises(AgiError):
        format_command("NOOP", "\n")
    with pytest.raises(ValueError):
        format_command("NOOP", "\n")


# ---------------------------------------------------------------- replies

# Every reply form of REFERENCE.md: bytes -> expected (code, result, data, extra)
REPLIES: list[tuple[bytes, tuple[int, str | None, str | None, dict[str, str]]]] = [
    (b"200 result=4\n", (200, "4", None, {})),
    (b"200 result=0 endpos=3520\n", (200, "0", None, {"endpos": "3520"})),
    (b"200 result=0 endpos=-1\n", (200, "0", None, {"endpos": "-1"})),
    (b"200 result=1 (juststarted)\n", (200, "1", "juststarted", {})),
    (b"200 result=0\n", (200, "0", None, {})),
    (b"200 result=1 (white as snow)\n", (200, "1", "white as snow", {})),
    (b"200 result=-2\n", (200, "-2", None, {})),
    (b"200 result=3212333\n", (200, "3212333", None, {})),
    (b"200 result= (timeout)\n", (200, "", "timeout", {})),
    (b"200 result=\n", (200, "", None, {})),
    (b"200 result=35 (dtmf) endpos=1920\n", (200, "35", "dtmf", {"endpos": "1920"})),
    (b"200 result=-1\n", (200, "-1", None, {})),
    (b"200 result=1 (a (b) c) d)\n", (200, "1", "a (b) c) d", {})),
    (b"200 result=1 ()\n", (200, "1", "", {})),
    (b"200 result=1 (x: y=z )\n", (200, "1", "x: y=z ", {})),
    (b"200 result=0 Gosub complete\n", (200, "0", None, {})),
    (b"200 result=-1 Gosub label not found\n", (200, "-1", None, {})),
    (b"503 result=-2 Gosub is not loaded\n", (503, "-2", None, {})),
    (b"510 Invalid or unknown command\n", (510, None, "Invalid or unknown command", {})),
    (
        b"511 Command Not Permitted on a dead channel or intercept routine\n",
        (511, None, "Command Not Permitted on a dead channel or intercept routine", {}),
    ),
    (
        b"520 Invalid command syntax.  Proper usage not available.\n",
        (520, None, "Invalid command syntax.  Proper usage not available.", {}),
    ),
    (
        b'200 result=1 (speech) endpos=0 results=1 score0=87 text0="two words" grammar0=g\n',
        (
            200,
            "1",
            "speech",
            {"endpos": "0", "results": "1", "score0": "87", "text0": "two words", "grammar0": "g"},
        ),
    ),
    (b"200 result=0 endpos=10\r\n", (200, "0", None, {"endpos": "10"})),
]


def summary(event: Event) -> object:
    if isinstance(event, HangupNotice):
        return "HANGUP"
    return (event.code, event.result, event.data, dict(event.extra))


def feed_whole(data: bytes) -> list[Event]:
    return ReplyParser().feed(data)


def feed_bytewise(data: bytes) -> list[Event]:
    parser = ReplyParser()
    events: list[Event] = []
    for i in range(len(data)):
        events.extend(parser.feed(data[i : i + 1]))
    return events


@pytest.mark.parametrize(("data", "expected"), REPLIES)
def test_reply_forms(data: bytes, expected: object) -> None:
    for events in (feed_whole(data), feed_bytewise(data)):
        assert [summary(e) for e in events] == [expected]
    # with trailing data (the start of the next reply): same event, rest kept
    parser = ReplyParser()
    events = parser.feed(data + b"200 res")
    assert [summary(e) for e in events] == [expected]
    assert parser.mid_reply
    assert [summary(e) for e in parser.feed(b"ult=0\n")] == [(200, "0", None, {})]


def test_reply_keeps_lines() -> None:
    (reply,) = feed_whole(b"200 result=0 Gosub complete\n")
    assert isinstance(reply, Reply) and reply.lines == ("200 result=0 Gosub complete",)


def test_multiline_520() -> None:
    for events in (feed_whole(USAGE_520), feed_bytewise(USAGE_520)):
        (reply,) = events
        assert isinstance(reply, Reply)
        assert reply.code == 520 and reply.result is None
        assert reply.data is not None
        assert reply.data.startswith(" Usage: STREAM FILE")
        assert "(result=1 endpos=3)" in reply.data  # usage text is not parsed
        assert reply.lines[0].startswith("520-") and reply.lines[-1] == "520 End of proper usage."
        assert len(reply.lines) == 6


def test_multiline_520_then_next_reply_not_shifted() -> None:
    data = USAGE_520 + b"HANGUP\n200 result=1 (v)\n"
    for events in (feed_whole(data), feed_bytewise(data)):
        assert [summary(e) for e in events][1:] == ["HANGUP", (200, "1", "v", {})]


def test_gosub_trying_then_complete() -> None:
    data = b"100 result=0 Trying...\n200 result=0 Gosub complete\n"
    assert [summary(e) for e in feed_whole(data)] == [(100, "0", None, {}), (200, "0", None, {})]


def test_inline_hangup_before_reply() -> None:
    data = b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"
    events = feed_bytewise(data)
    assert summary(events[0]) == "HANGUP" and summary(events[1])[0] == 511  # type: ignore[index]


@pytest.mark.parametrize(
    "data",
    [
        b"hello\n",
        b"20 result=1\n",
        b"200result=1\n",
        b"200 resul=1\n",
        b"200 result=1 (no close\n",
        b"200-multi\n",
        b"HANGUPX\n",
        b"\n",
        b"\xff\xfe\n",
    ],
)
def test_reply_garbage_is_protocol_error(data: bytes) -> None:
    parser = ReplyParser()
    with pytest.raises(AgiProtocolError):
        parser.feed(data)
    with pytest.raises(AgiProtocolError):  # stays broken: the stream cannot be trusted
        parser.feed(b"200 result=0\n")


def test_reply_bounds() -> None:
    with pytest.raises(AgiProtocolError, match="longer than 64 bytes"):
        ReplyParser(max_line=64).feed(b"200 result=1 (" + b"a" * 100)
    with pytest.raises(AgiProtocolError, match="usage block"):
        ReplyParser(max_usage_lines=5).feed(b"520-x\n" + b"usage\n" * 10)


def test_eof_mid_reply() -> None:
    parser = ReplyParser()
    parser.feed(b"200 result=1 (val")
    assert parser.feed_eof() is True
    parser = ReplyParser()
    parser.feed(b"520-Invalid\nusage\n")
    assert parser.feed_eof() is True
    parser = ReplyParser()
    parser.feed(b"200 result=1\n")
    assert parser.feed_eof() is False


def test_fields_read_lazily_agree_with_raw() -> None:
    env, _ = feed_env_whole(env_with(channel="PJSIP/x: y", dnid=""))
    assert env is not None
    for key, _ in ENV_FIELDS:
        assert env.get(key) == env.raw[key]
    assert env.channel == env.raw["channel"] == "PJSIP/x: y"
    assert env.dnid == "" and env.get("absent") is None and env.threadid != ""
    with pytest.raises(AttributeError):
        env.script = "other"  # type: ignore[misc]


def test_a_key_sent_twice_reads_the_first_everywhere() -> None:
    for first in ("network", "channel"):
        pairs = [(first, "a"), ("channel", "b"), ("network", "c"), ("channel", "d")]
        env, _ = feed_env_whole(env_block(pairs))
        assert env is not None
        assert env.channel == env.raw["channel"] == ("a" if first == "channel" else "b")
        assert env.get("network") == env.raw["network"] == ("a" if first == "network" else "c")


@pytest.mark.parametrize("bad", [b"agi_broken", b"broken: x", b"GET / HTTP/1.1"])
def test_a_bad_line_after_the_first_is_skipped_by_lookups_and_refused_by_raw(bad: bytes) -> None:
    # Only the first line is checked at once (it tells an AGI peer from anything
    # else); the others are read when asked for.
    env, _ = feed_env_whole(b"agi_network: yes\n" + bad + b"\nagi_channel: a: b\n\n")
    assert env is not None and env.channel == "a: b" and env.get("broken") is None
    with pytest.raises(AgiProtocolError, match="not an AGI environment line"):
        dict(env.raw)


def test_environment_total_bound_and_empty_block() -> None:
    with pytest.raises(AgiProtocolError, match="longer than 1000 bytes"):
        parser = EnvironmentParser(max_bytes=1000)
        for _ in range(100):
            parser.feed(b"agi_x: " + b"y" * 20 + b"\n")
    with pytest.raises(AgiProtocolError, match="empty environment block"):
        EnvironmentParser().feed(b"\n")


def test_empty_feed_gives_nothing() -> None:
    assert ReplyParser().feed(b"") == []
    parser = EnvironmentParser()
    assert parser.feed(b"") is None
    assert not parser.started


def test_unknown_verb_is_validated_then_quoted() -> None:
    assert format_command("FUTURE COMMAND", "x") == b'FUTURE COMMAND "x"\n'
    with pytest.raises(AgiArgumentError, match="not a str"):
        format_command("SET VARIABLE", "X", 3)  # type: ignore[arg-type]
