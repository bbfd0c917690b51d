"""Feature codes of different features checked against each other by the loader:
real rule files (the examples, edited copies in tmp_path), real features."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from apps import features
from apps.boss_secretary.checks import TOGGLE_DIALPLAN, TOGGLE_PATTERN
from apps.forwards.rules import ForwardsRules
from apps.speed_dial.rules import SpeedDialRules
from autocom.config import ConfigError, ConfigIssue
from autocom.feature import CodeClaim, code_collisions
from autocom.loader import Config, load_config
from autocom.site.patterns import overlap_example, pattern_matches, patterns_overlap

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"

SPEEDDIAL_PREFIX_2 = """\
collective:
  prefix: "*2"
  entries:
    - code: "*29"
      number: "2900"
personal:
  store: "*55"
  delete: "*56"
  hear: "*57"
  dial: "**"
"""


def examples_copy(tmp: Path) -> Path:
    for f in EXAMPLES.iterdir():
        if f.is_file():
            shutil.copy(f, tmp / f.name)
    main = tmp / "autocom.yaml"  # without the departments' speed dials (a part of the range)
    main.write_text(main.read_text().replace("departments: departments.yaml", ""))
    return main


def line_of(file: Path, text: str) -> int:
    """The line number of the first line holding ``text``."""
    for n, line in enumerate(file.read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {file}")


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))


def refused(path: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as exc:
        load_config(path, features())
    return list(exc.value.issues)


def test_examples_pass() -> None:
    config = load_config(EXAMPLES / "autocom.yaml", features())
    claims = {f.name: f.codes(config) for f in features()}
    assert claims["forwards"] and claims["speed_dial"] and claims["boss_secretary"]
    assert code_collisions(claims) == []


def test_examples_claims_name_their_lines() -> None:
    config = load_config(EXAMPLES / "autocom.yaml", features())
    by_feature = {f.name: list(f.codes(config)) for f in features()}
    fwd = EXAMPLES / "forwards.yaml"
    unc = [c for c in by_feature["forwards"] if c.code in ("*21", "_*21.")]
    assert {c.where() for c in unc} == {f"{fwd}:{line_of(fwd, 'unconditional:')}"}
    sd = EXAMPLES / "speeddial.yaml"
    hear = [c for c in by_feature["speed_dial"] if c.code == "_*57XX"]
    assert [c.where() for c in hear] == [f"{sd}:{line_of(sd, 'hear:')}"]
    rng = [c for c in by_feature["speed_dial"] if c.code == "_8XXX"]
    assert [c.where() for c in rng] == [f"{sd}:{line_of(sd, 'range:')}"]


def test_speed_dial_prefix_shadowing_forward_codes(tmp_path: Path) -> None:
    path = examples_copy(tmp_path)
    sd = tmp_path / "speeddial.yaml"
    sd.write_text(SPEEDDIAL_PREFIX_2)
    issues = refused(path)
    fwd = tmp_path / "forwards.yaml"
    here = f"{sd}:{line_of(sd, 'prefix:')}"
    codes = {"unconditional": "*21", "no_answer": "*22", "busy": "*23", "cancel_all": "*20"}
    for name, code in codes.items():
        there = f"{fwd}:{line_of(fwd, f'{name}:')}"
        hits = [i for i in issues if there in i.message]
        assert len(hits) == 1, (name, issues)  # one issue per pair of lines
        issue = hits[0]
        assert (issue.file, issue.line) == (str(sd), line_of(sd, "prefix:"))
        assert f"forward code {name} '{code}'" in issue.message
        assert here in issue.hint and there in issue.hint
    assert "both match *21" in " ".join(i.message for i in issues)
    assert len(issues) == 4  # nothing else: the speed-dial file itself is valid


def test_default_forward_codes_are_claimed_too(tmp_path: Path) -> None:
    """forwards named without a rule file runs with the default codes, and claims them."""
    path = examples_copy(tmp_path)
    edit(path, "  forwards: forwards.yaml\n", "  forwards:\n")
    (tmp_path / "speeddial.yaml").write_text(SPEEDDIAL_PREFIX_2)
    issues = refused(path)
    assert len(issues) == 4
    assert all(
        "forwards (no rule file under rules:, the default codes)" in i.message for i in issues
    )


def test_a_feature_left_out_claims_no_code(tmp_path: Path) -> None:
    """forwards not named under rules: does not run: its codes collide with nothing."""
    path = examples_copy(tmp_path)
    edit(path, "  forwards: forwards.yaml\n", "")
    (tmp_path / "speeddial.yaml").write_text(SPEEDDIAL_PREFIX_2)
    config = load_config(path, features())
    assert "forwards" not in config.rules
    assert "forwards" not in config.feature_names


def test_personal_code_against_boss_toggle(tmp_path: Path) -> None:
    path = examples_copy(tmp_path)
    sd = tmp_path / "speeddial.yaml"
    edit(sd, 'hear: "*57"', 'hear: "*37"')
    issues = refused(path)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.line) == (str(sd), line_of(sd, "hear:"))
    assert TOGGLE_PATTERN in issue.message and TOGGLE_DIALPLAN in issue.message
    assert "both match *3700" in issue.message


def test_forward_code_against_personal_code(tmp_path: Path) -> None:
    path = examples_copy(tmp_path)
    fwd = tmp_path / "forwards.yaml"
    edit(fwd, 'busy: "*23"', 'busy: "*55"')
    issues = refused(path)
    sd = tmp_path / "speeddial.yaml"
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.line) == (str(sd), line_of(sd, "store:"))
    assert f"{fwd}:{line_of(fwd, 'busy:')}" in issue.message


def test_a_code_that_only_starts_another_is_accepted(tmp_path: Path) -> None:
    """'*5' alone and '*55<slot><number>' never match the same dialed number: a phone
    sends the whole number, Asterisk matches it whole."""
    path = examples_copy(tmp_path)
    edit(tmp_path / "forwards.yaml", 'cancel_all: "*20"', 'cancel_all: "*5"')
    config = load_config(path, features())
    assert isinstance(config, Config)


def test_the_toggle_claim_is_in_its_dialplan_file() -> None:
    text = (ROOT / TOGGLE_DIALPLAN).read_text()
    section = text.split("[autocom-boss_secretary-codes]", 1)[1].split("\n[", 1)[0]
    assert f"exten => {TOGGLE_PATTERN},1," in section


def test_claims_are_what_is_rendered() -> None:
    config = load_config(EXAMPLES / "autocom.yaml", features())
    for name in ("forwards", "speed_dial"):
        rules = config.rules[name]
        assert isinstance(rules, ForwardsRules | SpeedDialRules)
        feature = next(f for f in features() if f.name == name)
        rendered = {
            line.split(",", 1)[0].removeprefix("exten => ")
            for line in rules.site_dialplan().splitlines()
            if line.startswith("exten => ") and ",1," in line
        }
        assert {c.code for c in feature.codes(config)} == rendered


def test_same_feature_overlaps_left_to_the_feature() -> None:
    a = CodeClaim("_*2X", "prefix", "a.yaml", 1)
    b = CodeClaim("*21", "code", "a.yaml", 2)
    assert code_collisions({"one": [a, b]}) == []
    issues = code_collisions({"one": [a], "two": [b]})
    assert [(i.file, i.line) for i in issues] == [("a.yaml", 2)]
    assert "a.yaml:1" in issues[0].message and "both match *21" in issues[0].message


def test_no_overlap_no_issue() -> None:
    claims = {
        "one": [CodeClaim("_*21.", "x", "a", 1), CodeClaim("*20", "y", "a", 2)],
        "two": [CodeClaim("_*2[2-9]X", "z", "b", 3), CodeClaim("*210", "w", "b", None)],
    }
    issues = code_collisions(claims)
    assert len(issues) == 1  # only *210 and _*21.
    assert issues[0].file == "b" and issues[0].line is None
    assert "both match *210" in issues[0].message


@pytest.mark.parametrize(
    ("a", "b", "example"),
    [
        ("_*2X", "*21", "*21"),
        ("_*37X.", "_*37XX", "*3700"),
        ("_*2X.", "_*21.", "*210"),
        ("_X!", "_*.", None),  # '*' is not a digit: no overlap
        ("_8XXX", "_8[0-4]X!", "8000"),
    ],
)
def test_overlap_example(a: str, b: str, example: str | None) -> None:
    assert overlap_example(a, b) == example


CODES = [
    "*21", "*210", "*2", "_*2X", "_*2X.", "_*21.", "_*21!", "_*2[2-9]X", "_X!", "_*.",
    "_8XXX", "_8[0-4]X!", "_8XX.", "_*37X.", "_*37XX", "_*!", "_N.", "_Z!", "2001",
]  # fmt: skip


def _matched_by(code: str) -> frozenset[str]:
    """Every dialed string of up to 5 characters from the codes' own characters
    that ``code`` matches (by the shared matcher): the brute-force reference."""
    alphabet = "012378*"  # the longest fixed code is 5 characters
    found = set()
    for length in range(1, 6):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            if pattern_matches(code, text):
                found.add(text)
    return frozenset(found)


def test_overlap_example_finds_an_overlap_exactly_when_one_exists() -> None:
    """code_collisions decides on overlap_example alone: against brute force over
    short strings, it finds a number both codes match exactly when there is one."""
    matched = {code: _matched_by(code) for code in CODES}
    for a in CODES:
        for b in CODES:
            example = overlap_example(a, b)
            assert (example is not None) == bool(matched[a] & matched[b]), (a, b, example)
            if example is not None:
                assert pattern_matches(a, example) and pattern_matches(b, example)
            assert patterns_overlap(a, b) == (example is not None)
