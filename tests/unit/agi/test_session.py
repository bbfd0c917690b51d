"""autocom.agi.session over in-memory streams (no socket)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from autocom.agi.errors import (
    AgiArgumentError,
    AgiCommandError,
    AgiConnectionClosed,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
)
from autocom.agi.protocol import AgiEnvironment, EnvironmentParser
from autocom.agi.session import (
    AgiSession,
    DigitsResult,
    PlaybackResult,
    RecordResult,
)
from tests.unit.agi.samples import USAGE_520, env_block


def _env() -> AgiEnvironment:
    env = EnvironmentParser().feed(env_block())
    assert env is not None
    return env


ENV = _env()

SILENT = None  # the fake peer says nothing to this command


class FakeAsterisk:
    """A fake Asterisk in memory: answers each command line with scripted bytes.

    ``chunk``: how many bytes each read returns (1 = byte by byte).  A scripted
    ``b""`` closes the connection; ``SILENT`` leaves the command unanswered.
    """

    def __init__(self, replies: list[bytes | None], chunk: int = 65536) -> None:
        self.replies: deque[bytes | None] = deque(replies)
        self.sent: list[bytes] = []
        self.chunk = chunk
        self._buf = b""
        self._eof = False
        self._event = asyncio.Event()

    # writer side (the session writes commands)
    def write(self, data: bytes) -> None:
        self.sent.append(data)
        reply = self.replies.popleft()
        if reply is None:
            return
        if reply == b"":
            self._eof = True
        self._buf += reply
        self._event.set()

    # reader side (the session reads replies)
    async def read(self, n: int = -1) -> bytes:
        while not self._buf and not self._eof:
            self._event.clear()
            await self._event.wait()
        data, self._buf = self._buf[: self.chunk], self._buf[self.chunk :]
        return data

    def push(self, data: bytes) -> None:
        self._buf += data
        self._event.set()


def make(
    replies: list[bytes | None], chunk: int = 65536, **kw: Any
) -> tuple[AgiSession, FakeAsterisk]:
    peer = FakeAsterisk(replies, chunk)
    return AgiSession(peer, peer, ENV, **kw), peer


Call = Callable[[AgiSession], Awaitable[object]]

# (call, line written, reply from Asterisk, expected return value)
COMMANDS: list[tuple[Call, bytes, bytes, object]] = [
    (lambda s: s.answer(), b"ANSWER\n", b"200 result=0\n", None),
    (lambda s: s.asyncagi_break(), b"ASYNCAGI BREAK\n", b"200 result=0\n", None),
    (lambda s: s.channel_status(), b"CHANNEL STATUS\n", b"200 result=6\n", 6),
    (lambda s: s.channel_status("X/1"), b'CHANNEL STATUS "X/1"\n', b"200 result=-1\n", None),
    (
        lambda s: s.control_stream_file("beep", "", 0, "*", "#"),
        b'CONTROL STREAM FILE "beep" "" "0" "*" "#"\n',
        b"200 result=0 endpos=-1\n",
        PlaybackResult(None, -1),
    ),
    (
        lambda s: s.control_stream_file("beep", "12", offset_ms=500),
        b'CONTROL STREAM FILE "beep" "12" "3000" "#" "*" "" "500"\n',
        b"200 result=50 endpos=800\n",
        PlaybackResult("2", 800),
    ),
    (lambda s: s.database_del("f", "k"), b'DATABASE DEL "f" "k"\n', b"200 result=1\n", True),
    (lambda s: s.database_del("f", "k"), b'DATABASE DEL "f" "k"\n', b"200 result=0\n", False),
    (lambda s: s.database_deltree("f"), b'DATABASE DELTREE "f"\n', b"200 result=0\n", True),
    (
        lambda s: s.database_deltree("f", "t"),
        b'DATABASE DELTREE "f" "t"\n',
        b"200 result=1\n",
        False,
    ),
    (
        lambda s: s.database_get("f", "k"),
        b'DATABASE GET "f" "k"\n',
        b"200 result=1 (juststarted)\n",
        "juststarted",
    ),
    (lambda s: s.database_get("f", "k"), b'DATABASE GET "f" "k"\n', b"200 result=0\n", None),
    (
        lambda s: s.database_put("f", "k", "v w"),
        b'DATABASE PUT "f" "k" "v w"\n',
        b"200 result=1\n",
        True,
    ),
    (
        lambda s: s.exec("Set", "GLOBAL(FLEECE)=white as snow"),
        b'EXEC "Set" "GLOBAL(FLEECE)=white as snow"\n',
        b"200 result=0\n",
        0,
    ),
    (
        lambda s: s.exec("Dial", "PJSIP/1", "20"),
        b'EXEC "Dial" "PJSIP/1,20"\n',
        b"200 result=0\n",
        0,
    ),
    (lambda s: s.exec("NoSuchApp", "x"), b'EXEC "NoSuchApp" "x"\n', b"200 result=-2\n", -2),
    (
        lambda s: s.get_data("beep", 10000, 10),
        b'GET DATA "beep" "10000" "10"\n',
        b"200 result=3212333\n",
        DigitsResult("3212333", False),
    ),
    (
        lambda s: s.get_data("beep", 500, 4),
        b'GET DATA "beep" "500" "4"\n',
        b"200 result= (timeout)\n",
        DigitsResult("", True),
    ),
    (
        lambda s: s.get_data("beep", max_digits=4),
        b'GET DATA "beep" "0" "4"\n',
        b"200 result=12 (timeout)\n",
        DigitsResult("12", True),
    ),
    (
        lambda s: s.get_data("beep"),
        b'GET DATA "beep"\n',
        b"200 result=*1\n",
        DigitsResult("*1", False),
    ),
    (
        lambda s: s.get_full_variable("${FLEECE} and more"),
        b'GET FULL VARIABLE "${FLEECE} and more"\n',
        b"200 result=1 (white as snow and more)\n",
        "white as snow and more",
    ),
    (
        lambda s: s.get_option("beep", "#", 2000),
        b'GET OPTION "beep" "#" "2000"\n',
        b"200 result=35 endpos=1600\n",
        PlaybackResult("#", 1600),
    ),
    (
        lambda s: s.get_variable("FLEECE"),
        b'GET VARIABLE "FLEECE"\n',
        b"200 result=1 (white (as) snow))\n",
        "white (as) snow)",
    ),
    (lambda s: s.get_variable("X"), b'GET VARIABLE "X"\n', b"200 result=1 ()\n", ""),
    (lambda s: s.get_variable("UNSET"), b'GET VARIABLE "UNSET"\n', b"200 result=0\n", None),
    (lambda s: s.hangup(), b"HANGUP\n", b"200 result=1\n", True),
    (lambda s: s.hangup("X/1"), b'HANGUP "X/1"\n', b"200 result=-1\n", False),
    (lambda s: s.noop(), b"NOOP\n", b"200 result=0\n", None),
    (lambda s: s.receive_char(100), b'RECEIVE CHAR "100"\n', b"200 result=65\n", "A"),
    (lambda s: s.receive_char(100), b'RECEIVE CHAR "100"\n', b"200 result=0\n", None),
    (
        lambda s: s.receive_text(100),
        b'RECEIVE TEXT "100"\n',
        b"200 result=1 (hi there)\n",
        "hi there",
    ),
    (
        lambda s: s.record_file("/tmp/x", "ulaw", "#", 10000, beep=True),
        b'RECORD FILE "/tmp/x" "ulaw" "#" "10000" "BEEP"\n',
        b"200 result=35 (dtmf) endpos=1920\n",
        RecordResult("dtmf", "#", 1920),
    ),
    (
        lambda s: s.record_file("/tmp/x", "wav", "", 5000, 0, silence_s=3),
        b'RECORD FILE "/tmp/x" "wav" "" "5000" "0" "s=3"\n',
        b"200 result=0 (timeout) endpos=40000\n",
        RecordResult("timeout", None, 40000),
    ),
    (lambda s: s.say_alpha("abc", "#"), b'SAY ALPHA "abc" "#"\n', b"200 result=0\n", None),
    (lambda s: s.say_date(1700000000), b'SAY DATE "1700000000" ""\n', b"200 result=0\n", None),
    (
        lambda s: s.say_datetime(1700000000, "", "HM", "Europe/Paris"),
        b'SAY DATETIME "1700000000" "" "HM" "Europe/Paris"\n',
        b"200 result=0\n",
        None,
    ),
    (lambda s: s.say_digits("0612", "*"), b'SAY DIGITS "0612" "*"\n', b"200 result=42\n", "*"),
    (lambda s: s.say_number(42, "", "f"), b'SAY NUMBER "42" "" "f"\n', b"200 result=0\n", None),
    (lambda s: s.say_phonetic("ab", ""), b'SAY PHONETIC "ab" ""\n', b"200 result=0\n", None),
    (lambda s: s.say_time(3600), b'SAY TIME "3600" ""\n', b"200 result=0\n", None),
    (lambda s: s.send_image("logo"), b'SEND IMAGE "logo"\n', b"200 result=0\n", True),
    (lambda s: s.send_text("hello"), b'SEND TEXT "hello"\n', b"200 result=-1\n", False),
    (lambda s: s.set_autohangup(30), b'SET AUTOHANGUP "30"\n', b"200 result=0\n", None),
    (
        lambda s: s.set_callerid('"Alice" <1001>'),
        b'SET CALLERID "\\"Alice\\" <1001>"\n',
        b"200 result=1\n",
        None,
    ),
    (lambda s: s.set_context("c"), b'SET CONTEXT "c"\n', b"200 result=0\n", None),
    (lambda s: s.set_extension("s"), b'SET EXTENSION "s"\n', b"200 result=0\n", None),
    (
        lambda s: s.set_music(True, "default"),
        b'SET MUSIC "on" "default"\n',
        b"200 result=0\n",
        None,
    ),
    (lambda s: s.set_music(False), b'SET MUSIC "off"\n', b"200 result=0\n", None),
    (lambda s: s.set_priority("next"), b'SET PRIORITY "next"\n', b"200 result=0\n", None),
    (
        lambda s: s.set_variable("AUTOCOM_RIGHTS", "allow"),
        b'SET VARIABLE "AUTOCOM_RIGHTS" "allow"\n',
        b"200 result=1\n",
        None,
    ),
    (lambda s: s.speech_create("lumenvox"), b'SPEECH CREATE "lumenvox"\n', b"200 result=1\n", True),
    (lambda s: s.speech_destroy(), b"SPEECH DESTROY\n", b"200 result=1\n", True),
    (lambda s: s.speech_set("k", "v"), b'SPEECH SET "k" "v"\n', b"200 result=0\n", False),
    (
        lambda s: s.speech_load_grammar("g", "/p"),
        b'SPEECH LOAD GRAMMAR "g" "/p"\n',
        b"200 result=1\n",
        True,
    ),
    (
        lambda s: s.speech_unload_grammar("g"),
        b'SPEECH UNLOAD GRAMMAR "g"\n',
        b"200 result=1\n",
        True,
    ),
    (
        lambda s: s.speech_activate_grammar("g"),
        b'SPEECH ACTIVATE GRAMMAR "g"\n',
        b"200 result=1\n",
        True,
    ),
    (
        lambda s: s.speech_deactivate_grammar("g"),
        b'SPEECH DEACTIVATE GRAMMAR "g"\n',
        b"200 result=1\n",
        True,
    ),
    (
        lambda s: s.stream_file("beep", ""),
        b'STREAM FILE "beep" ""\n',
        b"200 result=0 endpos=3520\n",
        PlaybackResult(None, 3520),
    ),
    (
        lambda s: s.stream_file("beep", "0123456789", 800),
        b'STREAM FILE "beep" "0123456789" "800"\n',
        b"200 result=51 endpos=1200\n",
        PlaybackResult("3", 1200),
    ),
    (lambda s: s.tdd_mode("on"), b'TDD MODE "on"\n', b"200 result=1\n", True),
    (
        lambda s: s.verbose("hello world", 3),
        b'VERBOSE "hello world" "3"\n',
        b"200 result=1\n",
        None,
    ),
    (lambda s: s.wait_for_digit(100), b'WAIT FOR DIGIT "100"\n', b"200 result=0\n", None),
    (lambda s: s.wait_for_digit(), b'WAIT FOR DIGIT "-1"\n', b"200 result=57\n", "9"),
]


@pytest.mark.parametrize("chunk", [65536, 1])
@pytest.mark.parametrize(("call", "line", "reply", "expected"), COMMANDS)
async def test_every_command(
    call: Call, line: bytes, reply: bytes, expected: object, chunk: int
) -> None:
    session, peer = make([reply], chunk)
    assert await call(session) == expected
    assert peer.sent == [line]
    assert session.commands_sent == 1 and not session.hung_up


async def test_every_command_is_covered() -> None:
    verbs = {line.split(b' "')[0].rstrip(b"\n").decode() for _, line, _, _ in COMMANDS}
    verbs.add("GOSUB")  # tested below
    asterisk_22 = {
        "ANSWER", "ASYNCAGI BREAK", "CHANNEL STATUS", "CONTROL STREAM FILE", "DATABASE DEL",
        "DATABASE DELTREE", "DATABASE GET", "DATABASE PUT", "EXEC", "GET DATA",
        "GET FULL VARIABLE", "GET OPTION", "GET VARIABLE", "GOSUB", "HANGUP", "NOOP",
        "RECEIVE CHAR", "RECEIVE TEXT", "RECORD FILE", "SAY ALPHA", "SAY DATE", "SAY DATETIME",
        "SAY DIGITS", "SAY NUMBER", "SAY PHONETIC", "SAY TIME", "SEND IMAGE", "SEND TEXT",
        "SET AUTOHANGUP", "SET CALLERID", "SET CONTEXT", "SET EXTENSION", "SET MUSIC",
        "SET PRIORITY", "SET VARIABLE", "SPEECH ACTIVATE GRAMMAR", "SPEECH CREATE",
        "SPEECH DEACTIVATE GRAMMAR", "SPEECH DESTROY", "SPEECH LOAD GRAMMAR", "SPEECH RECOGNIZE",
        "SPEECH SET", "SPEECH UNLOAD GRAMMAR", "STREAM FILE", "TDD MODE", "VERBOSE",
        "WAIT FOR DIGIT",
    }  # fmt: skip
    verbs.add("SPEECH RECOGNIZE")  # tested below
    assert verbs == asterisk_22


async def test_speech_recognize() -> None:
    reply = (
        b'200 result=1 (speech) endpos=3200 results=2 score0=87 text0="two words" '
        b'grammar0=main score1=12 text1="too" grammar1=main\n'
    )
    session, peer = make([reply])
    result = await session.speech_recognize("prompt", 5000)
    assert peer.sent == [b'SPEECH RECOGNIZE "prompt" "5000"\n']
    assert result.reason == "speech" and result.endpos == 3200 and result.digit is None
    assert result.results == ((87, "two words", "main"), (12, "too", "main"))
    session, _ = make([b"200 result=1 (digit) digit=5 endpos=100\n"])
    result = await session.speech_recognize("prompt", 5000)
    assert result.reason == "digit" and result.digit == "5" and result.results == ()
    session, _ = make([b"200 result=1 (hangup)\n"])
    with pytest.raises(AgiHangup):
        await session.speech_recognize("prompt", 5000)
    assert session.hung_up


async def test_gosub_trying_then_complete() -> None:
    session, peer = make([b"100 result=0 Trying...\n200 result=0 Gosub complete\n"])
    await session.gosub("sub-ctx", "s", 1, "a", "b")
    assert peer.sent == [b'GOSUB "sub-ctx" "s" "1" "a,b"\n']
    # the 100 and the 200 arrive in two reads
    session, peer = make([b"100 result=0 Trying...\n"])
    task = asyncio.create_task(session.gosub("sub-ctx", "s", "start"))
    await asyncio.sleep(0.01)
    assert not task.done()
    peer.push(b"200 result=0 Gosub complete\n")
    await task
    assert peer.sent == [b'GOSUB "sub-ctx" "s" "start"\n']


async def test_gosub_label_not_found() -> None:
    session, _ = make([b"200 result=-1 Gosub label not found\n"])
    with pytest.raises(AgiCommandError, match="label not found"):
        await session.gosub("nowhere", "s", 1)


@pytest.mark.parametrize("chunk", [65536, 1])
async def test_inline_hangup_then_real_reply(chunk: int) -> None:
    session, _ = make([b"HANGUP\n200 result=1 (still here)\n"], chunk)
    assert await session.get_variable("X") == "still here"
    assert session.hung_up


async def test_511_raises_hangup() -> None:
    text = b"511 Command Not Permitted on a dead channel or intercept routine\n"
    session, _ = make([b"HANGUP\n" + text, b"200 result=1 (v)\n"])
    with pytest.raises(AgiHangup, match="dead channel"):
        await session.stream_file("beep")
    assert session.hung_up
    # GET VARIABLE still works on a dead channel
    assert await session.get_variable("X") == "v"
    assert session.commands_sent == 2


async def test_hangup_notice_pending_from_environment() -> None:
    peer = FakeAsterisk([b"200 result=0\n"])
    session = AgiSession(peer, peer, ENV, pending=b"HANGUP\n")
    assert session.hung_up
    await session.noop()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.say_digits("12"),
        lambda s: s.stream_file("nosuchfile"),
        lambda s: s.answer(),
        lambda s: s.wait_for_digit(10),
        lambda s: s.get_data("beep"),
        lambda s: s.receive_text(1),
    ],
)
async def test_minus_one_result_raises_hangup(call: Call) -> None:
    session, _ = make([b"200 result=-1 endpos=0\n"])
    with pytest.raises(AgiHangup, match="result=-1"):
        await call(session)


async def test_record_file_hangup_and_errors() -> None:
    session, _ = make([b"200 result=-1 (hangup) endpos=100\n"])
    with pytest.raises(AgiHangup):
        await session.record_file("/tmp/x", "ulaw")
    session, _ = make([b"200 result=-1 (writefile)\n"])
    with pytest.raises(AgiCommandError, match="writefile"):
        await session.record_file("/nonexistent/x", "ulaw")


async def test_510_and_520() -> None:
    session, _ = make([b"510 Invalid or unknown command\n", USAGE_520, b"200 result=0\n"])
    with pytest.raises(AgiCommandError) as info:
        await session.command("NOOP", "extra")
    assert info.value.code == 510
    with pytest.raises(AgiCommandError) as info:
        await session.command("STREAM FILE")
    assert info.value.code == 520 and "Usage: STREAM FILE" in info.value.usage
    # the session is still in step: the next reply is the next command's
    await session.noop()
    assert session.commands_sent == 3


async def test_reply_timeout_then_session_unusable() -> None:
    session, peer = make([SILENT, b"200 result=0\n"], reply_timeout=0.05)
    with pytest.raises(AgiTimeout, match="GET VARIABLE"):
        await session.get_variable("X")
    peer.push(b"200 result=1 (late)\n")  # a late reply must never answer the next command
    with pytest.raises(AgiTimeout):
        await session.noop()
    assert session.commands_sent == 1


async def test_media_command_waits_its_own_timeout_too() -> None:
    session, peer = make([SILENT], reply_timeout=0.05)
    task = asyncio.create_task(session.wait_for_digit(200))
    await asyncio.sleep(0.1)  # past reply_timeout, within reply_timeout + 200 ms
    assert not task.done()
    peer.push(b"200 result=0\n")
    assert await task is None


@pytest.mark.parametrize("chunk", [65536, 1])
async def test_closed_mid_reply(chunk: int) -> None:
    session, peer = make([b"200 result=1 (half"], chunk)
    peer._eof = True  # the fake closes after it
    with pytest.raises(AgiConnectionClosed, match="in the middle of the reply"):
        await session.get_variable("X")
    with pytest.raises(AgiConnectionClosed):
        await session.noop()


async def test_closed_before_reply() -> None:
    session, _ = make([b""])
    with pytest.raises(AgiConnectionClosed, match="before replying"):
        await session.answer()


async def test_garbage_reply_is_protocol_error() -> None:
    session, _ = make([b"HTTP/1.1 400 Bad Request\n"])
    with pytest.raises(AgiProtocolError):
        await session.answer()
    with pytest.raises(AgiProtocolError):
        await session.answer()


async def test_argument_error_sends_nothing() -> None:
    session, peer = make([])
    with pytest.raises(AgiArgumentError):
        await session.set_variable("X", "a\nHANGUP")
    assert peer.sent == [] and session.commands_sent == 0


async def test_commands_never_pipelined() -> None:
    session, peer = make([SILENT, SILENT])
    first = asyncio.create_task(session.stream_file("long-prompt", "#"))
    second = asyncio.create_task(session.set_variable("X", "1"))
    await asyncio.sleep(0.01)
    assert peer.sent == [b'STREAM FILE "long-prompt" "#"\n']  # the second waits its turn
    peer.push(b"200 result=0 endpos=100\n")
    assert await first == PlaybackResult(None, 100)
    await asyncio.sleep(0.01)
    assert peer.sent[1:] == [b'SET VARIABLE "X" "1"\n']
    peer.push(b"200 result=1\n")
    await second
    assert session.commands_sent == 2


async def test_cancelled_waiter_passes_its_turn_on() -> None:
    session, peer = make([SILENT, b"200 result=1\n"])
    first = asyncio.create_task(session.noop())
    second = asyncio.create_task(session.set_variable("A", "1"))
    third = asyncio.create_task(session.set_variable("B", "2"))
    await asyncio.sleep(0.01)
    second.cancel()  # waiting its turn: cancelled before sending anything
    await asyncio.sleep(0.01)
    peer.push(b"200 result=0\n")
    await first
    await third
    assert second.cancelled()
    assert peer.sent == [b"NOOP\n", b'SET VARIABLE "B" "2"\n']


def test_push_mode_needs_deadlines() -> None:
    class Writer:
        def write(self, data: bytes) -> None:
            raise AssertionError("nothing is written")

    with pytest.raises(TypeError, match="needs deadlines"):
        AgiSession(None, Writer(), ENV)


async def test_push_mode_with_deadlines() -> None:
    from autocom.agi.deadlines import Deadlines

    written: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            written.append(data)

    deadlines = Deadlines(asyncio.get_running_loop(), tick=0.01)
    session = AgiSession(None, Writer(), ENV, 0.05, pending=b"HANGUP\n", deadlines=deadlines)
    assert session.hung_up
    task = asyncio.create_task(session.get_variable("X"))
    await asyncio.sleep(0.005)
    session.data_received(b"200 result=1 (")
    session.data_received(b"v)\n")
    assert await task == "v"
    with pytest.raises(AgiTimeout):
        await session.noop()  # nobody answers: the sweep expires it
    assert len(deadlines) == 0
    session2 = AgiSession(None, Writer(), ENV, 5.0, deadlines=deadlines)
    task = asyncio.create_task(session2.answer())
    await asyncio.sleep(0.005)
    session2.eof_received()
    with pytest.raises(AgiConnectionClosed):
        await task
    session3 = AgiSession(None, Writer(), ENV, 5.0, deadlines=deadlines)
    session3.data_received(b"200 result=0\n" * 20)  # replies nobody asked for
    with pytest.raises(AgiProtocolError, match="nobody asked for"):
        await session3.noop()
    deadlines.close()


async def test_cancelled_mid_command_session_unusable() -> None:
    session, peer = make([SILENT, b"200 result=0\n"])
    task = asyncio.create_task(session.get_variable("X"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    peer.push(b"200 result=1 (late)\n")  # the cancelled command's reply, late
    with pytest.raises(AgiError, match="cancelled"):
        await session.noop()
    assert peer.sent == [b'GET VARIABLE "X"\n']
