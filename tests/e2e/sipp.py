"""SIPp phones for the end-to-end tests (Debian package sip-tester).

``Sipp(folder)`` runs one SIPp scenario as an asyncio subprocess on 127.0.0.1 with
a free local port; ``await phone.run(scenario, target, ...)`` waits for it to end
and returns a ``SippRun`` (exit code, the messages it traced, its error log);
``phone.start(...)`` starts it in the background (for a UAS that must answer a
call the test places next) and ``await run.wait()`` collects it.

Scenarios (strings built from shared message templates, written into the folder):
``REGISTER`` (REGISTER with digest auth), ``UNREGISTER`` (the same, Expires: 0),
``CALL`` (INVITE with digest auth, hang up on the other side's BYE), ``ANSWER`` (a
phone that rings, answers, and waits for BYE), ``MOVED`` (a phone that answers 302
Moved Temporarily to ``[target]``, i.e. a forward set on the phone), ``BUSY`` (486).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.process import free_port

SIPP = shutil.which("sipp") or "/usr/bin/sipp"

_SDP = (
    "v=0",
    "o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]",
    "s=-",
    "c=IN IP[media_ip_type] [media_ip]",
    "t=0 0",
    "m=audio [media_port] RTP/AVP 0",
    "a=rtpmap:0 PCMU/8000",
)


def _send(lines: list[str], *, sdp: bool = False, retrans: bool = False) -> str:
    """One ``<send>`` of a SIP message: its first line and headers, then either the
    SDP offer (with its Content-Type and Content-Length) or an empty body."""
    if sdp:
        lines = [*lines, "Content-Type: application/sdp", "Content-Length: [len]"]
    else:
        lines = [*lines, "Content-Length: 0"]
    text = "".join(f"      {line}\n" for line in lines) + "\n"
    if sdp:
        text += "".join(f"      {line}\n" for line in _SDP) + "\n"
    head = '<send retrans="500">' if retrans else "<send>"
    return f"  {head}\n    <![CDATA[\n{text}    ]]>\n  </send>\n"


def _request(
    start: str,
    cseq: str,
    *,
    from_: str,
    to: str,
    contact: str | None = None,
    auth: bool = False,
    extra: tuple[str, ...] = (),
    sdp: bool = False,
    retrans: bool = False,
) -> str:
    """A request from the phone SIPp plays."""
    lines = [
        start,
        "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
        f"From: {from_}",
        f"To: {to}",
        "Call-ID: [call_id]",
        f"CSeq: {cseq}",
    ]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    if auth:
        lines.append("[authentication]")
    lines += ["Max-Forwards: 70", *extra]
    return _send(lines, sdp=sdp, retrans=retrans)


def _reply(
    status: str,
    *,
    tag: str | None = None,
    contact: str | None = None,
    sdp: bool = False,
    retrans: bool = False,
) -> str:
    """A response to the last request received; ``tag`` adds our To tag (a dialog)."""
    to_tag = f";tag=[pid]SIPpTag{tag}[call_number]" if tag else ""
    lines = [
        f"SIP/2.0 {status}",
        "[last_Via:]",
        "[last_From:]",
        f"[last_To:]{to_tag}",
        "[last_Call-ID:]",
        "[last_CSeq:]",
    ]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    return _send(lines, sdp=sdp, retrans=retrans)


def _scenario(name: str, *steps: str) -> str:
    """A scenario: built ``<send>`` blocks and one-line steps (``<recv .../>``...)."""
    body = "".join(step if step.startswith("  <") else f"  {step}\n" for step in steps)
    head = '<?xml version="1.0" encoding="ISO-8859-1" ?>'
    return f'{head}\n<scenario name="{name}">\n{body}</scenario>\n'


def _register(cseq: str, *, auth: bool = False, expires: int = 3600) -> str:
    return _request(
        "REGISTER sip:[remote_ip]:[remote_port] SIP/2.0",
        cseq,
        from_="<sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]",
        to="<sip:[service]@[remote_ip]>",
        contact="<sip:[service]@[local_ip]:[local_port]>",
        auth=auth,
        extra=(f"Expires: {expires}",),
        retrans=True,
    )


REGISTER = _scenario(
    "register",
    _register("1 REGISTER"),
    '<recv response="401" auth="true" />',
    _register("2 REGISTER", auth=True),
    '<recv response="200" />',
)

# The same phone going off (Expires: 0, sent from the port it registered from): its
# contact leaves the AOR.  A contact left behind outlives the test, and a later test's
# PJSIP/<endpoint> would dial that dead contact first.
UNREGISTER = _scenario(
    "unregister",
    _register("1 REGISTER", expires=0),
    '<recv response="401" auth="true" />',
    _register("2 REGISTER", auth=True, expires=0),
    '<recv response="200" />',
)

_CALL_INVITE = "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0"
_CALL_FROM = '"[$caller_name]" <sip:[$user]@[remote_ip]>;tag=[pid]SIPpTag01[call_number]'
_CALL_TO = "<sip:[service]@[remote_ip]:[remote_port]>"
_CALL_CONTACT = "<sip:[$user]@[local_ip]:[local_port]>"
_BYE_OK = _reply("200 OK")

# [service] is the number called; the caller authenticates as -au/-ap.
CALL = _scenario(
    "call",
    '<Global variables="user,caller_name" />',
    _request(
        _CALL_INVITE, "1 INVITE", from_=_CALL_FROM, to=_CALL_TO, contact=_CALL_CONTACT,
        sdp=True, retrans=True,
    ),
    '<recv response="100" optional="true" />',
    '<recv response="401" auth="true" />',
    _request(
        "ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "1 ACK",
        from_=_CALL_FROM, to=_CALL_TO + "[peer_tag_param]",
    ),
    _request(
        _CALL_INVITE, "2 INVITE", from_=_CALL_FROM, to=_CALL_TO, contact=_CALL_CONTACT,
        auth=True, sdp=True, retrans=True,
    ),
    '<recv response="100" optional="true" />',
    '<recv response="180" optional="true" />',
    '<recv response="183" optional="true" />',
    '<recv response="200" rrs="true" />',
    _request(
        "ACK [next_url] SIP/2.0", "2 ACK", from_=_CALL_FROM, to=_CALL_TO + "[peer_tag_param]"
    ),
    '<recv request="BYE" />',
    _BYE_OK,
)  # fmt: skip

MOVED = _scenario(
    "moved",
    '<Global variables="target" />',
    '<recv request="INVITE" />',
    _reply("302 Moved Temporarily", tag="02", contact="<sip:[$target]@[local_ip]:[local_port]>"),
    '<recv request="ACK" />',
)

BUSY = _scenario(
    "busy",
    '<recv request="INVITE" />',
    _reply("486 Busy Here", tag="03"),
    '<recv request="ACK" />',
)

_UAS_CONTACT = "<sip:[local_ip]:[local_port];transport=[transport]>"

ANSWER = _scenario(
    "answer",
    '<recv request="INVITE" />',
    _reply("180 Ringing", tag="04", contact=_UAS_CONTACT),
    _reply("200 OK", tag="04", contact=_UAS_CONTACT, sdp=True, retrans=True),
    '<recv request="ACK" />',
    '<recv request="BYE" />',
    _BYE_OK,
)


def free_udp_port() -> int:
    return free_port(socket.SOCK_DGRAM)


@dataclass
class SippRun:
    """One SIPp process and, once it ended, what it did."""

    name: str
    folder: Path
    process: asyncio.subprocess.Process
    port: int
    returncode: int | None = None
    output: str = ""
    errors: str = ""
    messages: str = ""
    _done: bool = field(default=False, repr=False)

    async def wait(self, max_wait: float = 30) -> SippRun:
        """Wait for SIPp to end (kill it after ``max_wait``) and read its logs."""
        if not self._done:
            try:
                out, _ = await asyncio.wait_for(self.process.communicate(), max_wait)
            except TimeoutError:
                self.process.kill()
                out, _ = await self.process.communicate()
            self.returncode = self.process.returncode
            self.output = out.decode(errors="replace")
            self.errors = _read(self.folder / f"{self.name}.errors.log")
            self.messages = _read(self.folder / f"{self.name}.messages.log")
            self._done = True
        return self

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.wait(5)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def explain(self) -> str:
        return (
            f"sipp {self.name} exited {self.returncode}\n--- errors\n{self.errors[-3000:]}"
            f"\n--- messages\n{self.messages[-4000:]}\n--- output\n{self.output[-1500:]}"
        )


def _read(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")
    return ""


class Sipp:
    """Runs SIPp scenarios against one Asterisk (host, SIP port)."""

    def __init__(self, folder: Path, host: str, sip_port: int) -> None:
        self.folder = folder
        self.host = host
        self.sip_port = sip_port
        self._count = 0
        folder.mkdir(parents=True, exist_ok=True)

    async def start(
        self,
        scenario: str,
        *,
        service: str = "s",
        user: str | None = None,
        password: str | None = None,
        variables: dict[str, str] | None = None,
        port: int | None = None,
        max_seconds: int = 20,
    ) -> SippRun:
        """Start one SIPp run (one call) in the background."""
        self._count += 1
        name = f"sipp{self._count}"
        xml = self.folder / f"{name}.xml"
        xml.write_text(scenario)
        port = port or free_udp_port()
        args = [
            f"{self.host}:{self.sip_port}",
            "-sf", str(xml),
            "-i", "127.0.0.1",
            "-p", str(port),
            "-mp", str(free_udp_port()),
            "-m", "1",
            "-l", "1",
            "-s", service,
            "-nostdin",
            "-timeout", f"{max_seconds}s",
            "-timeout_error",
            "-max_retrans", "3",
            "-trace_err", "-error_file", str(self.folder / f"{name}.errors.log"),
            "-trace_msg", "-message_file", str(self.folder / f"{name}.messages.log"),
        ]  # fmt: skip
        values = dict(variables or {})
        if user is not None:
            args += ["-au", user, "-ap", password or ""]
            if "[$user]" in scenario:
                values.setdefault("user", user)
        for key, value in values.items():
            args += ["-set", key, value]
        process = await asyncio.create_subprocess_exec(
            SIPP,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=self.folder,
        )
        return SippRun(name, self.folder, process, port)

    async def run(self, scenario: str, max_wait: float = 30, **kw: object) -> SippRun:
        """Run one scenario to its end."""
        run = await self.start(scenario, **kw)  # type: ignore[arg-type]
        return await run.wait(max_wait)
