"""Property tests (hypothesis) for autocom.agi.protocol.

- no byte sequence makes a parser raise anything but AgiProtocolError;
- replies interleaved with HANGUP notices, split at random points, come out
  exactly, in order (never shifted by one);
- format_command round-trips through a splitter that mimics Asterisk's
  parse_args (res/res_agi.c).
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.agi.errors import AgiArgumentError, AgiProtocolError
from autocom.agi.protocol import (
    EnvironmentParser,
    Event,
    HangupNotice,
    Reply,
    ReplyParser,
    format_command,
)
from tests.unit.agi.samples import USAGE_520, env_block

# ---------------------------------------------------------------- no crash


@settings(deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_reply_parser_never_crashes(chunks: list[bytes]) -> None:
    parser = ReplyParser(max_line=256, max_usage_lines=8)
    try:
        for chunk in chunks:
            for event in parser.feed(chunk):
                assert isinstance(event, (Reply, HangupNotice))
        parser.feed_eof()
    except AgiProtocolError:
        pass


@settings(deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_environment_parser_never_crashes(chunks: list[bytes]) -> None:
    parser = EnvironmentParser(max_line=256)
    try:
        for chunk in chunks:
            if parser.feed(chunk) is not None:
                break
    except AgiProtocolError:
        pass


# Mutations of valid input reach deeper than random bytes.
_valid_stream = (
    b"200 result=1 (v) endpos=3\nHANGUP\n" + USAGE_520 + b"100 result=0 Trying...\n"
    b"200 result= (timeout)\n510 Invalid or unknown command\n"
)


@settings(deadline=None)
@given(st.integers(0, len(_valid_stream) - 1), st.binary(min_size=1, max_size=4))
def test_reply_parser_mutated_stream(pos: int, junk: bytes) -> None:
    data = _valid_stream[:pos] + junk + _valid_stream[pos + 1 :]
    with contextlib.suppress(AgiProtocolError):
        ReplyParser().feed(data)


@settings(deadline=None)
@given(st.integers(0, len(env_block()) - 1), st.binary(min_size=1, max_size=4))
def test_environment_parser_mutated_block(pos: int, junk: bytes) -> None:
    block = env_block()
    with contextlib.suppress(AgiProtocolError):
        EnvironmentParser().feed(block[:pos] + junk + block[pos + 1 :])


# ---------------------------------------------------------------- never shifted

_value_text = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=20)


@st.composite
def replies(draw: st.DrawFn) -> tuple[bytes, object]:
    """One valid reply as bytes, with what the parser must report."""
    kind = draw(
        st.sampled_from(["plain", "value", "endpos", "timeout", "510", "511", "520", "5201"])
    )
    if kind == "plain":
        n = draw(st.integers(-2, 300))
        return f"200 result={n}\n".encode(), (200, str(n), None)
    if kind == "value":
        value = draw(_value_text)
        return f"200 result=1 ({value})\n".encode(), (200, "1", value)
    if kind == "endpos":
        n, pos = draw(st.integers(-1, 255)), draw(st.integers(-1, 10**6))
        return f"200 result={n} endpos={pos}\n".encode(), (200, str(n), None, pos)
    if kind == "timeout":
        digits = draw(st.text("0123456789*#", max_size=6))
        return f"200 result={digits} (timeout)\n".encode(), (200, digits, "timeout")
    if kind == "510":
        return b"510 Invalid or unknown command\n", (510, None, "Invalid or unknown command")
    if kind == "511":
        text = "Command Not Permitted on a dead channel or intercept routine"
        return f"511 {text}\n".encode(), (511, None, text)
    if kind == "520":
        text = "Invalid command syntax.  Proper usage not available."
        return f"520 {text}\n".encode(), (520, None, text)
    usage = draw(st.lists(_value_text.filter(lambda s: not s.startswith("520 ")), max_size=4))
    block = "520-Invalid command syntax.  Proper usage follows:\n"
    block += "".join(f"{line}\n" for line in usage) + "520 End of proper usage.\n"
    return block.encode(), (520, None, "\n".join(usage))


def _summary(event: Event) -> object:
    if isinstance(event, HangupNotice):
        return "HANGUP"
    if "endpos" in event.extra:
        return (event.code, event.result, event.data, int(event.extra["endpos"]))
    return (event.code, event.result, event.data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(replies(), st.integers(0, 2)), max_size=12),
    st.lists(st.integers(0, 10_000), max_size=12),
)
def test_replies_never_shifted(
    items: list[tuple[tuple[bytes, object], int]], cuts: list[int]
) -> None:
    stream = b""
    expected: list[object] = []
    for (data, summary), hangups in items:
        stream += b"HANGUP\n" * hangups
        expected += ["HANGUP"] * hangups
        stream += data
        expected.append(summary)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    parser = ReplyParser()
    got: list[object] = []
    start = 0
    for point in [*points, len(stream)]:
        got += [_summary(e) for e in parser.feed(stream[start:point])]
        start = point
    assert got == expected
    assert parser.feed_eof() is False


@settings(max_examples=500, deadline=None)
@given(replies(), st.integers(1, 200))
def test_a_whole_line_parses_as_in_pieces(reply: tuple[bytes, object], cut: int) -> None:
    """The one-match path for a whole "200 result=..." chunk gives the very Reply
    the general path gives for the same line fed in two pieces."""
    data, _ = reply
    whole = ReplyParser().feed(data)
    parser = ReplyParser()
    cut = min(cut, len(data) - 1)
    pieces = parser.feed(data[:cut]) + parser.feed(data[cut:])
    assert whole == pieces


@settings(deadline=None)
@given(_value_text, st.sampled_from(["", " endpos=3", ") x", " (y)"]))
def test_a_value_runs_to_the_last_parenthesis_on_both_paths(value: str, tail: str) -> None:
    data = f"200 result=1 ({value}){tail}\n".encode()
    parser = ReplyParser()
    assert ReplyParser().feed(data) == parser.feed(data[:5]) + parser.feed(data[5:])


# ---------------------------------------------------------------- quoting round trip


def asterisk_parse_args(line: str, max_args: int = 128) -> list[str]:
    """A transcription of parse_args() in Asterisk's res/res_agi.c (the reference)."""
    argv: list[list[str]] = []
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                argv.append([])  # starting a quote coming off white space starts a word
                whitespace = False
            escaped = False
        elif ch in " \t" and not quoted and not escaped:
            whitespace = True
        elif ch == "\\" and not escaped:
            escaped = True
        else:
            if whitespace:
                if len(argv) >= max_args - 1:
                    continue  # "Too many arguments, truncating"
                argv.append([])
                whitespace = False
            argv[-1].append(ch)
            escaped = False
    return ["".join(word) for word in argv]


_word = st.text(st.characters(codec="utf-8"), max_size=30)
_verbs = st.sampled_from(["NOOP", "SET VARIABLE", "STREAM FILE", "CONTROL STREAM FILE", "EXEC"])


@settings(max_examples=500, deadline=None)
@given(_verbs, st.lists(_word, max_size=8))
def test_quoting_round_trip(verb: str, args: list[str]) -> None:
    try:
        line = format_command(verb, *args)
    except AgiArgumentError:
        assert any(c in a for a in args for c in "\r\n\0")
        return
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and b"\0" not in line
    words = asterisk_parse_args(line[:-1].decode("utf-8", "surrogateescape"))
    assert words == verb.split(" ") + args


@settings(deadline=None)
@given(st.lists(st.sampled_from(['"', "\\", " ", "\t", "a", "$", "{", ",", "'"]), max_size=12))
def test_quoting_round_trip_special_characters(chars: list[str]) -> None:
    value = "".join(chars)
    line = format_command("SET VARIABLE", "X", value, "")
    assert asterisk_parse_args(line[:-1].decode()) == ["SET", "VARIABLE", "X", value, ""]


_key = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)
_env_value = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=30)


@settings(deadline=None)
@given(st.lists(st.tuples(_key, _env_value), min_size=1, max_size=30), st.integers(1, 50))
def test_environment_any_valid_block(pairs: list[tuple[str, str]], step: int) -> None:
    block = "".join(f"agi_{k}: {v}\n" for k, v in pairs).encode() + b"\n"
    whole = EnvironmentParser().feed(block)
    assert whole is not None
    assert dict(whole.raw) == dict(reversed(pairs))  # values raw, ": " and all; first one counts
    parser = EnvironmentParser()
    chunked = None
    for i in range(0, len(block), step):
        chunked = parser.feed(block[i : i + step])
        if chunked is not None:
            break
    assert chunked == whole
