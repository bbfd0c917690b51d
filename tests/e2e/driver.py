"""The call driver: originate Local channels through AMI and read what happened.

    result = await driver.call("2001", context="comptabilite", caller="2002")
    assert result.rang == ["alice-desk", "alice-soft"]
    result = await driver.call("00612345678", context="comptabilite", caller="2002")
    assert result.dialed == ["0612345678"]            # what reached a trunk sink
    assert result.variable("AGISTATUS") == "FAILURE"

How: ``Originate`` of ``Local/<exten>@<context>`` with ``ChannelId`` set, so every
channel of the call (the Local pair, the sinks it dials, Local forward legs) shares
that Linkedid; every AMI event with that Linkedid is kept in ``CallResult.events``.
The call is over when every channel seen has hung up.  The caller's side (;1)
runs ``autocom-test-caller,<caller_side>`` once the call is answered: ``wait``
(listen, then hang up after AUTOCOM_TEST_CALLER_SECONDS), ``dtmf`` (send
``dtmf=`` digits after AUTOCOM_TEST_DTMF_DELAY), ``hangup`` (hang up after
``hangup_after`` seconds), ``echo``, ``talk-dtmf`` / ``talk-hangup`` (play
AUTOCOM_TEST_TALK, real audio, then key ``dtmf=`` or hang up).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tests.e2e.ami import AmiClient, AmiError, AmiMessage

PLAY_APPS = {"Playback", "Background", "ControlPlayback", "Read", "BackGround"}

_ids = itertools.count(1)


class CallTimeout(AssertionError):
    """The call did not end in time (its channels were hung up); str() says what it did."""


@dataclass
class CallResult:
    """Everything AMI reported about one call, and views on it."""

    call_id: str
    events: list[AmiMessage] = field(default_factory=list)
    originate: AmiMessage | None = None  # the OriginateResponse event
    main: str = ""  # uniqueid of the channel that ran the dialplan under test

    @property
    def main_channel(self) -> str:
        """The uniqueid of the channel that ran the dialplan under test (Local ;2)."""
        return self.main or f"{self.call_id}-2"

    def _sink_events(self, kind: str) -> list[AmiMessage]:
        return [
            e
            for e in self.events
            if e.get("Event") == "UserEvent"
            and e.get("UserEvent") == "AutocomSink"
            and e.get("Kind") == kind
        ]

    @property
    def dialed(self) -> list[str]:
        """The numbers that reached a trunk sink, in order."""
        return [e.get("Target", "") for e in self._sink_events("trunk")]

    @property
    def trunk_calls(self) -> list[tuple[str, str]]:
        """(number, trunk) for each trunk sink reached, in order."""
        return [(e.get("Target", ""), e.get("Trunk", "")) for e in self._sink_events("trunk")]

    @property
    def rang(self) -> list[str]:
        """The devices that rang (device sinks reached), in order."""
        return [e.get("Target", "") for e in self._sink_events("device")]

    def sink_caller(self, target: str) -> tuple[str, str]:
        """(caller id number, name) seen by the sink of a device or trunk number."""
        for kind in ("device", "trunk"):
            for e in self._sink_events(kind):
                if e.get("Target") == target:
                    return e.get("CallerIDNum", ""), e.get("CallerIDName", "")
        raise KeyError(f"{target!r} was never reached; reached: {self.rang + self.dialed}")

    @property
    def steps(self) -> list[tuple[str, str, str, str, str]]:
        """(context, exten, priority, application, data) of every dialplan step, in order."""
        return [
            (
                e.get("Context", ""),
                e.get("Extension", ""),
                e.get("Priority", ""),
                e.get("Application", ""),
                e.get("AppData", ""),
            )
            for e in self.events
            if e.get("Event") == "Newexten"
        ]

    def apps(self, name: str, context: str | None = None) -> list[str]:
        """The data of every run of one dialplan application (e.g. "Dial"), optionally
        only in one context."""
        return [
            data
            for (ctx, _e, _p, app, data) in self.steps
            if app == name and (context is None or ctx == context)
        ]

    @property
    def contexts(self) -> list[str]:
        """The contexts the call went through, in order, without repeats."""
        seen: list[str] = []
        for ctx, *_ in self.steps:
            if ctx not in seen:
                seen.append(ctx)
        return seen

    @property
    def played(self) -> list[str]:
        """Prompts played by the dialplan (Playback & co) and by AGI STREAM FILE & co."""
        out: list[str] = []
        for e in self.events:
            if e.get("Event") == "Newexten" and e.get("Application") in PLAY_APPS:
                data = e.get("AppData", "")
                if e.get("Application") == "Read":
                    parts = data.split(",")
                    data = parts[1] if len(parts) > 1 else ""
                else:
                    data = data.split(",")[0]
                out.extend(p for p in data.split("&") if p)
            elif e.get("Event") == "AGIExecStart":
                words = e.get("Command", "").split()
                if len(words) >= 3 and words[0].upper() in ("STREAM", "CONTROL", "GET"):
                    out.append(words[2].strip('"'))
        return out

    def variables(self, channel: str | None = None) -> dict[str, str]:
        """Last value of each variable set on one channel (default: the main channel)."""
        uid = channel or self.main_channel
        out: dict[str, str] = {}
        for e in self.events:
            if e.get("Event") == "VarSet" and e.get("Uniqueid") == uid:
                out[e.get("Variable", "")] = e.get("Value", "")
        return out

    def variable(self, name: str, channel: str | None = None) -> str | None:
        """Last value set for ``name`` on the main channel (or ``channel``)."""
        return self.variables(channel).get(name)

    def values(self, name: str) -> list[str]:
        """Every value ``name`` took, on any channel of the call, in order."""
        return [
            e.get("Value", "")
            for e in self.events
            if e.get("Event") == "VarSet" and e.get("Variable") == name
        ]

    @property
    def agistatus(self) -> list[str]:
        """Every AGISTATUS value of the call, in order."""
        return self.values("AGISTATUS")

    def user_events(self, name: str) -> list[AmiMessage]:
        return [
            e for e in self.events if e.get("Event") == "UserEvent" and e.get("UserEvent") == name
        ]

    @property
    def channels(self) -> list[str]:
        """Names of every channel of the call, in creation order."""
        return [e.get("Channel", "") for e in self.events if e.get("Event") == "Newchannel"]

    @property
    def hangup_cause(self) -> int | None:
        """The hangup cause of the main channel."""
        for e in self.events:
            if e.get("Event") == "Hangup" and e.get("Uniqueid") == self.main_channel:
                return int(e.get("Cause", "0"))
        return None

    @property
    def answered(self) -> bool:
        return self.originate is not None and self.originate.get("Response") == "Success"

    def summary(self) -> str:
        lines = [f"call {self.call_id}:"]
        for e in self.events:
            kind = e.get("Event")
            if kind == "Newexten":
                lines.append(
                    f"  {e.get('Channel')} {e.get('Context')},{e.get('Extension')},"
                    f"{e.get('Priority')} {e.get('Application')}({e.get('AppData')})"
                )
            elif kind in ("UserEvent", "Hangup", "AGIExecStart", "AGIExecEnd", "DialEnd"):
                keys = ("UserEvent", "Kind", "Target", "Cause", "Command", "Result", "DialStatus")
                detail = " ".join(f"{k}={e[k]}" for k in keys if k in e)
                lines.append(f"  {kind} {e.get('Channel')} {detail}")
        return "\n".join(lines)


class Call:
    """An originated call in progress."""

    def __init__(self, driver: CallDriver, call_id: str, start: int, main: str = "") -> None:
        self.driver = driver
        self.call_id = call_id  # the Linkedid of every channel of the call
        self.main = main or f"{call_id}-2"  # uniqueid of the channel running the dialplan
        self._start = start

    def _mine(self, e: AmiMessage) -> bool:
        return e.get("Linkedid") == self.call_id or (
            e.get("Event") == "OriginateResponse" and e.get("ActionID") == self.call_id
        )

    def result(self) -> CallResult:
        events = [e for e in self.driver.ami.events[self._start :] if self._mine(e)]
        originate = next((e for e in events if e.get("Event") == "OriginateResponse"), None)
        return CallResult(self.call_id, events, originate, self.main)

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], max_wait: float = 10
    ) -> AmiMessage:
        """Wait for an event of this call matching ``predicate``."""
        return await self.driver.ami.wait_for(
            lambda e: self._mine(e) and predicate(e), max_wait, self._start
        )

    async def wait_rang(self, device: str, max_wait: float = 10) -> None:
        """Wait until a device sink (or trunk sink number) was reached."""
        await self.wait_for(
            lambda e: e.get("UserEvent") == "AutocomSink" and e.get("Target") == device, max_wait
        )

    def _live(self) -> tuple[set[str], bool]:
        live: dict[str, str] = {}
        ended = False
        for e in self.driver.ami.events[self._start :]:
            if e.get("Linkedid") != self.call_id:
                if (
                    e.get("Event") == "OriginateResponse"
                    and e.get("ActionID") == self.call_id
                    and e.get("Response") == "Failure"
                    and not live
                ):
                    ended = True
                continue
            kind = e.get("Event")
            if kind == "Newchannel":
                live[e.get("Uniqueid", "")] = e.get("Channel", "")
            elif kind == "Hangup":
                live.pop(e.get("Uniqueid", ""), None)
                ended = True
        return set(live.values()), ended

    async def hangup(self) -> None:
        """Hang up every channel of the call still up."""
        live, _ = self._live()
        for name in live:
            with contextlib.suppress(AmiError):
                await self.driver.ami.action("Hangup", Channel=name)

    async def finished(self, max_wait: float = 15) -> CallResult:
        """Wait until every channel of the call hung up; CallTimeout after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        while True:
            live, ended = self._live()
            if ended and not live:
                return self.result()
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self.hangup()
                await asyncio.sleep(0.2)
                raise CallTimeout(
                    f"call still up after {max_wait} s (channels {sorted(live)}):\n"
                    + self.result().summary()
                )
            with contextlib.suppress(TimeoutError):
                await self.driver.ami.wait_for(
                    lambda e: e.get("Event") in ("Hangup", "OriginateResponse"),
                    min(remaining, 0.5),
                    len(self.driver.ami.events),
                )


class CallDriver:
    """Originate test calls and set up sinks, on one AMI connection."""

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami

    async def originate(
        self,
        exten: str,
        context: str,
        *,
        caller: str = "",
        caller_name: str = "",
        variables: Mapping[str, str] | None = None,
        caller_side: str = "wait",
        dtmf: str | None = None,
        hangup_after: float | None = None,
        answer_timeout: float = 30,
        optimize: bool = False,
    ) -> Call:
        """Start a call from ``caller`` to ``exten`` in ``context``; returns at once."""
        call_id = f"autocom-{os.getpid()}-{next(_ids)}"
        variables = dict(variables or {})
        if dtmf is not None:
            variables["AUTOCOM_TEST_DTMF"] = dtmf
            if caller_side == "wait":
                caller_side = "dtmf"
        if hangup_after is not None:
            variables["AUTOCOM_TEST_HANGUP_AFTER"] = str(hangup_after)
            if caller_side == "wait":
                caller_side = "hangup"
        fields = {
            "Channel": f"Local/{exten}@{context}" + ("" if optimize else "/n"),
            "Context": "autocom-test-caller",
            "Exten": caller_side,
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(answer_timeout * 1000)),
            "ChannelId": call_id,
            "OtherChannelId": f"{call_id}-2",
        }
        if caller or caller_name:
            fields["CallerID"] = f'"{caller_name}" <{caller}>' if caller_name else caller
        start = len(self.ami.events)
        # ActionID = call id, to match the OriginateResponse event
        await self.ami.send_action("Originate", fields, variables=variables, action_id=call_id)
        return Call(self, call_id, start)

    async def call(
        self, exten: str, context: str, *, max_wait: float = 15, **kw: object
    ) -> CallResult:
        """originate(...) then wait until the call is over."""
        call = await self.originate(exten, context, **kw)  # type: ignore[arg-type]
        return await call.finished(max_wait)

    def mark(self) -> int:
        """A point in the event stream: ``call_from(..., since=mark)`` looks after it."""
        return len(self.ami.events)

    async def call_from(self, channel_prefix: str, since: int, max_wait: float = 10) -> Call:
        """A call placed by a phone (e.g. ``PJSIP/phone-a-``) after ``since``."""
        event = await self.ami.wait_for(
            lambda e: (
                e.get("Event") == "Newchannel" and e.get("Channel", "").startswith(channel_prefix)
            ),
            max_wait,
            since,
        )
        return Call(self, event.get("Linkedid", ""), since, event.get("Uniqueid", ""))

    async def set_global(self, name: str, value: str) -> None:
        await self.ami.action("Setvar", Variable=name, Value=value)

    async def get_global(self, name: str) -> str:
        reply = await self.ami.action("Getvar", Variable=name)
        return reply.get("Value", "")

    async def sink(self, target: str, behaviour: str) -> None:
        """How a device sink (by device) or trunk sink (by number) behaves from now on."""
        if behaviour not in ("answer", "busy", "noanswer", "congestion", "unavailable", "echo"):
            raise ValueError(f"unknown sink behaviour {behaviour!r}")
        await self.ami.action("DBPut", Family="autocom-test/sink", Key=target, Val=behaviour)

    async def reset_sinks(self) -> None:
        with contextlib.suppress(AmiError):  # nothing to delete
            await self.ami.action("DBDelTree", Family="autocom-test/sink")

    async def command(self, cli: str) -> str:
        return await self.ami.command(cli)
