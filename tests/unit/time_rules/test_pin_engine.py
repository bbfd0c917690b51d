"""The PIN dialog's pure engine: events in, actions out (no AGI, no store)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apps.time_rules import engine as pin
from autocom.rights.decision import RightsDecision
from autocom.rights.lockout import LockDecision, LockoutPolicy, PinHistory
from autocom.rights.rules import PinSettings

UTC = ZoneInfo("UTC")
POLICY = LockoutPolicy(failures=3, window=3600, lock=600, where="rights.yaml:40")
NOW = 1_800_000_000.0


def verdict(v: str, cls: str = "students") -> RightsDecision:
    return RightsDecision(v, "international", cls, None, f"class {cls}: {v}", (), "")  # type: ignore[arg-type]


def dialog(policy: LockoutPolicy | None = POLICY, others: str = "allow") -> pin.PinDialog:
    return pin.PinDialog(
        settings=PinSettings(attempts=2),
        policy=policy,
        tz=UTC,
        caller="2001",
        base={"event": "rights-pin", "caller": "2001"},
        decision=verdict("pin"),
        decide_for=lambda owner: verdict(others, "boss"),
        valid_owner=lambda owner: owner.isdigit(),
    )


def run(d: pin.PinDialog, *events: pin.Event) -> list[pin.Action]:
    """Every action of the dialog fed ``events`` in turn."""
    state, actions = pin.start(d)
    out = list(actions)
    for event in events:
        state, actions = pin.step(d, state, event)
        out.extend(actions)
    return out


def kinds(actions: list[pin.Action]) -> list[str]:
    return [type(a).__name__ for a in actions]


def test_rules_that_no_longer_ask_for_a_pin_end_the_dialog_at_once() -> None:
    d = dialog()
    d = pin.PinDialog(**{**d.__dict__, "decision": verdict("allow")})
    _state, actions = pin.start(d)
    assert actions[-1] == pin.Finish("ok")
    assert isinstance(actions[0], pin.Audit) and actions[0].record["result"] == "ok"


def test_right_pin_reads_the_lock_checks_the_hash_and_resets_the_count() -> None:
    actions = run(
        dialog(), pin.Typed("1234", NOW), pin.LockRead(PinHistory()), pin.PinChecked(True)
    )
    assert actions[:3] == [pin.Ask(retry=False), pin.ReadLock("2001"), pin.CheckPin("2001", "1234")]
    assert actions[3] == pin.ResetCount("2001", NOW)
    assert actions[-1] == pin.Finish("ok")
    record = actions[4].record  # type: ignore[union-attr]
    assert record["result"] == "ok" and record["overrode"] == "students: class students: pin"


def test_a_lock_refuses_without_checking_the_pin() -> None:
    locked = PinHistory(locked_until=NOW + 60, locked_since=NOW - 10, locked_failures=3)
    actions = run(dialog(), pin.Typed("1234", NOW), pin.LockRead(locked))
    assert kinds(actions) == ["Ask", "ReadLock", "Audit", "Finish"]
    assert actions[-1] == pin.Finish("locked")
    assert not any(isinstance(a, pin.CheckPin) for a in actions)


def test_wrong_pins_are_counted_then_the_last_locks() -> None:
    after_one = LockDecision(False, False, None, 1, 2, "1 wrong", ())
    after_two = LockDecision(True, True, NOW + 600, 3, 0, "locked", ("t",))
    actions = run(
        dialog(),
        pin.Typed("1111", NOW),
        pin.LockRead(PinHistory()),
        pin.PinChecked(False),
        pin.FailureRecorded(after_one),
        pin.Typed("2222", NOW + 5),
        pin.LockRead(PinHistory(count=1)),
        pin.PinChecked(False),
        pin.FailureRecorded(after_two),
    )
    assert pin.RecordFailure("2001", NOW) in actions
    assert pin.Ask(retry=True) in actions
    assert actions[-1] == pin.Finish("locked")
    lock = [a.record for a in actions if isinstance(a, pin.Audit)][-1]
    assert lock["event"] == "rights-pin-lock" and lock["failures"] == 3
    assert any(isinstance(a, pin.Log) and a.level == "warning" for a in actions)


def test_a_store_that_does_not_answer_refuses_the_pin() -> None:
    actions = run(dialog(), pin.Typed("1234", NOW), pin.LockRead(None, "redis down"))
    assert actions[-1] == pin.Finish("unavailable")
    audit = next(a for a in actions if isinstance(a, pin.Audit))
    assert audit.record["why"] == "lockout state unavailable: redis down"


def test_nothing_typed_is_not_counted_and_the_last_attempt_fails() -> None:
    actions = run(dialog(), pin.Typed("", NOW), pin.Typed("", NOW))
    assert kinds(actions) == ["Ask", "Audit", "Ask", "Audit", "Finish"]
    assert actions[-1] == pin.Finish("fail")
    assert actions[1].record["why"] == "nothing typed"  # type: ignore[union-attr]


def test_another_owners_pin_takes_that_owners_rights() -> None:
    refused = run(
        dialog(others="deny"),
        pin.Typed("2005*4321", NOW),
        pin.LockRead(PinHistory()),
        pin.PinChecked(True),
    )
    assert pin.CheckPin("2005", "4321") in refused
    assert pin.RecordFailure("2005", NOW) in refused  # the owner's rights say no: a failure
    allowed = run(dialog(), pin.Typed("2005*4321", NOW), pin.LockRead(PinHistory()),
                  pin.PinChecked(True))  # fmt: skip
    record = [a.record for a in allowed if isinstance(a, pin.Audit)][-1]
    assert record["by"] == "2005" and record["by_class"] == "boss"
    assert allowed[-1] == pin.Finish("ok")


def test_an_owner_that_cannot_be_a_key_is_never_checked() -> None:
    actions = run(dialog(), pin.Typed("ab*1234", NOW), pin.Typed("1234", NOW))
    assert actions[1] == pin.Audit(
        {"event": "rights-pin", "caller": "2001", "by": "ab", "attempt": 1,
         "result": "fail", "why": "PIN owner is not an extension"}
    )  # fmt: skip
    assert actions[2] == pin.Ask(retry=True)
