"""A reload of rights.yaml keeps the classes an edit did not touch, and compiles
exactly what a load of the whole file compiles: same rules, same errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from autocom.config import ConfigError, ConfigIssue, load_yaml, parse_yaml, validate
from autocom.rights.compile import compile_rules, load_rules
from autocom.rights.decision import Purpose, decide
from autocom.rights.rules import RightsFile, TimeRules
from tests.unit.rights.helpers import paris, site
from tests.unit.rights.rules_text import RULES

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FIELDS = ("model", "classes", "class_lines", "by_extension", "ranges", "groups")
FIELDS += ("departments", "contexts", "default", "pins", "lockout", "line_prefix", "file", "tz")
FIELDS += ("assign_line",)


def whole(path: Path) -> TimeRules:
    """The reference: the whole file parsed, validated and compiled at once."""
    doc = load_yaml(path)
    return compile_rules(validate(RightsFile, doc), doc, site())


def assert_as_whole(rules: TimeRules, path: Path) -> None:
    reference = whole(path)
    for name in FIELDS:
        assert getattr(rules, name) == getattr(reference, name), name
    assert set(rules.slots) == set(reference.slots)
    assert rules.categories.names == reference.categories.names
    for caller in ("2001", "2002", "2101", "2155", "4001"):
        for number in ("00612345678", "0044123456789", "0112", "2002"):
            when = paris(2026, 11, 24, 21, 30)
            assert decide(rules, site(), caller, number, when) == decide(
                reference, site(), caller, number, when
            )


def errors_as_whole(path: Path, previous: TimeRules) -> tuple[ConfigIssue, ...]:
    """The errors of a reload of ``path`` after ``previous``: the whole file's."""
    with pytest.raises(ConfigError) as exc:
        whole(path)
    with pytest.raises(ConfigError) as err:
        load_rules(path, site(), previous)
    assert err.value.issues == exc.value.issues
    return err.value.issues


@pytest.fixture
def rights(tmp_path: Path) -> Path:
    path = tmp_path / "rights.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_an_edit_keeps_the_other_classes(rights: Path) -> None:
    first = load_rules(rights, site())
    assert first.parts is not None and len(first.parts) == len(first.classes) == 4
    assert_as_whole(first, rights)
    rights.write_text(
        RULES.replace("mobile: allow\n    default: deny", "mobile: pin\n    default: deny")
    )
    second = load_rules(rights, site(), first)
    assert_as_whole(second, rights)
    kept = [name for name in second.classes if second.classes[name] is first.classes[name]]
    assert kept == ["staff", "night_guard", "lobby"]  # boss was edited
    assert second.classes["boss"].calls["mobile"][0].verdict == "pin"
    # a kept class's part is the last load's object too: a reload through the loader
    # process sends it as a reference, not its text again (autocom/transfer.py)
    assert first.parts is not None and second.parts is not None
    old_parts = {id(p) for p in first.parts.values()}
    kept_parts = [p.name for p in second.parts.values() if id(p) in old_parts]
    assert kept_parts == ["staff", "night_guard", "lobby"]  # the parts too
    # the assignments (assign: did not move): the very objects of the last load
    assert second.by_extension and second.by_extension == first.by_extension
    assert all(a is first.by_extension[ext] for ext, a in second.by_extension.items())
    assert second.ranges and all(
        new is old for (_, new), (_, old) in zip(second.ranges, first.ranges, strict=True)
    )
    # the tables whose items are all the last load's: the very tables (nothing to send)
    assert second.by_extension is first.by_extension
    assert second.class_lines is first.class_lines  # no class moved
    assert second.classes is not first.classes  # one class changed: a table of its own


def test_a_table_with_an_item_changed_is_a_new_table(rights: Path) -> None:
    first = load_rules(rights, site())
    rights.write_text(RULES.replace("  boss:\n", "  boss:\n    description: added\n"))
    second = load_rules(rights, site(), first)
    assert second.class_lines is not first.class_lines  # the classes below boss moved
    assert second.class_lines == whole(rights).class_lines
    assert second.by_extension is first.by_extension  # assign: moved, its lines are offsets
    rights.write_text(RULES.replace('"2001": boss', '"2001": staff'))
    third = load_rules(rights, site(), second)
    assert third.by_extension is not second.by_extension
    assert third.by_extension["2001"].class_name == "staff"
    assert_as_whole(third, rights)


def test_a_line_added_moves_the_classes_below(rights: Path) -> None:
    first = load_rules(rights, site())
    rights.write_text(RULES.replace("  boss:\n", "  boss:\n    description: added\n"))
    second = load_rules(rights, site(), first)
    assert_as_whole(second, rights)
    kept = [name for name in second.classes if second.classes[name] is first.classes[name]]
    assert kept == ["staff", "night_guard", "lobby"]  # boss was edited
    assert second.class_lines["staff"] == first.class_lines["staff"]  # above the new line
    for name in ("night_guard", "lobby"):  # below it: moved, the very same class
        assert second.class_lines[name] == first.class_lines[name] + 1
        assert second.where_of(name) == f"{rights}:{second.class_lines[name]}"
        assert_same_class(second, first, name)
    rights.write_text(RULES)  # and back up
    third = load_rules(rights, site(), second)
    assert_as_whole(third, rights)
    assert third.where_of("lobby") == first.where_of("lobby")


def assert_same_class(new: TimeRules, old: TimeRules, name: str) -> None:
    """Class ``name`` of ``new`` is ``old``'s, its model and its part too: a move
    made no object for it (its line is in ``class_lines``)."""
    assert new.classes[name] is old.classes[name]
    assert new.model.classes[name] is old.model.classes[name]
    assert new.parts is not None and old.parts is not None
    assert new.parts[name] is old.parts[name]


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``needle``, written once in ``text``."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


MOVED = "# the call rights of the site\n" + RULES  # every class one line further down
TUE_23 = paris(2026, 11, 24, 23, 0)
SAT_10 = paris(2026, 11, 28, 10, 0)
MON_10 = paris(2026, 11, 23, 10, 0)


def test_a_moved_class_is_the_same_class(rights: Path) -> None:
    first = load_rules(rights, site())
    rights.write_text(MOVED)
    second = load_rules(rights, site(), first)
    assert_as_whole(second, rights)
    for name in first.classes:
        assert second.class_lines[name] == first.class_lines[name] + 1
        assert_same_class(second, first, name)
    # the assignments too: their lines are offsets from the assign: key's
    assert first.assign_line is not None and second.assign_line == first.assign_line + 1
    assert assignments(first) and assignments(second) == assignments(first)
    rights.write_text(MOVED.replace("# the call", "# the\n# call"))  # and once more
    third = load_rules(rights, site(), second)
    assert_as_whole(third, rights)
    assert all(third.class_lines[n] == first.class_lines[n] + 2 for n in first.classes)
    assert all(third.classes[n] is first.classes[n] for n in first.classes)


def assignments(rules: TimeRules) -> list[int]:
    """Every assignment of ``rules``, by identity."""
    every = [
        *rules.by_extension.values(),
        *(a for _, a in rules.ranges),
        *rules.groups.values(),
        *rules.departments.values(),
        *rules.contexts.values(),
        rules.default,
    ]
    return [id(a) for a in every]


def test_the_traces_name_the_moved_lines(rights: Path) -> None:
    """What explain, simulate, what-if and the audit log show: the lines of the file
    as it is now, the very texts a load of the whole file gives."""
    intl, mobile = "00044123456789", "00612345678"

    def at(text: str, needle: str) -> str:
        return f"{rights}:{line_of(text, needle)}"

    def staff_international(text: str) -> tuple[str, ...]:
        rule = at(text, "    international: {working")
        return (
            f"{at(text, '  contexts: {staff')} context staff -> class staff",
            f"{rule} staff.international.working: allow (slot working not active)",
            f"{at(text, '  night: {hours')} slot night active",
            f"{rule} staff.international.night: deny",
        )

    first = load_rules(rights, site())
    assert decide(first, site(), "2002", intl, TUE_23).trace[1:] == staff_international(RULES)
    rights.write_text(MOVED)
    moved = load_rules(rights, site(), first)
    assert moved.classes["staff"] is first.classes["staff"]
    assert decide(moved, site(), "2002", intl, TUE_23).trace[1:] == staff_international(MOVED)
    rule = at(MOVED, "      mobile: {office_hours")
    assert decide(moved, site(), "2002", mobile, SAT_10, "forward").trace[2:] == (
        f"{rule} staff.forward.mobile.office_hours: allow (slot office_hours not active)",
        f"{rule} staff.forward.mobile: deny",
    )
    denied = decide(moved, site(), "2150", mobile, MON_10)  # no slot active, no default
    assert denied.verdict == "deny"
    assert (
        denied.trace[-1] == f"{at(MOVED, '  night_guard:')} class night_guard: no default: denied"
    )
    reference = whole(rights)
    cases: list[tuple[str, str, datetime, Purpose]] = [
        ("2002", intl, TUE_23, "call"),
        ("2002", mobile, SAT_10, "forward"),
        ("2150", mobile, MON_10, "call"),
        ("2001", intl, MON_10, "call"),
    ]
    for caller, number, when, purpose in cases:
        got = decide(moved, site(), caller, number, when, purpose)
        assert got == decide(reference, site(), caller, number, when, purpose)


def test_errors_after_a_move_name_the_lines_of_the_file_as_it_is(rights: Path) -> None:
    """A class moved and kept, then an edit that adds a line above it and a bad one
    below it: the whole file's errors, at their lines now."""
    first = load_rules(rights, site())
    rights.write_text(MOVED)
    moved = load_rules(rights, site(), first)
    assert_same_class(moved, first, "night_guard")
    bad = MOVED.replace("  boss:\n", "  boss:\n    description: VIP\n").replace(
        "    emergency: deny\n", "    emergency: deny\n    national: allw\n"
    )
    rights.write_text(bad)
    issues = errors_as_whole(rights, moved)
    assert [issue.line for issue in issues] == [line_of(bad, "    national: allw")]
    rights.write_text(bad.replace("national: allw", "national: allow"))
    fixed = load_rules(rights, site(), moved)
    assert_as_whole(fixed, rights)
    assert_same_class(fixed, moved, "night_guard")
    assert fixed.class_lines["night_guard"] == moved.class_lines["night_guard"] + 1


def test_a_document_without_lines_names_the_file_alone() -> None:
    """A class or rule line at no known line is named by the file alone (as
    ``Issues.where`` names it)."""
    from autocom.config.yaml_source import Document

    bare = Document("rights.yaml", parse_yaml(RULES, "rights.yaml").data, {})
    rules = compile_rules(validate(RightsFile, bare), bare, site())
    staff = rules.classes["staff"]
    assert "staff" not in rules.class_lines and rules.where_of("staff") == "rights.yaml"
    assert all(line.offset is None for line in staff.calls["international"])
    assert decide(rules, site(), "2002", "00044123456789", TUE_23).trace[1:] == (
        "rights.yaml context staff -> class staff",
        "rights.yaml staff.international.working: allow (slot working not active)",
        "rights.yaml slot night active",
        "rights.yaml staff.international.night: deny",
    )


RENAMED = RULES.replace("  night: {hours", "  nuit: {hours").replace("{night:", "{nuit:")


@pytest.mark.parametrize(
    "text",
    [
        RENAMED.replace("night: deny", "nuit: deny"),  # a slot renamed: all compiled again
        RULES.replace(
            "holidays: {country: FR}", "holidays: {country: FR}\ncategories: {campus: [_03XX]}"
        ),
        RULES.replace('  extensions: {"2001": boss}', '  extensions: {"2001": staff}'),
        RULES.replace("  lobby:\n", "  # the lobby\n  lobby:\n"),
        RULES.replace("classes:\n", "classes: # the classes\n"),
    ],
)
def test_edits_elsewhere(rights: Path, text: str) -> None:
    first = load_rules(rights, site())
    assert text != RULES
    rights.write_text(text)
    second = load_rules(rights, site(), first)
    assert second.parts is not None  # read class by class
    assert_as_whole(second, rights)


@pytest.mark.parametrize(
    ("where", "bad"),
    [
        ("  lobby:\n", "    mobile: allw\n"),  # a verdict misspelt
        ("  lobby:\n", "    mobile: {noon: allow}\n"),  # no such slot
        ("  lobby:\n", "    mobile: allow\n    mobile: deny\n"),  # a key given twice
        ("  lobby:\n", "    national: 'open\n"),  # a quote left open
        ("  lobby:\n", "    nope: allow\n"),  # not a category
        ("assign:\n", "  staff:\n    internal: allow\n"),  # a class given twice
        ("  night: {hours", "  nuit: {hours"),  # a slot renamed, still used
    ],
)
def test_a_bad_edit_gives_the_whole_files_errors(rights: Path, where: str, bad: str) -> None:
    first = load_rules(rights, site())
    assert where in RULES
    text = (
        RULES.replace(where, bad)
        if where.startswith("  night")
        else RULES.replace(where, where + bad)
    )
    if where == "assign:\n":
        text = RULES.replace(where, bad + where)
    rights.write_text(text)
    assert all(issue.line for issue in errors_as_whole(rights, first))


def test_rules_of_another_file_are_not_kept(rights: Path, tmp_path: Path) -> None:
    first = load_rules(rights, site())
    other = tmp_path / "other.yaml"
    other.write_text(RULES, encoding="utf-8")
    second = load_rules(other, site(), first)
    assert all(second.classes[n] is not first.classes[n] for n in first.classes)
    assert second.where_of("staff").startswith(str(other))


async def test_holder_reload_after_an_edit_keeps_the_other_classes(tmp_path: Path) -> None:
    """The path `autocom serve` runs (ConfigHolder.refresh on a change or SIGHUP)."""
    from apps.time_rules import TimeRulesFeature
    from autocom.loader import load_config
    from autocom.reload import ConfigHolder

    for name in ("site.yaml", "rights.yaml"):
        (tmp_path / name).write_text((EXAMPLES / name).read_text(encoding="utf-8"))
    path = tmp_path / "autocom.yaml"
    path.write_text("site: site.yaml\nrules:\n  time_rules: rights.yaml\n")
    features = [TimeRulesFeature()]
    holder = ConfigHolder(load_config(path, features), features)
    before: TimeRules = holder.current.rules["time_rules"]
    rights = tmp_path / "rights.yaml"
    text = rights.read_text()
    edited = text.replace("default: deny", "default: pin", 1)
    assert edited != text
    rights.write_text(edited)
    assert await holder.refresh() is True
    after: TimeRules = holder.current.rules["time_rules"]
    changed = [name for name in after.classes if after.classes[name] is not before.classes[name]]
    assert len(changed) == 1
    reference = load_config(path, features).rules["time_rules"]
    assert after.classes == reference.classes and after.model == reference.model
    rights.write_text(edited.replace("default: pin", "default: allw", 1))
    assert await holder.refresh() is False  # a bad edit: the last good rules keep serving
    assert holder.current.rules["time_rules"] is after
    assert holder.last_error is not None and holder.last_error.issues[0].line
    await holder.close()
