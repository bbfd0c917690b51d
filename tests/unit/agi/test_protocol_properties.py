"""Property tests (hypothesis) for autocom.agi.protocol.

- no byte sequence makes a parser raise anything but AgiProtocolError;
- replies interleaved with HANGUP notices, split at random points, come out
  exactly, in order (never shifted by one);
- format_command round-trips through a splitter that mimics Asterisk's
  parse_args (res/res_agi.c).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.agi.errors import AgiArgumentError, AgiProtocolError
from autocom.agi.protocol import (
    AgiEnvironment,
    EnvironmentParser,
    Event,
    HangupNotice,
    Reply,
    ReplyParser,
    format_command,
)
from tests.unit.agi.samples import ENV_FIELDS, USAGE_520, env_block

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
    """Any bytes: a protocol error, an incomplete block (None), or an environment
    that is exactly the bytes up to the first blank line, the rest kept."""
    parser = EnvironmentParser(max_line=256)
    fed = b""
    try:
        for chunk in chunks:
            fed += chunk
            env = parser.feed(chunk)
            if env is not None:
                end = fed.index(b"\n\n")
                assert env == AgiEnvironment(fed[: end + 1].decode("utf-8", "surrogateescape"))
                assert parser.rest == fed[end + 2 :]
                return
        assert b"\n\n" not in fed  # no blank line: still waiting, rightly
    except AgiProtocolError:
        pass


# Mutations of valid input reach deeper than random bytes.  Each piece of the
# clean stream with the event it gives, written out (not computed by the parser).
_USAGE_TEXT = "\n".join(USAGE_520.decode().splitlines()[1:-1])
_PIECES: list[tuple[bytes, object]] = [
    (b"200 result=1 (v) endpos=3\n", (200, "1", "v", 3)),
    (b"HANGUP\n", "HANGUP"),
    (USAGE_520, (520, None, _USAGE_TEXT)),
    (b"100 result=0 Trying...\n", (100, "0", None)),
    (b"200 result= (timeout)\n", (200, "", "timeout")),
    (b"510 Invalid or unknown command\n", (510, None, "Invalid or unknown command")),
]
_valid_stream = b"".join(piece for piece, _ in _PIECES)


def _events_until_error(data: bytes) -> list[object]:
    """The events of ``data`` fed byte by byte, up to the first protocol error."""
    parser = ReplyParser()
    got: list[object] = []
    try:
        for i in range(len(data)):
            got += [_summary(e) for e in parser.feed(data[i : i + 1])]
    except AgiProtocolError:
        pass
    return got


def test_the_clean_stream_gives_the_written_events() -> None:
    assert [_summary(e) for e in ReplyParser().feed(_valid_stream)] == [e for _, e in _PIECES]


@settings(deadline=None)
@given(st.integers(0, len(_valid_stream) - 1), st.binary(min_size=1, max_size=4))
def test_reply_parser_mutated_stream(pos: int, junk: bytes) -> None:
    """Junk in a line never changes the replies whose lines came before it: fed
    whole or byte by byte, they come out as written, and then either a protocol
    error or more well-formed events."""
    start = _valid_stream.rfind(b"\n", 0, pos) + 1  # the line the junk lands in
    before, end = [], 0
    for piece, event in _PIECES:
        end += len(piece)
        if end <= start:
            before.append(event)
    data = _valid_stream[:pos] + junk + _valid_stream[pos + 1 :]
    by_byte = _events_until_error(data)
    assert by_byte[: len(before)] == before
    try:
        whole = ReplyParser().feed(data)
    except AgiProtocolError:
        return
    assert [_summary(e) for e in whole] == by_byte  # no error: the same events both ways


@settings(deadline=None)
@given(st.integers(0, len(env_block()) - 1), st.binary(min_size=1, max_size=4))
def test_environment_parser_mutated_block(pos: int, junk: bytes) -> None:
    """Junk in one line of the block leaves every line before it read as sent."""
    block = env_block()
    data = block[:pos] + junk + block[pos + 1 :]
    try:
        env = EnvironmentParser().feed(data)
    except AgiProtocolError:
        return
    if env is None:  # the junk ate the blank line: the parser still waits for it
        assert b"\n\n" not in data
        return
    untouched = block[: block.rfind(b"\n", 0, pos) + 1].decode()
    sent = dict(ENV_FIELDS)
    for line in untouched.splitlines():
        key = line[4:].partition(": ")[0]
        assert env.get(key) == sent[key], key


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
        endpos = event.extra["endpos"]
        try:
            return (event.code, event.result, event.data, int(endpos))
        except ValueError:  # junk in it (the mutation tests)
            return (event.code, event.result, event.data, endpos)
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
