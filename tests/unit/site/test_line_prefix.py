"""One rule for the site's external line prefix, shared by call rights and the directory."""

from pathlib import Path

import pytest

from apps.directory.compile import load_rules as load_directory
from autocom.config import ConfigError, parse_yaml, validate
from autocom.rights.compile import load_rules as load_rights
from autocom.site.model import Site


def site(*prefixes: str) -> Site:
    contexts = "".join(
        f"  - {{name: out{i}, kind: outgoing, line_prefix: '{p}'}}\n"
        for i, p in enumerate(prefixes)
    )
    return validate(Site, parse_yaml("contexts:\n" + contexts if prefixes else ""))


def test_line_prefix() -> None:
    assert site().line_prefix() == ""
    assert site("0").line_prefix() == "0"
    assert site("0", "0").line_prefix() == "0"
    assert site("0", "9").line_prefix() is None
    assert site("0", "9").line_prefixes() == ["0", "9"]


@pytest.mark.parametrize("load", [load_rights, load_directory])
def test_rule_files_must_name_it_when_the_site_disagrees(load, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.yaml"
    path.write_text("{}\n")
    with pytest.raises(ConfigError, match=r"different line prefixes \(0, 9\)"):
        load(path, site("0", "9"))
    load(path, site("0"))
