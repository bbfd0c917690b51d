"""A private, real Asterisk 22 for the end-to-end tests, run in the cached sid root.

``AsteriskInstance(root)`` writes a complete test configuration under
``<root>/var/tmp/autocom/<unique id>/`` (its own etc/, run/, spool/, log/ and
astdb folders, so several instances, from several engineers' test runs, can run
at once), binds everything to 127.0.0.1 on free ports (SIP/UDP, AMI, HTTP/ARI),
loads only the modules the tests need, and starts
``chroot <root> /usr/sbin/asterisk -f -C <conf>``.  ``start()`` returns once
Asterisk reports FullyBooted on AMI.

The extensions.conf it writes ``#include``s the project's dialplan/ (copied into
the instance's etc/dialplan/ at every (re)configure), the site dialplan rendered
by ``autocom.site.dialplan.render_dialplan`` and the test contexts (sinks and
caller behaviours, see ``TEST_DIALPLAN``).  ``reconfigure(...)`` rewrites those
and runs ``dialplan reload`` instead of restarting.

Test globals point the dial templates at sinks::

    AUTOCOM_DEVICE_DIAL = Local/{device}@autocom-test-device-sink
    AUTOCOM_TRUNK_DIAL  = Local/{number}~{trunk}@autocom-test-trunk-sink

The sinks report with ``UserEvent(AutocomSink, Kind: device|trunk, ...)`` and then
behave as ``DB(autocom-test/sink/<device or number>)`` says (default ``answer``):
``answer`` (answer, stay ``AUTOCOM_TEST_ANSWER_SECONDS``, hang up), ``busy``,
``noanswer`` (ring until the caller gives up), ``congestion``, ``unavailable``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.process import ServerProcess, free_port

PROJECT = Path(__file__).resolve().parents[2]
ROOT_SCRIPT = PROJECT / "scripts" / "asterisk-root.sh"
DEFAULT_ROOT = Path("/var/cache/autocom/asterisk-sid")
BOOT_TIMEOUT = 30.0

# Only what the tests need: Asterisk boots in about a second.
MODULES = (
    "codec_ulaw",
    "codec_alaw",
    "codec_gsm",
    "codec_a_mu",
    "codec_resample",
    "format_gsm",
    "format_wav",
    "format_pcm",
    "format_sln",
    "res_timing_timerfd",
    "bridge_simple",
    "bridge_native_rtp",
    "bridge_softmix",
    "bridge_holding",
    "res_rtp_asterisk",
    "res_pjproject",
    "res_sorcery_config",
    "res_sorcery_memory",
    "res_sorcery_astdb",
    "res_pjsip",
    "res_pjsip_session",
    "chan_pjsip",
    "res_pjsip_sdp_rtp",
    "res_pjsip_caller_id",
    "res_pjsip_authenticator_digest",
    "res_pjsip_endpoint_identifier_user",
    "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_registrar",
    "res_pjsip_diversion",
    "res_pjsip_header_funcs",
    "res_pjsip_dtmf_info",
    "res_pjsip_rfc3326",
    "res_pjsip_nat",
    "res_pjsip_pubsub",
    "res_pjsip_exten_state",
    "res_pjsip_pidf_body_generator",
    "res_pjsip_dialog_info_body_generator",
    "res_pjsip_xpidf_body_generator",
    "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_outbound_publish",
    "res_speech",
    "res_websocket_client",
    "pbx_config",
    "app_dial",
    "app_playback",
    "app_stack",
    "res_agi",
    "app_userevent",
    "app_echo",
    "app_senddtmf",
    "app_verbose",
    "app_record",
    "app_read",
    "app_exec",
    "app_while",
    "app_db",
    "app_authenticate",
    "app_controlplayback",
    "app_sayunixtime",
    "app_stasis",
    "app_system",
    "app_mixmonitor",
    "app_voicemail",
    "app_queue",
    "app_confbridge",
    "app_directed_pickup",
    "app_softhangup",
    "func_callerid",
    "func_strings",
    "func_db",
    "func_global",
    "func_logic",
    "func_cut",
    "func_devstate",
    "func_channel",
    "func_dialplan",
    "func_math",
    "func_timeout",
    "func_hangupcause",
    "func_shell",
    "func_pjsip_endpoint",
    "func_pjsip_contact",
    "func_pjsip_aor",
    "func_extstate",
    "func_uri",
    "func_sprintf",
    "func_rand",
    "func_env",
    "res_http_websocket",
    "res_stasis",
    "res_ari",
    "res_ari_model",
    "res_ari_applications",
    "res_ari_asterisk",
    "res_ari_bridges",
    "res_ari_channels",
    "res_ari_device_states",
    "res_ari_endpoints",
    "res_ari_events",
    "res_ari_playbacks",
    "res_ari_recordings",
    "res_ari_sounds",
    "res_stasis_answer",
    "res_stasis_playback",
    "res_stasis_recording",
    "res_stasis_snoop",
    "res_stasis_device_state",
)

CEL_MODULES = ("cel_manager", "res_cdrel_custom", "cel_sqlite3_custom", "app_celgenuserevent")
# The columns of the CEL backlog (cel_sqlite3_custom's advanced mapping), as
# docs/accounting.md tells a site to configure it.
CEL_BACKLOG_FIELDS = (
    "eventtype, eventtime, name, num, ani, rdnis, dnid, context, exten, channame, appname, "
    "appdata, accountcode, peeraccount, uniqueid, linkedid, userfield, peer, userdeftype, "
    "eventextra"
)

TEST_DIALPLAN = r"""
; Test contexts written by tests/e2e/asterisk.py (not part of the product).

[autocom-test-device-sink]
; Local/<device>@autocom-test-device-sink: a phone that reports it rang.
exten => _[0-9A-Za-z].,1,UserEvent(AutocomSink,Kind: device,Target: ${EXTEN})
 same => n,Set(SINK_DB=${DB(autocom-test/sink/${EXTEN})})
 same => n,Set(SINK_DB=${IF($["${SINK_DB}" = ""]?${AUTOCOM_TEST_SINK_DEFAULT}:${SINK_DB})})
 same => n,Goto(autocom-test-behave,${SINK_DB},1)

[autocom-test-trunk-sink]
; Local/<number>~<trunk>@autocom-test-trunk-sink: a trunk that reports the number.
exten => _X.,1,Set(SINK_NUMBER=${CUT(EXTEN,~,1)})
 same => n,UserEvent(AutocomSink,Kind: trunk,Target: ${SINK_NUMBER},Trunk: ${CUT(EXTEN,~,2)})
 same => n,Set(SINK_DB=${DB(autocom-test/sink/${SINK_NUMBER})})
 same => n,Set(SINK_DB=${IF($["${SINK_DB}" = ""]?${AUTOCOM_TEST_SINK_DEFAULT}:${SINK_DB})})
 same => n,Goto(autocom-test-behave,${SINK_DB},1)

[autocom-test-behave]
exten => answer,1,Answer()
 same => n,Wait(${AUTOCOM_TEST_ANSWER_SECONDS})
 same => n,Hangup()
exten => busy,1,Busy(5)
exten => noanswer,1,Ringing()
 same => n,Wait(120)
exten => congestion,1,Congestion(5)
exten => unavailable,1,Hangup(20)
exten => echo,1,Answer()
 same => n,Echo()

[autocom-test-caller]
; The caller's side of an originated Local channel (;1), once the call is answered.
exten => wait,1,Wait(${AUTOCOM_TEST_CALLER_SECONDS})
 same => n,Hangup()
exten => dtmf,1,Wait(${AUTOCOM_TEST_DTMF_DELAY})
 same => n,SendDTMF(${AUTOCOM_TEST_DTMF},${AUTOCOM_TEST_DTMF_DURATION})
 same => n,Wait(${AUTOCOM_TEST_CALLER_SECONDS})
 same => n,Hangup()
exten => hangup,1,Wait(${AUTOCOM_TEST_HANGUP_AFTER})
 same => n,Hangup()
exten => echo,1,Echo()
; talk first (real audio frames, e.g. for a recording), then key DTMF or hang up
exten => talk-dtmf,1,Playback(${AUTOCOM_TEST_TALK})
 same => n,SendDTMF(${AUTOCOM_TEST_DTMF},${AUTOCOM_TEST_DTMF_DURATION})
 same => n,Wait(${AUTOCOM_TEST_CALLER_SECONDS})
 same => n,Hangup()
exten => talk-hangup,1,Playback(${AUTOCOM_TEST_TALK})
 same => n,Hangup()

[autocom-test-run]
; Local/<exten>@autocom-test-run with AUTOCOM_TEST_APP / AUTOCOM_TEST_ARGS: run one
; application (e.g. AGI) then hang up; used by the FastAGI tests.
exten => agi,1,Answer()
 same => n,AGI(${AUTOCOM_AGI}/${AUTOCOM_TEST_SCRIPT})
 same => n,UserEvent(AutocomAgiDone,Status: ${AGISTATUS})
 same => n,Hangup()
exten => agi-noanswer,1,AGI(${AUTOCOM_AGI}/${AUTOCOM_TEST_SCRIPT})
 same => n,UserEvent(AutocomAgiDone,Status: ${AGISTATUS})
 same => n,Hangup()
exten => h,1,UserEvent(AutocomHangup,Status: ${AGISTATUS})
"""

TEST_GLOBALS: dict[str, str] = {
    "AUTOCOM_AGI": "agi://127.0.0.1:9",  # nothing listens: set per test by the autocom fixtures
    "AUTOCOM_DEVICE_DIAL": "Local/{device}@autocom-test-device-sink",
    "AUTOCOM_TRUNK_DIAL": "Local/{number}~{trunk}@autocom-test-trunk-sink",
    "AUTOCOM_TEST_SINK_DEFAULT": "answer",
    "AUTOCOM_TEST_ANSWER_SECONDS": "0.3",
    "AUTOCOM_TEST_CALLER_SECONDS": "20",
    "AUTOCOM_TEST_DTMF_DELAY": "0.5",
    "AUTOCOM_TEST_DTMF_DURATION": "100",
    "AUTOCOM_TEST_HANGUP_AFTER": "1",
    "AUTOCOM_TEST_TALK": "hello",
}


class AsteriskError(RuntimeError):
    """Asterisk could not be prepared or started; the message says what is needed."""


def ensure_root() -> Path:
    """Build or reuse the sid root with scripts/asterisk-root.sh; clear error without root."""
    if os.geteuid() != 0:
        raise AsteriskError(
            "the end-to-end tests run Asterisk with chroot in a Debian sid root, which needs "
            "root privileges: run them as root (sudo make test, or a container started as "
            "root); the root is built by scripts/asterisk-root.sh with debootstrap"
        )
    env = dict(os.environ)
    proc = subprocess.run(
        ["sh", str(ROOT_SCRIPT)], capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        raise AsteriskError(
            f"scripts/asterisk-root.sh failed (exit {proc.returncode}):\n{proc.stderr.strip()}"
        )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise AsteriskError(f"scripts/asterisk-root.sh printed no path:\n{proc.stderr}")
    return Path(lines[-1])


@dataclass
class SipEndpoint:
    """A PJSIP endpoint of the test config (a phone SIPp can register as)."""

    name: str
    context: str = "autocom-test-default"
    password: str = "secret"
    callerid: str = ""
    max_contacts: int = 1
    extra: str = ""  # more endpoint lines, e.g. "redirect_method=uri_pjsip"
    static_contact: str = ""  # e.g. "sip:bernard-desk@127.0.0.1:5071": no REGISTER needed

    def conf(self) -> str:
        cid = f"callerid={self.callerid}\n" if self.callerid else ""
        contact = f"contact={self.static_contact}\n" if self.static_contact else ""
        return (
            f"[{self.name}]\ntype=endpoint\ntransport=autocom-udp\ncontext={self.context}\n"
            f"disallow=all\nallow=ulaw,alaw\nauth={self.name}-auth\naors={self.name}\n"
            f"direct_media=no\nrtp_symmetric=yes\nrewrite_contact=yes\n{cid}{self.extra}\n"
            f"[{self.name}-auth]\ntype=auth\nauth_type=userpass\nusername={self.name}\n"
            f"password={self.password}\n\n"
            f"[{self.name}]\ntype=aor\n{contact}max_contacts={self.max_contacts}\n"
            f"remove_existing=yes\nqualify_frequency=0\n\n"
        )


@dataclass
class AsteriskInstance:
    """One private Asterisk process in the sid root."""

    root: Path
    name: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(4)}")
    ami_user: str = "autocom"
    ami_secret: str = field(default_factory=lambda: secrets.token_hex(8))
    ari_user: str = "autocom"
    ari_password: str = field(default_factory=lambda: secrets.token_hex(8))
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.inner = Path("/var/tmp/autocom") / self.name  # as Asterisk sees it
        self.folder = self.root / self.inner.relative_to("/")  # as we see it
        self.ami_port = free_port()
        self.http_port = free_port()
        self.sip_port = free_port(socket.SOCK_DGRAM)
        self._process = ServerProcess("Asterisk")
        self.endpoints: dict[str, SipEndpoint] = {}
        self.site_dialplan = ""
        self.extra_dialplan = ""
        self.globals: dict[str, str] = dict(TEST_GLOBALS)
        self.voicemail_boxes: dict[str, str] = {}
        self.queues: dict[str, list[str]] = {}
        # Channel event logging (apps/accounting): CEL to AMI and to the SQLite backlog
        # ``cel_backlog`` (cel_sqlite3_custom, in the instance's log folder).
        self.cel = False
        # A resolv.conf for this Asterisk alone (hagi:// tests): bind-mounted over the
        # root's etc/resolv.conf in a private mount namespace, so the shared root and
        # the other instances keep theirs.
        self.resolv_conf: Path | None = None

    @property
    def cel_backlog(self) -> Path:
        """The CEL backlog database cel_sqlite3_custom writes (host path)."""
        return self.folder / "log" / "cel.sqlite.db"

    # -- paths ----------------------------------------------------------------
    @property
    def etc(self) -> Path:
        return self.folder / "etc"

    @property
    def log_file(self) -> Path:
        return self.folder / "log" / "messages"

    def inside(self, path: Path) -> Path:
        """A host path under the root as Asterisk sees it (for AGI RECORD FILE...)."""
        return Path("/") / path.relative_to(self.root)

    def outside(self, path: str | Path) -> Path:
        """A path as Asterisk sees it, as the tests see it."""
        return self.root / Path(path).relative_to("/")

    @property
    def tmp(self) -> Path:
        """A scratch folder Asterisk can write to (host path)."""
        return self.folder / "tmp"

    # -- configuration --------------------------------------------------------
    def write_config(self) -> None:
        for sub in ("etc", "run", "spool", "log", "db", "tmp", "keys", "cache"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        i = self.inner
        self._write(
            "asterisk.conf",
            f"""[directories]
astetcdir => {i}/etc
astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules
astvarlibdir => /var/lib/asterisk
astdbdir => {i}/db
astkeydir => {i}/keys
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => {i}/spool
astrundir => {i}/run
astlogdir => {i}/log
astsbindir => /usr/sbin
astcachedir => {i}/cache

[options]
verbose = 3
debug = 0
nofork = yes
transmit_silence = yes
defaultlanguage = fr
systemname = autocom-test-{self.name}
hideconnect = yes
""",
        )
        self._write(
            "modules.conf",
            "[modules]\nautoload = no\n"
            + "".join(f"load = {m}.so\n" for m in MODULES + (CEL_MODULES if self.cel else ())),
        )
        self._write(
            "logger.conf",
            "[general]\ndateformat = %F %T.%3q\n[logfiles]\n"
            "messages => notice,warning,error,verbose(3)\n",
        )
        self._write(
            "manager.conf",
            f"""[general]
enabled = yes
port = {self.ami_port}
bindaddr = {self.host}
displayconnects = no
timestampevents = yes

[{self.ami_user}]
secret = {self.ami_secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
writetimeout = 5000
""",
        )
        self._write(
            "http.conf",
            f"[general]\nenabled = yes\nbindaddr = {self.host}\nbindport = {self.http_port}\n",
        )
        self._write(
            "ari.conf",
            f"[general]\nenabled = yes\npretty = no\n\n[{self.ari_user}]\ntype = user\n"
            f"read_only = no\npassword = {self.ari_password}\npassword_format = plain\n",
        )
        self._write("rtp.conf", "[general]\nrtpstart = 20000\nrtpend = 40000\n")
        # with CEL (the accounting tests), an attended transfer code for AMI Atxfer
        atxfer = "[featuremap]\natxfer => *2\n" if self.cel else ""
        self._write("features.conf", "[general]\n" + atxfer)
        self._write("confbridge.conf", "[general]\n")
        self._write("cdr.conf", "[general]\nenable = no\n")
        self._write_cel()
        self._write("ccss.conf", "[general]\n")
        self._write("udptl.conf", "[general]\n")
        self._write("acl.conf", "")
        self._write("stasis.conf", "")
        self._write("websocket_client.conf", "")
        self._write("extconfig.conf", "")
        self._write("sorcery.conf", "")
        self._write("pjproject.conf", "[log_mappings]\ntype = log_mappings\n")
        self._write("pjsip_notify.conf", "")
        self._write("indications.conf", (self.root / "etc/asterisk/indications.conf").read_text())
        self.write_voicemail()
        self.write_queues()
        self.write_pjsip()
        self.write_dialplan()

    def _write_cel(self) -> None:
        if not self.cel:
            self._write("cel.conf", "[general]\nenable = no\n")
            return
        self._write(
            "cel.conf",
            "[general]\nenable = yes\napps = all\nevents = ALL\ndateformat = %s.%6q\n"
            "[manager]\nenabled = yes\n",
        )
        self._write(
            "cel_sqlite3_custom.conf",
            f"[{self.inner / 'log' / 'cel.sqlite'}]\ntable = cel\n"
            f"columns = {CEL_BACKLOG_FIELDS}\n"
            f"fields = {CEL_BACKLOG_FIELDS}\n"
            "busy_timeout = 2000\n",
        )

    def write_queues(self) -> None:
        """queues.conf: the ``queues`` (name -> member interfaces), ringall, 5 s a try."""
        text = "[general]\npersistentmembers = no\n\n"
        for name, members in self.queues.items():
            text += f"[{name}]\nstrategy = ringall\ntimeout = 5\nretry = 1\n"
            text += "".join(f"member => {m}\n" for m in members) + "\n"
        self._write("queues.conf", text)

    def write_voicemail(self) -> None:
        """voicemail.conf: the ``voicemail_boxes`` (box -> name) in context default."""
        boxes = "".join(f"{box} => 0000,{name}\n" for box, name in self.voicemail_boxes.items())
        self._write(
            "voicemail.conf",
            "[general]\nformat = wav\nmaxsecs = 30\nminsecs = 0\nskipms = 3000\n"
            f"\n[default]\n{boxes}",
        )

    def write_pjsip(self) -> None:
        text = (
            "[global]\ntype=global\nuser_agent=autocom-test\n\n"
            f"[autocom-udp]\ntype=transport\nprotocol=udp\nbind={self.host}:{self.sip_port}\n\n"
        )
        text += "".join(ep.conf() for ep in self.endpoints.values())
        self._write("pjsip.conf", text)

    def write_dialplan(self) -> None:
        target = self.etc / "dialplan"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(PROJECT / "dialplan", target)
        self._write("autocom-site.conf", self.site_dialplan or "; no site rendered\n")
        self._write("autocom-test.conf", TEST_DIALPLAN + "\n" + self.extra_dialplan)
        overrides = "".join(f"{k}={v}\n" for k, v in self.globals.items())
        self._write(
            "extensions.conf",
            "[general]\nstatic = yes\nwriteprotect = yes\nclearglobalvars = yes\n\n"
            "#include dialplan/autocom.conf\n"
            "#include autocom-site.conf\n"
            "#include autocom-test.conf\n\n"
            f"; test overrides, after the project's globals\n[globals](+)\n{overrides}",
        )

    def _write(self, name: str, text: str) -> None:
        (self.etc / name).write_text(text)

    def mailbox_messages(self, box: str, context: str = "default") -> list[dict[str, str]]:
        """The messages app_voicemail left in one mailbox's INBOX, oldest first: the
        ``[message]`` fields of each msgNNNN.txt (callerid, origmailbox, duration...)."""
        inbox = self.folder / "spool" / "voicemail" / context / box / "INBOX"
        out = []
        for path in sorted(inbox.glob("msg*.txt")):
            fields = {}
            for line in path.read_text(errors="replace").splitlines():
                key, sep, value = line.partition("=")
                if sep and not line.startswith((";", "[")):
                    fields[key.strip()] = value.strip()
            out.append(fields)
        return out

    def clear_mailboxes(self) -> None:
        """Delete every voicemail message and greeting (the spool's voicemail/)."""
        shutil.rmtree(self.folder / "spool" / "voicemail", ignore_errors=True)

    # -- process --------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._process.running

    def start(self) -> None:
        """Write the config, start Asterisk and wait until it is fully booted."""
        self.write_config()
        self.log_file.unlink(missing_ok=True)
        args = ["chroot", str(self.root), "/usr/sbin/asterisk", "-f", "-n"]
        args += ["-C", str(self.inner / "etc" / "asterisk.conf")]
        if self.resolv_conf is not None:
            bind = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
            target = self.root / "etc" / "resolv.conf"
            unshare = ["unshare", "--mount", "--propagation", "private", "sh", "-c", bind, "sh"]
            args = [*unshare, str(self.resolv_conf), str(target), *args]
        try:
            self._process.start(
                args,
                self._fully_booted,
                timeout=BOOT_TIMEOUT,
                interval=0.1,
                stderr_file=self.folder / "stderr.log",
                new_session=True,
            )
        except RuntimeError as exc:
            raise AsteriskError(f"{exc} while booting:\n{self.log_tail()}") from None
        failed = [line for line in self.log_text().splitlines() if "Error loading module" in line]
        if failed:
            self.stop()
            raise AsteriskError("Asterisk could not load modules:\n" + "\n".join(failed))

    def _fully_booted(self) -> bool:
        try:
            with socket.create_connection((self.host, self.ami_port), timeout=1) as sock:
                sock.settimeout(2)
                data = b""
                sock.sendall(
                    f"Action: Login\r\nUsername: {self.ami_user}\r\n"
                    f"Secret: {self.ami_secret}\r\n\r\n".encode()
                )
                deadline = time.monotonic() + 2
                while b"FullyBooted" not in data and time.monotonic() < deadline:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return False
                    data += chunk
                return b"FullyBooted" in data
        except OSError:
            return False

    def cli(self, command: str, timeout: float = 10) -> str:
        """Run one CLI command through the control socket (asterisk -rx)."""
        proc = subprocess.run(
            [
                "chroot",
                str(self.root),
                "/usr/sbin/asterisk",
                "-C",
                str(self.inner / "etc" / "asterisk.conf"),
                "-rx",
                command,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return proc.stdout

    def reload_dialplan(self) -> str:
        self.write_dialplan()
        return self.cli("dialplan reload")

    def reconfigure(
        self,
        *,
        site_dialplan: str | None = None,
        extra_dialplan: str | None = None,
        globals: Mapping[str, str] | None = None,
        voicemail_boxes: Mapping[str, str] | None = None,
        queues: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Replace the site/test dialplan parts (None: keep) and reload the dialplan;
        mailboxes and queues that changed are rewritten and their module reloaded."""
        if voicemail_boxes is not None and dict(voicemail_boxes) != self.voicemail_boxes:
            self.voicemail_boxes = dict(voicemail_boxes)
            self.write_voicemail()
            self.cli("voicemail reload")
        if queues is not None and dict(queues) != self.queues:
            self.queues = {name: list(members) for name, members in queues.items()}
            self.write_queues()
            self.cli("queue reload all")
        if site_dialplan is not None:
            self.site_dialplan = site_dialplan
        if extra_dialplan is not None:
            self.extra_dialplan = extra_dialplan
        if globals is not None:
            self.globals = {**TEST_GLOBALS, **globals}
        out = self.reload_dialplan()
        if "Dialplan reloaded" not in out and "reloaded" not in out.lower():
            raise AsteriskError(f"dialplan reload failed: {out}\n{self.log_tail()}")

    def stop(self) -> None:
        self._process.end(signal.SIGTERM)

    def cleanup(self) -> None:
        """End Asterisk and delete its folder.  SIGKILL, not ``stop()``: nothing of it is
        kept, and its orderly shutdown takes most of a second (a boot takes a quarter)."""
        self._process.end(signal.SIGKILL)
        if os.environ.get("AUTOCOM_KEEP_ASTERISK") != "1":
            shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.log_file, self.folder / "stderr.log"):
            with contextlib.suppress(OSError):
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text or "(no log)"

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""
