"""A copy of examples/ with the portal on a free port, and local accounts for it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from apps.portal.accounts import write_account

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"  # every test account's
LOGINS = ("smartin", "lbernard", "hmoreau", "cdir", "root", "restricted")


def add_portal(main: Path, *, secure_cookies: bool) -> Path:
    """Name portal.yaml under rules: in the copy's autocom.yaml ``main``, on a free port,
    with a `restricted` user (5001, no international) and an account for each of
    LOGINS.  Returns ``main``."""
    text, count = re.subn(r"(?m)^rules:\n", "rules:\n  portal: portal.yaml\n", main.read_text())
    assert count == 1, f"{main} has no rules: section"
    main.write_text(text)
    portal = main.parent / "portal.yaml"
    text = portal.read_text().replace("port: 8090", "port: 0")
    text = text.replace("secure_cookies: true", f"secure_cookies: {str(secure_cookies).lower()}")
    text += '  restricted: {extension: "5001"}\n'
    portal.write_text(text)
    for login in LOGINS:
        write_account(main.parent / "portal-accounts.txt", login, PASSWORD)
    return main


def portal_config(folder: Path, *, secure_cookies: bool) -> Path:
    """examples/ copied into ``folder`` without the ari: section (nor the IVR, which
    needs it), with the portal (:func:`add_portal`).  Returns autocom.yaml's path."""
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    main = folder / "autocom.yaml"
    text, count = re.subn(r"(?m)^ari:.*\n(?:[ \t]+.*\n|\s*\n)*", "", main.read_text())
    assert count == 1, "examples/autocom.yaml has no ari: section to remove"
    text, count = re.subn(r"(?m)^  ivr: .*\n", "", text)
    assert count == 1, "examples/autocom.yaml has no ivr rule file"
    main.write_text(text)
    return add_portal(main, secure_cookies=secure_cookies)
