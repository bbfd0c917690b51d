"""YAML 1.2 read as written: numbers, times and 'no' stay the strings typed."""

from pathlib import Path

import pytest

from autocom.config import ConfigError, LocatedDict, LocatedList, load_yaml, parse_yaml

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n: 0612345670", "0612345670"),
        ("n: 08:00", "08:00"),
        ("n: 12:30", "12:30"),
        ("n: no", "no"),
        ("n: 0o17", "0o17"),
        ("n: 1e3", "1e3"),
        ("n: '0033612345670'", "0033612345670"),
        ('n: "+33 6 12"', "+33 6 12"),
        ("n: ~", None),
        ("n: null", None),
        ("n:", None),
        ("n: 'null'", "null"),
        ("n: ''", ""),
        ("n: 2026-12-25", "2026-12-25"),
    ],
)
def test_scalars_stay_as_written(text: str, expected: object) -> None:
    assert parse_yaml(text).data == {"n": expected}


def test_lines_of_keys_and_items() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - c: 2\n    d: 3\n", "f.yaml")
    assert doc.line_of(("a",)) == 1
    assert doc.line_of(("b", 0)) == 3
    assert doc.line_of(("b", 1, "d")) == 5
    assert doc.line_of(("b", 1, "nope")) == 4  # falls back to the enclosing item
    item = doc.data["b"][1]
    assert isinstance(item, LocatedDict) and (item.file, item.line) == ("f.yaml", 4)
    assert isinstance(doc.data["b"], LocatedList) and doc.data["b"].line == 3


def test_duplicate_key_is_an_error_with_both_lines() -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml")
    (issue,) = err.value.issues
    assert (issue.file, issue.line) == ("dup.yaml", 3)
    assert "first on line 1" in issue.message


@pytest.mark.parametrize("text", ["a: [1, 2", "a: 'open", "- a\nb: c", "a:\n\t- x"])
def test_syntax_errors_name_a_line(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml(text, "bad.yaml")
    assert err.value.issues[0].file == "bad.yaml"
    assert "YAML syntax error" in err.value.issues[0].message


def test_complex_key_refused() -> None:
    with pytest.raises(ConfigError, match="key must be"):
        parse_yaml("? [a, b]\n: 1\n")


def test_empty_document() -> None:
    assert parse_yaml("").data is None
    assert parse_yaml("# only a comment\n").data is None


def test_unreadable_and_non_utf8_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="cannot read file"):
        load_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: Andr\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_yaml(bad)


def test_aliases_are_followed() -> None:
    doc = parse_yaml("base: &b {x: '1'}\nother: *b\n")
    assert doc.data["other"] == {"x": "1"}


def test_byte_order_mark_and_size_limit(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from autocom.config import yaml_source

    bommed = tmp_path / "bom.yaml"
    bommed.write_bytes("\ufeffname: Andr\u00e9\n".encode())
    assert load_yaml(bommed).data == {"name": "Andr\u00e9"}
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 8)
    with pytest.raises(ConfigError, match="file larger than 8 bytes"):
        load_yaml(bommed)


TRICKY = """\
---
plain: 0612345670
time: 08:00
times: ["12:30", '13:30']
tagged: !!str 017
bools: {a: yes, b: off, c: true}
anchor: &a {x: 1, y: [2, 3]}
alias: *a
block: |
  line one
  line two
folded: >-
  folded
  text
empty:
tilde: ~
nested:
  - {k: v}
  - - deep
    - ''
"""


@pytest.mark.parametrize("name", ["tricky", *sorted(p.name for p in EXAMPLES.glob("*.yaml"))])
def test_untagged_composer_reads_what_ruamel_reads(name: str) -> None:
    """The composer without tag resolution builds the same data and lines as
    ruamel.yaml's own composer (the tags it skips are never read)."""
    from ruamel.yaml import YAML

    from autocom.config import yaml_source

    text = TRICKY if name == "tricky" else (EXAMPLES / name).read_text(encoding="utf-8")
    assert yaml_source._COMPOSER is not None  # ruamel.yaml.clib is a dependency
    lines: dict[tuple[str | int, ...], int] = {}
    reference = yaml_source._build(YAML(typ="safe", pure=False).compose(text), (), name, lines, [])
    doc = parse_yaml(text, name)
    assert doc.data == reference
    assert doc.lines == lines
