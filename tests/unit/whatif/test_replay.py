"""The what-if comparison on the example university: real rule files (examples/ and an
edited copy), the features' own replay steps, hand-made past calls.

The grouped replay is checked against deciding every call on its own, at its own
time, with the same engines: the grouping must change nothing."""

from __future__ import annotations

import random
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apps import features
from apps.boss_secretary.replay import step as filter_step
from apps.forwards.engine import Forward
from apps.forwards.replay import steps as forward_steps
from apps.speed_dial.engine import PersonalEntry
from apps.speed_dial.replay import step as speed_dial_step
from autocom.loader import Config, load_config
from autocom.rights import TimeRules, decide
from autocom.whatif.replay import (
    OUTGOING,
    SPEED_DIAL,
    TO_USER,
    Outcome,
    PastCall,
    Replay,
    ReplayStep,
    Report,
    not_replayed,
    ordered_steps,
    simulate,
)
from autocom.whatif.time_classes import time_classes
from tests.support.call_month import edit

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
MONDAY_10 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC).timestamp()  # 10:00 in Paris
MONDAY_23 = datetime(2027, 1, 4, 22, 0, tzinfo=UTC).timestamp()
START, END = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)


def config_copy(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var", "thirdparty"))
    return folder


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Config]:
    """examples/ and a copy where staff may no longer call mobiles nor forward to them,
    and the scolarite filter rings the boss first."""
    tmp = tmp_path_factory.mktemp("whatif")
    new = config_copy(tmp, "new")
    rights = new / "rights.yaml"
    edit(rights, r"(  staff:\n(?:    .*\n)*?    mobile: )allow", r"\1deny")
    edit(rights, r"(      mobile: \{)office_hours: allow, ", r"\1")
    edit(new / "filters.yaml", r"mode: secretaries_first_serial", "mode: boss_first_serial")
    feats = tuple(features())
    return load_config(EXAMPLES / "autocom.yaml", feats), load_config(new / "autocom.yaml", feats)


STORED = {
    "2002": {"unconditional": Forward("00612345678")},
    "2004": {"busy": Forward("00612345678")},
}
DND = frozenset({"2004"})
ADDED = {"2001": ("0388999999",)}  # a VIP number a secretary added
SLOTS = {"2002": {"07": PersonalEntry("00612345678", "home")}}  # personal speed dials


def steps(current: Config, new: Config, speed_dials: bool = True) -> tuple[ReplayStep, ...]:
    replays = [
        Replay("forwards", forward_steps(STORED, DND), ()),
        Replay("boss_secretary", (filter_step({}, ADDED, (current, new)),), ()),
    ]
    if speed_dials:
        replays.append(Replay("speed_dial", (speed_dial_step(SLOTS),), ()))
    return ordered_steps(replays)


def run(
    configs: tuple[Config, Config], calls: Sequence[PastCall], speed_dials: bool = True
) -> Report:
    current, new = configs
    rights = [c.rules["time_rules"] for c in configs]
    times = time_classes(rights, START, END)
    return simulate(current, new, calls, steps(current, new, speed_dials), times)


def call(
    ref: int, start: float, caller: str, called: str, user: str = "", what: str = ""
) -> PastCall:
    return PastCall(ref, start, caller, called, user, what or ("user" if user else "outgoing"))


def dialed(ref: int, start: float, caller: str, code: str) -> PastCall:
    """A speed-dial code dialed, as the ticket stores read it."""
    return PastCall(ref, start, caller, code, "", f"speed_dial:{code}")


def test_the_changed_calls_and_why(configs: tuple[Config, Config]) -> None:
    calls = [
        call(1, MONDAY_10, "2002", "00612345678"),  # staff to a mobile: now refused
        call(2, MONDAY_10, "2002", "00140000000"),  # national: unchanged
        call(3, MONDAY_10, "5001", "00612345678"),  # lobby: refused before and after
        call(4, MONDAY_10, "2003", "2002", "2002"),  # 2002 forwards to a mobile: not any more
        call(5, MONDAY_10, "0388112233", "2001", "2001"),  # filtered: the boss first now
        call(6, MONDAY_23, "0388112233", "2001", "2001"),  # at night: not filtered at all
        call(7, MONDAY_10, "2003", "2004", "2004"),  # do-not-disturb, then its busy forward
        call(8, MONDAY_10, "0388999999", "2001", "2001"),  # an added VIP: direct either way
    ]
    report = run(configs, calls)
    changes = {c.call.ref: c for c in report.changes}
    assert sorted(changes) == [1, 4, 5, 7]
    assert changes[1].kind == "allowed -> refused" and changes[1].caller_class == "staff"
    assert (changes[1].current.text, changes[1].new.text) == ("rights: allow", "rights: deny")
    assert changes[4].kind == "a different forward"
    assert changes[4].current.text == "forward: follow external:00612345678"
    assert changes[4].new.text == "forward: ring"
    assert "may not forward to mobile" in changes[4].new.reason
    assert changes[7].current.text == (
        "forward: do-not-disturb (busy); forward: follow external:00612345678"
    )
    assert changes[7].new.text == "forward: do-not-disturb (busy); forward: ring"
    assert changes[5].kind == "a different secretary"
    assert changes[5].current.text.startswith("secretary: filter scolarite: secretary 2002")
    assert changes[5].new.text.startswith("secretary: filter scolarite: boss 2001")
    assert report.replayed == {OUTGOING: 3, TO_USER: 5}
    assert report.count("kind") == {
        "allowed -> refused": 1,
        "a different forward": 2,
        "a different secretary": 1,
    }


def test_calls_that_are_not_replayed_are_counted_with_the_reason(
    configs: tuple[Config, Config],
) -> None:
    calls = [
        dialed(1, MONDAY_10, "2002", "8002"),  # no speed dial step: neither runs it
        call(2, MONDAY_10, "0388112233", "main", what="none"),
        call(3, MONDAY_10, "2002", "*2100612345678"),
    ]
    report = run(configs, calls, speed_dials=False)
    assert report.calls == 3 and not report.replayed and not report.changes
    assert sorted(report.skipped) == sorted(not_replayed(c) for c in calls)
    assert all(report.skipped.values())


def test_speed_dials_are_resolved_again_then_go_through_the_rights(
    configs: tuple[Config, Config],
) -> None:
    """staff may no longer call mobiles: 2002's personal slot 07 (a mobile) and the
    collective 8100 (a mobile, but bypass_rights) under both rule sets."""
    calls = [
        dialed(1, MONDAY_10, "2002", "**07"),  # slot 07 of 2002: a mobile
        dialed(2, MONDAY_10, "2002", "8100"),  # bypass_rights: dialed either way
        dialed(3, MONDAY_10, "2002", "8001"),  # the campus: allowed either way
        dialed(4, MONDAY_10, "2003", "**07"),  # 2003's slot 07 is empty
        dialed(5, MONDAY_10, "2002", "8999"),  # in the range, given to no one
        dialed(6, MONDAY_10, "2002", "**07"),  # as call 1: decided once
    ]
    report = run(configs, calls)
    assert report.replayed == {SPEED_DIAL: 6} and not report.skipped
    changes = {c.call.ref: c for c in report.changes}
    assert sorted(changes) == [1, 6]
    assert changes[1].kind == "a different speed dial"
    assert changes[1].current.text == "speed dial: trunk:0612345678:trunk-orange&trunk-sfr"
    assert changes[1].new.text == "speed dial: refused"
    assert "denied for 2002" in changes[1].new.reason
    assert report.decisions == 2 * 5  # calls 1 and 6 are one group


def final(outcome: Outcome) -> str:
    """Where the call goes: the step that took it (or it rings the user)."""
    return next((f"{n}: {p.outcome}" for n, p in outcome.parts if p.takes), "ring")


def naive(
    configs: tuple[Config, Config], calls: Sequence[PastCall]
) -> dict[object, tuple[str, str]]:
    """Every call decided on its own, at its own time, every step asked (no key, no
    grouping): (current, new) where they differ."""
    out = {}
    current, new = configs
    ordered = steps(current, new)
    for c in calls:
        when = datetime.fromtimestamp(c.start, UTC)
        texts = []
        for config in configs:
            if c.called_user:
                parts = []
                for s in ordered:
                    if s.phase == "dialed":  # a speed-dial code's, not a call to a user's
                        continue
                    # the unanswered hook runs when the devices did not answer, or were
                    # not rung: do-not-disturb answers busy
                    if s.phase == "unanswered" and not (c.unanswered or c.called_user in DND):
                        continue
                    parts.append((s.name, part := s.decide(config, c, when)))
                    if part.takes:
                        break
                texts.append(final(Outcome.of(*parts)))
            elif c.speed_dial:
                (sd,) = (s for s in ordered if s.phase == "dialed")
                texts.append(final(Outcome.of((sd.name, sd.decide(config, c, when)))))
            elif not not_replayed(c):
                rules = config.rules["time_rules"]
                assert isinstance(rules, TimeRules)
                verdict = decide(rules, config.site, c.caller, c.called, when).verdict
                texts.append(f"rights: {verdict}")
            else:
                texts.append("")
        if texts[0] != texts[1]:
            out[c.ref] = (texts[0], texts[1])
    return out


def test_grouping_changes_nothing(configs: tuple[Config, Config]) -> None:
    """2000 random calls over January (nights, weekends, New Year's Day, the closure
    days): the grouped replay lists exactly the calls deciding each alone lists."""
    rnd = random.Random(5)
    users = ["2001", "2002", "2003", "2004", "2101", "2104", "2801", "5001", "2010"]
    numbers = ["00612345678", "00140000000", "0000441234567", "00389331234", "0112", "00899123456"]
    calls = []
    for ref in range(2000):
        start = START.timestamp() + rnd.randrange(31 * 86400)
        caller = rnd.choice([*users, "0388112233", "0612345678", "0388999999"])
        if rnd.random() < 0.1:
            calls.append(dialed(ref, start, caller, rnd.choice(["**07", "8100", "8001", "8010"])))
        elif rnd.random() < 0.5:
            calls.append(call(ref, start, caller, rnd.choice(numbers)))
        else:
            user = rnd.choice(users)
            what = rnd.choice(["user", "user:busy", "user:noanswer"])
            calls.append(call(ref, start, caller, user, user, what))
    report = run(configs, calls)
    grouped = {c.call.ref: (final(c.current), final(c.new)) for c in report.changes}
    assert grouped == naive(configs, calls)
    assert len(grouped) > 100  # the edits change many of them
    assert report.decisions < len(calls)  # and grouping saved work


def test_a_feature_the_new_rules_stop_running(
    configs: tuple[Config, Config], tmp_path: Path
) -> None:
    """Without forwards in the new autocom.yaml, 2002's forward is no longer followed."""
    folder = config_copy(tmp_path, "no-forwards")
    edit(folder / "autocom.yaml", r"\n  forwards: forwards.yaml", "")
    current = configs[0]
    new = load_config(folder / "autocom.yaml", tuple(features()))
    assert "forwards" not in new.feature_names
    calls = [call(1, MONDAY_10, "2003", "2002", "2002"), call(2, MONDAY_10, "2002", "2003", "2003")]
    report = run((current, new), calls)
    (change,) = report.changes
    assert (change.call.ref, change.kind) == (1, "a different forward")
    assert change.new.text == "forward: ring" and change.new.reason == "forwards does not run"
