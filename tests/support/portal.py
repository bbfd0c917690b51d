"""A copy of examples/ with the portal on a free port, and local accounts for it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from apps.portal.accounts import write_account

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"  # every test account's
LOGINS = ("smartin", "lbernard", "hmoreau", "root", "restricted")


def portal_config(folder: Path, *, secure_cookies: bool, keep_ari: bool = False) -> Path:
    """examples/ copied into ``folder`` with rules: portal: portal.yaml listening on a
    free port, a `restricted` user (5001, no international) and an account for each
    of LOGINS; without the ari: section (nor the IVR, which needs it) unless
    ``keep_ari``.  Returns autocom.yaml's path."""
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    main = folder / "autocom.yaml"
    text = main.read_text()
    if not keep_ari:
        text, count = re.subn(r"(?m)^ari:.*\n(?:[ \t]+.*\n|\s*\n)*", "", text)
        assert count == 1, "examples/autocom.yaml has no ari: section to remove"
        text, count = re.subn(r"(?m)^  ivr: .*\n", "", text)  # IVR menus need ARI
        assert count == 1, "examples/autocom.yaml has no ivr rule file"
    text, count = re.subn(r"(?m)^rules:\n", "rules:\n  portal: portal.yaml\n", text)
    assert count == 1, "examples/autocom.yaml has no rules: section"
    main.write_text(text)
    portal = folder / "portal.yaml"
    text = portal.read_text().replace("port: 8090", "port: 0")
    text = text.replace("secure_cookies: true", f"secure_cookies: {str(secure_cookies).lower()}")
    text += '  restricted: {extension: "5001"}\n'
    portal.write_text(text)
    for login in LOGINS:
        write_account(folder / "portal-accounts.txt", login, PASSWORD)
    return main
