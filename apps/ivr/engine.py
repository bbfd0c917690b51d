"""The IVR as a pure state machine: step(rules, state, event) -> Step(state, actions).

No I/O: the ARI adapter (hooks.py) turns ARI events into the events below,
applies the actions (play, stop a playback, start a timer, look names up,
route the call into the dialplan, hang up) and feeds the results back.
Time slots are decided once, when the call enters (``active_slots``).

Phases of a call:
  prompt     the menu's prompt plays; a key stops it (barge-in) and counts
  wait       the prompt finished; a key or the timer decides
  dir_keys   dial by name: collecting keypad letters
  dir_lookup waiting for the directory's matches
  dir_pick   the matches were offered; a key 1..n picks one
  bye        the goodbye plays, then the call is hung up
  done       routed or hung up: nothing more happens
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

from apps.ivr.rules import Action, Directory, IvrRules, Menu

Phase = Literal["prompt", "wait", "dir_keys", "dir_lookup", "dir_pick", "bye", "done"]
RouteKind = Literal["extension", "queue", "group", "voicemail"]
MAX_MENU_HOPS = 8  # branch -> menu -> branch ... guard against loops in the rule file


# ---------------------------------------------------------------- events in


@dataclass(frozen=True)
class Digit:
    digit: str


@dataclass(frozen=True)
class PromptDone:
    playback_id: str


@dataclass(frozen=True)
class Timeout:
    token: int


@dataclass(frozen=True)
class Match:
    name: str  # as said to the caller (spelled)
    extension: str  # what is dialed: an internal extension, or an external number
    external: bool = False  # True: an outside number (offered only if the rule allows it)


@dataclass(frozen=True)
class Found:
    """The matches the adapter found for a Lookup (directory, or site users as fallback)."""

    matches: tuple[Match, ...]
    origin: str = ""  # where they come from, for the trace: 'directory', 'site users (...)'


Event = Digit | PromptDone | Timeout | Found


# ---------------------------------------------------------------- actions out


@dataclass(frozen=True)
class Play:
    playback_id: str
    media: tuple[str, ...]  # ARI media URIs (sound:x only: they can be stopped)
    language: str


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class StartTimer:
    token: int  # a Timeout with another token is stale and ignored
    seconds: int


@dataclass(frozen=True)
class Lookup:
    keys: str  # keypad digits of the name's first letters
    limit: int
    external: bool = False  # entries with only an outside number may be offered


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    target: str


@dataclass(frozen=True)
class Hangup:
    pass


IvrAction = Play | StopPlayback | StartTimer | Lookup | Route | Hangup


@dataclass(frozen=True)
class IvrState:
    menu: str
    phase: Phase
    active_slots: frozenset[str] = frozenset()
    night_services: frozenset[str] = frozenset()  # services in night mode (daynight)
    attempts: int = 0  # failed tries (timeouts, wrong keys) in this menu
    playing: str | None = None  # the playback a key would stop
    token: int = 0  # current timer token
    seq: int = 0  # for playback ids
    keys: str = ""  # dial by name: keys typed so far
    path: tuple[tuple[str, str], ...] = ()  # (menu, key) of every option taken, in order
    directory: Directory | None = None
    matches: tuple[Match, ...] = ()


@dataclass(frozen=True)
class Step:
    state: IvrState
    actions: tuple[IvrAction, ...]
    reason: str
    trace: tuple[str, ...] = field(default_factory=tuple)  # rule file:line that decided


def _where(obj: Menu | Action | Directory | None, what: str) -> str:
    src = obj.source if obj is not None else None
    return f"{src} {what}" if src is not None else what


def _sounds(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"sound:{n}" for n in names)


def _spell(name: str) -> tuple[str, ...]:
    """A name spelled with the letters/ and digits/ sound files (SAY ALPHA's files).

    Not ARI's 'characters:' media: such a playback cannot be stopped (Asterisk
    22 answers 500 to DELETE /playbacks), so a key could not cut it (barge-in).
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    out = []
    for c in folded:
        if c.isascii() and c.isalpha():
            out.append(f"sound:letters/{c}")
        elif c.isascii() and c.isdigit():
            out.append(f"sound:digits/{c}")
    return tuple(out)


class _Builder:
    """Accumulates actions and trace lines while one event is handled."""

    def __init__(self, rules: IvrRules, state: IvrState) -> None:
        self.rules = rules
        self.state = state
        self.actions: list[IvrAction] = []
        self.trace: list[str] = []
        self.reason = ""

    @property
    def menu(self) -> Menu:
        return self.rules.menus[self.state.menu]

    def language(self) -> str:
        return self.menu.language or self.rules.defaults.language

    def done(self) -> Step:
        return Step(self.state, tuple(self.actions), self.reason, tuple(self.trace))

    def play(self, media: tuple[str, ...], phase: Phase) -> None:
        pid = f"ivr-{self.state.seq + 1}"
        self.state = replace(self.state, seq=self.state.seq + 1, playing=pid, phase=phase)
        self.actions.append(Play(pid, media, self.language()))

    def stop_prompt(self) -> None:
        if self.state.playing is not None:
            self.actions.append(StopPlayback(self.state.playing))
            self.state = replace(self.state, playing=None)

    def timer(self, seconds: int) -> None:
        token = self.state.token + 1
        self.state = replace(self.state, token=token)
        self.actions.append(StartTimer(token, seconds))

    def invalidate_timer(self) -> None:
        self.state = replace(self.state, token=self.state.token + 1)

    # ------------------------------------------------------------ menus

    def enter(self, name: str, hops: int = 0) -> None:
        if hops > MAX_MENU_HOPS:
            self.trace.append(f"more than {MAX_MENU_HOPS} menu hops: loop in the rule file")
            self.goodbye()
            return
        self.state = replace(self.state, menu=name, attempts=0, keys="", directory=None, matches=())
        menu = self.menu
        self.trace.append(_where(menu, f"menu {name}"))
        for branch in menu.branches:
            if branch.taken(self.state.active_slots, self.state.night_services):
                self.trace.append(_where(branch, branch.describe()))
                self.reason = f"menu {name}: {branch.describe()}"
                self.do(branch, hops + 1)
                return
        self.play(_sounds(menu.prompt), "prompt")
        self.reason = self.reason or f"menu {name}: prompt"

    def do(self, action: Action, hops: int = 0) -> None:
        kind = action.kind
        if kind == "menu":
            assert action.menu is not None
            self.enter(action.menu, hops)
        elif kind == "directory":
            assert action.directory is not None
            self.start_directory(action.directory)
        elif kind == "hangup":
            self.trace.append(_where(action, "hang up"))
            self.goodbye()
        else:
            self.trace.append(_where(action, f"{kind} {action.target}"))
            self.reason = self.reason or f"{kind} {action.target}"
            self.state = replace(self.state, phase="done", playing=None)
            self.actions.append(Route(kind, action.target))

    def goodbye(self) -> None:
        self.play(_sounds(self.rules.defaults.goodbye), "bye")

    def fail(self, why: str, wrong_key: bool) -> None:
        """A timeout or a wrong key: replay, or after the last retry, on_failure."""
        menu = self.menu
        attempts = self.state.attempts + 1
        self.state = replace(self.state, attempts=attempts)
        retries = self.rules.retries_of(menu)
        self.trace.append(f"{why} (try {attempts} of {retries + 1})")
        if attempts > retries:
            self.reason = f"menu {self.state.menu}: {why}, no retries left"
            if menu.on_failure is not None:
                self.do(menu.on_failure)
            else:
                self.trace.append("no on_failure: goodbye")
                self.goodbye()
            return
        self.reason = f"menu {self.state.menu}: {why}, replay"
        directory = self.state.directory
        if directory is not None:
            intro = directory.no_match if why.startswith("no name") else ()
            self.state = replace(self.state, keys="", matches=())
            self.play(_sounds(intro + directory.prompt), "dir_keys")
            return
        extra = self.rules.invalid_of(menu) if wrong_key else ()
        self.play(_sounds(extra + menu.prompt), "prompt")

    def menu_key(self, digit: str) -> None:
        action = self.menu.options.get(digit)
        if action is None:
            self.fail(f"key {digit} is not an option", wrong_key=True)
            return
        self.trace.append(_where(action, f"key {digit}"))
        self.reason = f"menu {self.state.menu}: key {digit}"
        self.state = replace(self.state, path=(*self.state.path, (self.state.menu, digit)))
        self.do(action)

    # ------------------------------------------------------------ dial by name

    def start_directory(self, directory: Directory) -> None:
        self.trace.append(_where(directory, "dial by name"))
        self.reason = self.reason or f"menu {self.state.menu}: dial by name"
        self.state = replace(self.state, directory=directory, keys="", matches=())
        self.play(_sounds(directory.prompt), "dir_keys")

    def directory_key(self, digit: str) -> None:
        directory = self.state.directory
        assert directory is not None
        if digit == "*":  # back to the menu
            self.reason = "dial by name cancelled with *"
            self.enter(self.state.menu)
            return
        if digit == "#":
            if self.state.keys:
                self.lookup()
            else:
                self.timer(directory.timeout)
            return
        if digit in "23456789":
            self.state = replace(self.state, keys=self.state.keys + digit)
        if len(self.state.keys) >= directory.min_letters:
            self.lookup()
        else:
            self.timer(directory.timeout)

    def lookup(self) -> None:
        directory = self.state.directory
        assert directory is not None
        self.invalidate_timer()
        self.state = replace(self.state, phase="dir_lookup")
        self.reason = f"dial by name: look up {self.state.keys}"
        self.actions.append(Lookup(self.state.keys, directory.max_matches, directory.external))

    def offer(self, found: Found) -> None:
        directory = self.state.directory
        assert directory is not None
        if found.origin:
            self.trace.append(f"dial by name: matches from {found.origin}")
        matches = found.matches
        if not directory.external:
            outside = [m for m in matches if m.external]
            if outside:
                self.trace.append(
                    _where(directory, f"external: no; {len(outside)} outside number(s) not offered")
                )
                matches = tuple(m for m in matches if not m.external)
        if not matches:
            self.fail(f"no name matches keys {self.state.keys}", wrong_key=False)
            return
        matches = matches[: directory.max_matches]
        media: list[str] = []
        for index, match in enumerate(matches, 1):
            media.extend(_spell(match.name))
            media.extend(_sounds(directory.pick))
            media.append(f"sound:digits/{index}")
        self.state = replace(self.state, matches=matches)
        self.reason = f"dial by name: {len(matches)} match(es) for {self.state.keys}"
        if found.origin:
            self.reason += f" from {found.origin}"
        self.play(tuple(media), "dir_pick")

    def pick_key(self, digit: str) -> None:
        if digit == "*":
            directory = self.state.directory
            assert directory is not None
            self.state = replace(self.state, keys="", matches=())
            self.play(_sounds(directory.prompt), "dir_keys")
            self.reason = "dial by name: start again"
            return
        if digit.isdigit() and 1 <= int(digit) <= len(self.state.matches):
            match = self.state.matches[int(digit) - 1]
            self.trace.append(f"dial by name: key {digit} picks {match.name} ({match.extension})")
            self.reason = f"dial by name: {match.name}"
            self.state = replace(self.state, phase="done", playing=None)
            self.actions.append(Route("extension", match.extension))
            return
        self.fail(f"key {digit} picks no name", wrong_key=False)


def start(
    rules: IvrRules,
    menu: str,
    active_slots: frozenset[str] = frozenset(),
    night_services: frozenset[str] = frozenset(),
) -> Step:
    """A call enters ``menu`` (Stasis(autocom-ivr,<menu>)); unknown menu: hang up.
    ``night_services``: the daynight services in night mode when the call enters."""
    if menu not in rules.menus:
        state = IvrState(menu=menu, phase="done", active_slots=active_slots)
        return Step(state, (Hangup(),), f"no menu is called {menu!r}")
    first = IvrState(
        menu=menu, phase="prompt", active_slots=active_slots, night_services=night_services
    )
    b = _Builder(rules, first)
    b.enter(menu)
    return b.done()


def step(rules: IvrRules, state: IvrState, event: Event) -> Step:
    """One event for one call -> the new state and what to do."""
    if state.phase == "done":
        return Step(state, (), "call already routed")
    if state.menu not in rules.menus:  # the menu vanished in a reload
        return Step(replace(state, phase="done"), (Hangup(),), f"menu {state.menu!r} gone")
    b = _Builder(rules, state)
    if isinstance(event, PromptDone):
        return _prompt_done(b, state, event)
    if isinstance(event, Timeout):
        return _timeout(b, state, event)
    if isinstance(event, Found):
        if state.phase != "dir_lookup":
            return Step(state, (), "stale lookup")
        b.offer(event)
        return b.done()
    return _key(b, state, event.digit)


def _prompt_done(b: _Builder, state: IvrState, event: PromptDone) -> Step:
    if event.playback_id != state.playing:
        return Step(state, (), "stale playback")
    b.state = replace(state, playing=None)
    phase = state.phase
    if phase == "bye":
        b.state = replace(b.state, phase="done")
        b.actions.append(Hangup())
        b.reason = "goodbye played"
    elif phase == "prompt":
        b.state = replace(b.state, phase="wait")
        b.timer(b.rules.timeout_of(b.menu))
        b.reason = "prompt played, waiting for a key"
    elif phase in ("dir_keys", "dir_pick"):
        assert state.directory is not None
        b.timer(state.directory.timeout)
        b.reason = "waiting for a key"
    return b.done()


def _timeout(b: _Builder, state: IvrState, event: Timeout) -> Step:
    if event.token != state.token or state.playing is not None:
        return Step(state, (), "stale timer")
    phase = state.phase
    if phase == "wait":
        b.fail(f"no key within {b.rules.timeout_of(b.menu)} s", wrong_key=False)
    elif phase == "dir_keys":
        if state.keys:
            b.lookup()
        else:
            b.fail("no letters keyed", wrong_key=False)
    elif phase == "dir_pick":
        b.fail("no name picked", wrong_key=False)
    else:
        return Step(state, (), "timer in phase " + phase)
    return b.done()


def _key(b: _Builder, state: IvrState, digit: str) -> Step:
    phase = state.phase
    if phase in ("bye", "dir_lookup") or len(digit) != 1:
        return Step(state, (), f"key {digit!r} ignored in phase {phase}")
    b.stop_prompt()  # barge-in
    b.invalidate_timer()
    if phase in ("prompt", "wait"):
        b.menu_key(digit)
    elif phase == "dir_keys":
        b.directory_key(digit)
    elif phase == "dir_pick":
        b.pick_key(digit)
    return b.done()


def slots_used(rules: IvrRules) -> set[str]:
    """Every time-slot name the menus refer to (checked against the rights file)."""
    return {
        b.slot_name for m in rules.menus.values() for b in m.branches if b.slot_name is not None
    }
