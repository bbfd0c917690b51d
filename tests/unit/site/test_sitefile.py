"""The site file's fast path: a generated site reads as the YAML reader reads it,
a hand-edited one falls back to the YAML reader, errors keep their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocom.config.errors import ConfigError
from autocom.config.yaml_source import parse_yaml
from autocom.site.sitefile import (
    parse_generated,
    read_site_document,
    render_generated,
    validate_site,
)

DOCUMENT = {
    "name": "Campus \"Illberg\" — été",
    "contexts": [
        {"name": "staff", "kind": "internal", "users": ["2001-2099"], "include": ["out"]},
        {"name": "out", "kind": "outgoing", "line_prefix": "0", "trunks": ["t1"]},
        {"name": "in", "kind": "incoming",
         "dids": [{"number": "0389336001", "destination": "2001"}]},
    ],
    "users": [
        {"extension": "2001", "name": "Lefèvre", "first_name": "Zoé", "context": "staff",
         "devices": ["z-desk", "z-soft"], "mobile": "0612345678"},
        {"extension": "2002", "name": "O'Neil", "context": "staff"},
    ],
    "groups": [{"extension": "2050", "name": "Accueil", "context": "staff",
                "members": ["2001", "2002"], "strategy": "linear", "ring_time": 12,
                "overflow": {"voicemail": "2001"}}],
}  # fmt: skip


def test_generated_reads_as_the_yaml_reader_reads_it() -> None:
    text = render_generated(DOCUMENT, ["wazo"], "site.yaml")
    fast = parse_generated(text, "site.generated.yaml")
    slow = parse_yaml(text, "site.generated.yaml")
    assert fast is not None
    assert fast.data == slow.data  # every scalar text, 12 -> "12"
    for path in [("users",), ("users", 1), ("groups", 0), ("contexts", 2)]:
        assert fast.line_of(path) == slow.line_of(path)
    site = validate_site(fast)
    assert site.model_dump() == validate_site(slow).model_dump()
    assert str(site.users[1].source) == "site.generated.yaml:9"


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("users:\n", "users:   # staff\n"),
        lambda t: t + "  - {extension: '2003', name: Hand, context: staff}\n",
        lambda t: t.replace("name: ", "name:  ") + "\n# trailing comment\n",
    ],
)
def test_a_hand_edited_file_still_reads(tmp_path: Path, edit: object) -> None:
    path = tmp_path / "site.generated.yaml"
    path.write_text(edit(render_generated(DOCUMENT, ["wazo"], "site.yaml")))  # type: ignore[operator]
    site = validate_site(read_site_document(path))
    assert site.user("2001") is not None


def test_errors_name_the_line_of_the_item() -> None:
    bad = dict(
        DOCUMENT,
        users=[
            *DOCUMENT["users"],
            {
                "extension": "20x3",
                "name": "X",  # type: ignore[list-item]
                "context": "staff",
            },
        ],
    )
    doc = parse_generated(render_generated(bad, ["wazo"], "site.yaml"), "gen.yaml")
    assert doc is not None
    with pytest.raises(ConfigError) as exc:
        validate_site(doc)
    (issue,) = exc.value.issues
    assert (issue.file, issue.line) == ("gen.yaml", 10)
    assert "users.2.extension" in issue.message
    unknown = dict(DOCUMENT, contexts=[{"name": "staff", "colour": "red"}])
    doc = parse_generated(render_generated(unknown, ["wazo"], "site.yaml"), "gen.yaml")
    assert doc is not None
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        validate_site(doc)
