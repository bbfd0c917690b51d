"""SIPp phones for the end-to-end tests (Debian package sip-tester).

``Sipp(folder)`` runs one SIPp scenario as an asyncio subprocess on 127.0.0.1 with
a free local port; ``await phone.run(scenario, target, ...)`` waits for it to end
and returns a ``SippRun`` (exit code, the messages it traced, its error log);
``phone.start(...)`` starts it in the background (for a UAS that must answer a
call the test places next) and ``await run.wait()`` collects it.

Scenarios (strings, written into the folder): ``REGISTER`` (REGISTER with digest
auth), ``CALL`` (INVITE with digest auth, hang up on the other side's BYE),
``ANSWER`` (a phone that rings, answers, and waits for BYE), ``MOVED`` (a phone
that answers 302 Moved Temporarily to ``[target]``, i.e. a forward set on the
phone), ``BUSY`` (486).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

SIPP = shutil.which("sipp") or "/usr/bin/sipp"

REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 3600
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true" />
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port]>
      [authentication]
      Max-Forwards: 70
      Expires: 3600
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" />
</scenario>
"""

# [service] is the number called; the caller authenticates as -au/-ap.
CALL = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call">
  <Global variables="user,caller_name" />
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[$caller_name]" <sip:[$user]@[remote_ip]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[$user]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="401" auth="true" />
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[$caller_name]" <sip:[$user]@[remote_ip]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[$caller_name]" <sip:[$user]@[remote_ip]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 INVITE
      Contact: <sip:[$user]@[local_ip]:[local_port]>
      [authentication]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="180" optional="true" />
  <recv response="183" optional="true" />
  <recv response="200" rrs="true" />
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[$caller_name]" <sip:[$user]@[remote_ip]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE" />
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""

_UAS_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
  <recv request="INVITE" />
"""

MOVED = (
    _UAS_HEAD.format(name="moved").replace(
        '<recv request="INVITE" />', '<Global variables="target" />\n  <recv request="INVITE" />'
    )
    + """  <send>
    <![CDATA[
      SIP/2.0 302 Moved Temporarily
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag02[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[$target]@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" />
</scenario>
"""
)

BUSY = (
    _UAS_HEAD.format(name="busy")
    + """  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag03[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" />
</scenario>
"""
)

ANSWER = (
    _UAS_HEAD.format(name="answer")
    + """  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag04[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag04[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK" />
  <recv request="BYE" />
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
