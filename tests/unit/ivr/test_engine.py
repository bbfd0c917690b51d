"""The pure IVR engine: (state, event) -> (state, actions), no I/O."""

from __future__ import annotations

import pytest

from apps.ivr import engine as e
from apps.ivr.names import find_users
from apps.ivr.rules import IvrRules
from autocom.config import ConfigError, parse_yaml, validate
from autocom.directory.text import keypad
from autocom.site.model import User

RULES = """
defaults: {timeout: "3", retries: "1", invalid: [pm-invalid-option], goodbye: [vm-goodbye]}
menus:
  main:
    prompt: [welcome]
    branches:
      - {slot: holiday, menu: closed}
      - {outside: office, voicemail: "2000@default"}
    options:
      "1": {menu: sales}
      "2": {extension: "2001"}
      "3": {queue: support}
      "4": {group: "3001"}
      "9": {directory: {min_letters: "3", max_matches: "2"}}
      "*": {hangup: yes}
    on_failure: {extension: "2000"}
  sales:
    prompt: [sales]
    retries: "0"
    options:
      "1": {extension: "2002"}
  closed:
    prompt: [closed]
    options: {}
"""


def rules(text: str = RULES) -> IvrRules:
    return validate(IvrRules, parse_yaml(text, "ivr.yaml"))


OPEN = frozenset({"office"})


def run(events: list[e.Event], slots: frozenset[str] = OPEN, menu: str = "main") -> list[e.Step]:
    r = rules()
    steps = [e.start(r, menu, slots)]
    for event in events:
        steps.append(e.step(r, steps[-1].state, event))
    return steps


def prompt_done(step: e.Step) -> e.PromptDone:
    assert step.state.playing is not None
    return e.PromptDone(step.state.playing)


def test_start_plays_the_prompt_with_trace() -> None:
    step = e.start(rules(), "main", OPEN)
    assert step.actions == (e.Play("ivr-1", ("sound:welcome",), "fr"),)
    assert step.state.phase == "prompt"
    assert step.trace == ("ivr.yaml:5 menu main",)


def test_prompt_done_starts_the_timer_and_key_routes() -> None:
    s0 = e.start(rules(), "main", OPEN)
    s1 = e.step(rules(), s0.state, prompt_done(s0))
    assert s1.actions == (e.StartTimer(1, 3),)
    s2 = e.step(rules(), s1.state, e.Digit("2"))
    assert s2.actions == (e.Route("extension", "2001"),)
    assert s2.state.phase == "done"
    assert s2.reason == "menu main: key 2"
    assert "ivr.yaml:11 key 2" in s2.trace


@pytest.mark.parametrize(
    ("digit", "route"),
    [
        ("3", e.Route("queue", "support")),
        ("4", e.Route("group", "3001")),
    ],
)
def test_option_kinds(digit: str, route: e.Route) -> None:
    s0 = e.start(rules(), "main", OPEN)
    assert e.step(rules(), s0.state, e.Digit(digit)).actions[-1] == route


def test_barge_in_stops_the_prompt_and_enters_submenu() -> None:
    s0 = e.start(rules(), "main", OPEN)
    s1 = e.step(rules(), s0.state, e.Digit("1"))
    assert s1.actions == (
        e.StopPlayback("ivr-1"),
        e.Play("ivr-2", ("sound:sales",), "fr"),
    )
    assert s1.state.menu == "sales" and s1.state.attempts == 0
    # the stopped prompt's PlaybackFinished is stale
    assert e.step(rules(), s1.state, e.PromptDone("ivr-1")).actions == ()
    s2 = e.step(rules(), s1.state, e.Digit("1"))
    assert s2.actions[-1] == e.Route("extension", "2002")
    assert s2.state.path == (("main", "1"), ("sales", "1"))  # the keys of each menu


def test_timeout_replays_then_on_failure() -> None:
    r = rules()
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, prompt_done(s))
    s = e.step(r, s.state, e.Timeout(s.state.token))
    assert s.actions == (e.Play("ivr-2", ("sound:welcome",), "fr"),)
    assert s.reason == "menu main: no key within 3 s, replay"
    s = e.step(r, s.state, prompt_done(s))
    s = e.step(r, s.state, e.Timeout(s.state.token))
    assert s.actions == (e.Route("extension", "2000"),)
    assert s.reason == "menu main: no key within 3 s, no retries left"


def test_stale_timer_ignored() -> None:
    r = rules()
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, prompt_done(s))
    old = s.state.token
    s = e.step(r, s.state, e.Digit("7"))  # invalid: replays, new token later
    assert e.step(r, s.state, e.Timeout(old)).actions == ()


def test_invalid_key_plays_invalid_then_prompt() -> None:
    s = run([e.Digit("7")])[-1]
    assert s.actions == (
        e.StopPlayback("ivr-1"),
        e.Play("ivr-2", ("sound:pm-invalid-option", "sound:welcome"), "fr"),
    )
    assert s.state.attempts == 1 and s.state.path == ()  # a wrong key takes no option


def test_no_on_failure_says_goodbye_then_hangs_up() -> None:
    r = rules()
    s = e.start(r, "sales", OPEN)
    s = e.step(r, s.state, e.Digit("5"))  # retries 0
    assert s.actions[-1] == e.Play("ivr-2", ("sound:vm-goodbye",), "fr")
    assert s.state.phase == "bye"
    assert e.step(r, s.state, e.Digit("1")).actions == ()  # keys ignored now
    s = e.step(r, s.state, prompt_done(s))
    assert s.actions == (e.Hangup(),)
    assert s.state.phase == "done"


def test_hangup_option() -> None:
    assert run([e.Digit("*")])[-1].state.phase == "bye"


@pytest.mark.parametrize(
    ("slots", "expect"),
    [
        (frozenset({"office"}), e.Play("ivr-1", ("sound:welcome",), "fr")),
        (frozenset(), e.Route("voicemail", "2000@default")),  # outside office hours
        (frozenset({"office", "holiday"}), e.Play("ivr-1", ("sound:closed",), "fr")),
    ],
)
def test_time_slot_branches(slots: frozenset[str], expect: e.IvrAction) -> None:
    step = e.start(rules(), "main", slots)
    assert step.actions == (expect,)


def test_branch_trace_names_the_line() -> None:
    step = e.start(rules(), "main", frozenset())
    assert step.reason == "menu main: outside slot office"
    assert "ivr.yaml:8 outside slot office" in step.trace


def test_unknown_menu_hangs_up() -> None:
    step = e.start(rules(), "nope", OPEN)
    assert step.actions == (e.Hangup(),)


def test_menu_loop_is_cut() -> None:
    r = rules(
        "menus:\n  a: {prompt: [x], branches: [{slot: s, menu: b}]}\n"
        "  b: {prompt: [y], branches: [{slot: s, menu: a}]}\n"
    )
    step = e.start(r, "a", frozenset({"s"}))
    assert step.state.phase == "bye"
    assert any("loop" in t for t in step.trace)


def test_dial_by_name_flow() -> None:
    r = rules()
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, e.Digit("9"))
    assert s.actions[-1] == e.Play("ivr-2", ("sound:dir-intro",), "fr")
    s = e.step(r, s.state, e.Digit("3"))
    assert s.actions == (e.StopPlayback("ivr-2"), e.StartTimer(s.state.token, 6))
    s = e.step(r, s.state, e.Digit("8"))
    s = e.step(r, s.state, e.Digit("7"))
    assert s.actions == (e.Lookup("387", 2),)
    s = e.step(r, s.state, e.Digit("5"))  # keys while looking up are ignored
    assert s.actions == ()
    found = (e.Match("Durand Luc", "2003"), e.Match("Dupont Anne", "2001"))
    s = e.step(r, s.state, e.Found(found))
    (play,) = s.actions
    assert isinstance(play, e.Play)
    assert play.media[:3] == ("sound:letters/d", "sound:letters/u", "sound:letters/r")
    assert "sound:digits/1" in play.media and "sound:digits/2" in play.media
    assert all(m.startswith("sound:") for m in play.media)  # all stoppable
    s = e.step(r, s.state, e.Digit("2"))
    assert s.actions[-1] == e.Route("extension", "2001")


def test_dial_by_name_no_match_then_failure() -> None:
    r = rules()
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, e.Digit("9"))
    for d in "999":
        s = e.step(r, s.state, e.Digit(d))
    s = e.step(r, s.state, e.Found(()))
    assert s.actions == (e.Play("ivr-3", ("sound:dir-nomatch", "sound:dir-intro"), "fr"),)
    for d in "999":
        s = e.step(r, s.state, e.Digit(d))
    s = e.step(r, s.state, e.Found(()))
    assert s.actions[-1] == e.Route("extension", "2000")  # on_failure


def test_dial_by_name_hash_and_star() -> None:
    r = rules()
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, e.Digit("9"))
    s = e.step(r, s.state, e.Digit("5"))
    s = e.step(r, s.state, e.Digit("#"))
    assert s.actions[-1] == e.Lookup("5", 2)
    s = e.start(r, "main", OPEN)
    s = e.step(r, s.state, e.Digit("9"))
    s = e.step(r, s.state, e.Digit("*"))
    assert s.state.directory is None and s.state.phase == "prompt"


def test_keypad_and_site_users() -> None:
    assert keypad("Lefèvre") == "5333873"
    users = [
        User(extension="2001", name="Dupont", first_name="Anne", context="x"),
        User(extension="2003", name="Durand", first_name="Luc", context="x"),
        User(extension="2004", name="Martin", first_name="Élodie", context="x"),
    ]
    assert [m.extension for m in find_users(users, "387", 5)] == ["2003", "2001"]
    assert [m.extension for m in find_users(users, "356", 5)] == ["2004"]  # first name
    assert find_users(users, "", 5) == ()
    assert len(find_users(users, "387", 1)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("menus: {m: {prompt: [x], options: {'1': {}}}}", "exactly one of"),
        ("menus: {m: {prompt: [x], options: {'1': {menu: a, extension: '1'}}}}", "exactly one"),
        ("menus: {m: {prompt: [x], options: {'12': {hangup: yes}}}}", "one keypad key"),
        ("menus: {m: {prompt: [x], options: {'1': {menu: zz}}}}", "not defined"),
        ("menus: {m: {prompt: ['../etc/passwd']}}", "sound"),
        ("menus: {m: {prompt: ['a,b']}}", "sound"),
        ("menus: {m: {prompt: [x], branches: [{menu: m}]}}", "slot: or outside:"),
        ("menus: {m: {prompt: [x], options: {'1': {extension: '20a'}}}}", "extension"),
    ],
)
def test_rule_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        rules(text)
    assert message in str(info.value)
    assert "ivr.yaml:1" in str(info.value)
