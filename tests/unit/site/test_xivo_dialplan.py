"""dialplan/xivo/: the file an admin includes on a Wazo server names files that
exist, and every context the XiVO/Wazo subroutines reach is defined by them."""

from __future__ import annotations

import re
from pathlib import Path

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
ENTRY = DIALPLAN / "xivo" / "autocom-on-wazo.conf"


def included(path: Path) -> list[Path]:
    """The files ``path`` includes (relative to /etc/asterisk, where dialplan/ is copied)."""
    names = re.findall(r"(?m)^#include (\S+)", path.read_text())
    return [DIALPLAN.parent / name for name in names]


def contexts(paths: list[Path]) -> set[str]:
    return {m for p in paths for m in re.findall(r"(?m)^\[([^\]]+)\]", p.read_text())}


def test_every_included_file_exists() -> None:
    files = included(ENTRY)
    assert files and all(f.is_file() for f in files), [f for f in files if not f.is_file()]


def test_every_context_reached_is_defined() -> None:
    files = included(ENTRY)
    defined = contexts(files)
    xivo = [f for f in files if f.parent.name == "xivo"]
    reached = {
        m
        for f in xivo
        for m in re.findall(r"(?:Gosub\(|GosubIf\([^?]*\?)([a-z][\w-]*),s,1", f.read_text())
    }
    assert {"autocom-time_rules-outgoing", "autocom-boss_secretary-user"} <= reached
    assert reached | {"autocom-act"} <= defined
    # the hook contexts Wazo's globals name (xivo_globals.conf) are the ones defined
    hooks = contexts([DIALPLAN / "xivo" / "autocom-xivo-hooks.conf"])
    assert hooks == {
        "xivo-subrgbl-outcall",
        "xivo-subrgbl-user",
        "xivo-subrgbl-group",
        "xivo-subrfwd-extension",
    }
