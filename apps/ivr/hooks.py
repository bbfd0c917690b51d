"""The ARI side of the IVR: a Stasis application driving the pure engine.

One :class:`IvrCall` per channel that entered Stasis(autocom-ivr,<menu>).
ARI events are turned into engine events and queued per call (so one slow
REST call never delays another caller); each call's task applies the engine's
actions in order.  After every (re)connection of the events websocket,
:meth:`IvrApp.resync` compares our calls with ``GET /channels``: calls whose
channel is gone are dropped, and channels still parked in our Stasis app that
we have no state for (autocom restarted) are sent back to the dialplan, where
the safe path (autocom-ivr-fallback) takes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.ivr import engine
from apps.ivr.finder import Finder
from apps.ivr.rules import IvrRules
from autocom.ari import events as ev
from autocom.ari.client import AriClient
from autocom.ari.errors import AriError, AriNotFound, AriServerError
from autocom.rights import slot_is_active
from autocom.tasks import cancel_and_wait

log = logging.getLogger("autocom.ivr")

ROUTE_CONTEXT = "autocom-ivr-route"
FALLBACK_CONTEXT = "autocom-ivr-fallback"
STOP_RETRIES = 5
STOP_RETRY_DELAY = 0.05  # seconds, growing with each retry


@dataclass(frozen=True)
class _End:
    why: str


CallInput = engine.Event | _End


async def _no_night() -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class CallFacts:
    """What the app needs from the running server for one call, read at StasisStart."""

    rules: IvrRules
    active_slots: frozenset[str]
    find: Finder  # dial by name: (keys, limit, external) -> Found, never raises, bounded
    # the daynight services in night mode (slot or override), read when the call enters
    night: Callable[[], Awaitable[frozenset[str]]] = _no_night


class IvrCall:
    """One caller in the IVR: a queue of inputs and a task applying the engine."""

    def __init__(self, app: IvrApp, channel: ev.Channel, menu: str, facts: CallFacts) -> None:
        self.app = app
        self.channel_id = channel.id
        self.menu = menu
        self.facts = facts
        self.inbox: asyncio.Queue[CallInput] = asyncio.Queue()
        self.state: engine.IvrState | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.lookup: asyncio.Task[None] | None = None
        self.history: list[str] = []  # reasons, for logs and tests
        self.task = asyncio.get_running_loop().create_task(
            self._run(channel), name=f"ivr-{channel.id}"
        )

    def feed(self, item: CallInput) -> None:
        self.inbox.put_nowait(item)

    async def _run(self, channel: ev.Channel) -> None:
        ari = self.app.client
        try:
            if channel.state != "Up":
                await ari.answer(self.channel_id)
            night = await self.facts.night()
            step = engine.start(self.facts.rules, self.menu, self.facts.active_slots, night)
            while True:
                self._log(step)
                self.state = step.state
                await self._apply(step.actions)
                if step.state.phase == "done":
                    return
                item = await self.inbox.get()
                if isinstance(item, _End):
                    self.history.append(f"ended: {item.why}")
                    return
                step = engine.step(self.facts.rules, step.state, item)
        except AriNotFound:
            self.history.append("ended: channel gone")
        except AriError as exc:
            # The call cannot be driven any more (link down, Asterisk refused):
            # try to hand it back to the dialplan's safe path, else give up on it.
            log.warning("IVR call %s: %s", self.channel_id, exc)
            self.history.append(f"error: {exc}")
            with contextlib.suppress(AriError):
                await ari.continue_in_dialplan(self.channel_id, FALLBACK_CONTEXT, "s", 1)
        finally:
            self._cancel_timer()
            if self.lookup is not None:
                self.lookup.cancel()
            self.app.forget(self)

    def _log(self, step: engine.Step) -> None:
        self.history.append(step.reason)
        log.info(
            "IVR %s menu %s: %s [%s]",
            self.channel_id,
            step.state.menu,
            step.reason,
            "; ".join(step.trace),
        )

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    async def _apply(self, actions: tuple[engine.IvrAction, ...]) -> None:
        ari = self.app.client
        for action in actions:
            if isinstance(action, engine.Play):
                await ari.play(
                    self.channel_id,
                    action.media,
                    playback_id=action.playback_id,
                    lang=action.language,
                )
            elif isinstance(action, engine.StopPlayback):
                await self._stop(action.playback_id)
            elif isinstance(action, engine.StartTimer):
                self._cancel_timer()
                self.timer = asyncio.get_running_loop().call_later(
                    action.seconds, self.feed, engine.Timeout(action.token)
                )
            elif isinstance(action, engine.Lookup):
                # in its own task: a hang-up is still seen while the directory answers
                self.lookup = asyncio.get_running_loop().create_task(self._find(action))
            elif isinstance(action, engine.Route):
                self._cancel_timer()
                await ari.set_variable(self.channel_id, "AUTOCOM_IVR_TARGET", action.target)
                await ari.set_variable(self.channel_id, "AUTOCOM_IVR_MENU", self.state_menu())
                await ari.set_variable(self.channel_id, "AUTOCOM_IVR_KEYS", self.keys_path())
                await ari.continue_in_dialplan(self.channel_id, ROUTE_CONTEXT, action.kind, 1)
            elif isinstance(action, engine.Hangup):
                self._cancel_timer()
                await ari.hangup(self.channel_id)

    async def _find(self, action: engine.Lookup) -> None:
        try:
            found = await self.facts.find(action.keys, action.limit, action.external)
        except Exception as exc:  # a bug in a finder: say "no match" rather than silence
            log.exception("IVR call %s: dial by name lookup failed", self.channel_id)
            found = engine.Found((), f"lookup failed: {type(exc).__name__}")
        self.feed(found)

    async def _stop(self, playback_id: str) -> None:
        """Stop a playback (barge-in). Until it stops, every other channel command
        (continue, variable) waits behind it, so a refused stop is retried."""
        for attempt in range(STOP_RETRIES):
            try:
                await self.app.client.stop_playback(playback_id)
                return
            except AriNotFound:  # already finished
                return
            except AriServerError:
                # 500 "Could not stop playback": seen on 22.10 when the playback
                # was still queued; it can be stopped a moment later.
                await asyncio.sleep(STOP_RETRY_DELAY * (attempt + 1))
        log.warning("IVR call %s: playback %s could not be stopped", self.channel_id, playback_id)

    def state_menu(self) -> str:
        return self.state.menu if self.state is not None else self.menu

    def keys_path(self) -> str:
        """The keys pressed, as the CEL mark ``ivrkeys=<menu>:<key>>...`` carries them."""
        path = self.state.path if self.state is not None else ()
        return ">".join(f"{menu}:{key}" for menu, key in path)


FactsSource = Callable[[], CallFacts]


class IvrApp:
    """The Stasis application: dispatches ARI events to calls, resyncs on reconnect."""

    def __init__(self, client: AriClient, name: str, facts: FactsSource) -> None:
        self.client = client
        self.name = name
        self.facts = facts
        self.calls: dict[str, IvrCall] = {}
        self.finished: list[IvrCall] = []  # last calls, newest last (bounded)
        self.resyncs = 0
        self.recovered = 0  # channels found parked in our app and sent to the safe path

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.StasisStart):
            self._start(event)
        elif isinstance(event, ev.ChannelDtmfReceived):
            self._to(event.channel.id, engine.Digit(event.digit))
        elif isinstance(event, ev.PlaybackFinished):
            chan = event.playback.channel_id
            if chan is not None:
                self._to(chan, engine.PromptDone(event.playback.id))
        elif isinstance(event, ev.StasisEnd | ev.ChannelDestroyed | ev.ChannelHangupRequest):
            self._to(event.channel.id, _End(event.type))

    def _to(self, channel_id: str, item: CallInput) -> None:
        call = self.calls.get(channel_id)
        if call is not None:
            call.feed(item)

    def _start(self, event: ev.StasisStart) -> None:
        chan = event.channel
        if chan.id in self.calls:
            return
        menu = event.args[0] if event.args else "main"
        call = IvrCall(self, chan, menu, self.facts())
        self.calls[chan.id] = call

    def forget(self, call: IvrCall) -> None:
        if self.calls.get(call.channel_id) is call:
            del self.calls[call.channel_id]
        self.finished.append(call)
        del self.finished[:-50]

    async def resync(self) -> None:
        """After a (re)connection: drop calls whose channel is gone, release orphans."""
        self.resyncs += 1
        channels = await self.client.channels()
        alive = {c.id: c for c in channels}
        for chan_id, call in list(self.calls.items()):
            if chan_id not in alive:
                call.feed(_End("channel gone while the ARI link was down"))
        for chan in channels:
            if chan.id in self.calls:
                continue
            dp = chan.dialplan
            if dp.app_name == "Stasis" and dp.app_data.split(",")[0] == self.name:
                self.recovered += 1
                log.warning("IVR: channel %s parked in %s without state: safe path", chan.id, dp)
                with contextlib.suppress(AriError):
                    await self.client.continue_in_dialplan(chan.id, FALLBACK_CONTEXT, "s", 1)

    async def close(self) -> None:
        await cancel_and_wait(*(call.task for call in list(self.calls.values())))


def active_slots(time_rules: Any, names: set[str], when: datetime) -> frozenset[str]:
    """The slots among ``names`` active at ``when``, per the call-rights rule file."""
    if time_rules is None or not names:
        return frozenset()
    return frozenset(n for n in names if slot_is_active(time_rules, n, when))
