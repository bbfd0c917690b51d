"""A reload of rights.yaml keeps the classes an edit did not touch, and compiles
exactly what a load of the whole file compiles: same rules, same errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocom.config import ConfigError, load_yaml, validate
from autocom.rights.compile import compile_rules, load_rules
from autocom.rights.decision import decide
from autocom.rights.rules import RightsFile, TimeRules
from tests.unit.rights.helpers import paris, site
from tests.unit.rights.rules_text import RULES

FIELDS = ("model", "classes", "by_extension", "ranges", "groups", "departments", "contexts")
FIELDS += ("default", "pins", "lockout", "line_prefix", "file", "tz")


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


def test_a_line_added_moves_the_classes_below(rights: Path) -> None:
    first = load_rules(rights, site())
    rights.write_text(RULES.replace("  boss:\n", "  boss:\n    description: added\n"))
    second = load_rules(rights, site(), first)
    assert_as_whole(second, rights)
    kept = [name for name in second.classes if second.classes[name] is first.classes[name]]
    assert kept == ["staff"]  # above the new line
    for name in ("night_guard", "lobby"):  # below it: moved, not read again
        old, new = first.classes[name], second.classes[name]
        assert int(new.where.rsplit(":")[1]) == int(old.where.rsplit(":")[1]) + 1
        moved = [
            (a, b)
            for rules in old.calls
            for a, b in zip(old.calls[rules], new.calls[rules], strict=True)
        ]
        assert moved and all(a.text is b.text and a.where != b.where for a, b in moved)
    rights.write_text(RULES)  # and back up
    third = load_rules(rights, site(), second)
    assert_as_whole(third, rights)
    assert third.classes["lobby"].where == first.classes["lobby"].where


def test_moved_refuses_a_line_of_another_file(rights: Path) -> None:
    from autocom.rights.incremental import moved

    parts = load_rules(rights, site()).parts
    assert parts is not None
    part = next(iter(parts.values()))
    assert moved(part, 3, str(rights)) is not None
    assert moved(part, 3, "other.yaml") is None


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
    with pytest.raises(ConfigError) as exc:
        whole(rights)
    with pytest.raises(ConfigError) as err:
        load_rules(rights, site(), first)
    assert err.value.issues == exc.value.issues
    assert all(issue.line for issue in err.value.issues)


def test_rules_of_another_file_are_not_kept(rights: Path, tmp_path: Path) -> None:
    first = load_rules(rights, site())
    other = tmp_path / "other.yaml"
    other.write_text(RULES, encoding="utf-8")
    second = load_rules(other, site(), first)
    assert all(second.classes[n] is not first.classes[n] for n in first.classes)
    assert second.classes["staff"].where.startswith(str(other))


def test_holder_reload_after_an_edit_keeps_the_other_classes(tmp_path: Path) -> None:
    """The path `autocom serve` runs (ConfigHolder.reload on a change or SIGHUP)."""
    from apps.time_rules import TimeRulesFeature
    from autocom.loader import load_config
    from autocom.reload import ConfigHolder

    examples = Path(__file__).resolve().parents[3] / "examples"
    for name in ("site.yaml", "rights.yaml"):
        (tmp_path / name).write_text((examples / name).read_text(encoding="utf-8"))
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
    assert holder.reload() is True
    after: TimeRules = holder.current.rules["time_rules"]
    changed = [name for name in after.classes if after.classes[name] is not before.classes[name]]
    assert len(changed) == 1
    reference = load_config(path, features).rules["time_rules"]
    assert after.classes == reference.classes and after.model == reference.model
    rights.write_text(edited.replace("default: pin", "default: allw", 1))
    assert holder.reload() is False  # a bad edit: the last good rules keep serving
    assert holder.current.rules["time_rules"] is after
    assert holder.last_error is not None and holder.last_error.issues[0].line
