"""Local accounts: one ``login:scrypt$n$r$p$salt$hash`` line each (hashlib.scrypt).

The file holds no clear password; `autocom portal passwd LOGIN` writes a line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

# scrypt cost: about 50 ms on one core, 16 MiB
N, R, P = 2**14, 8, 1
MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAXMEM)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed line."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def read_accounts(path: Path) -> dict[str, str]:
    """login -> stored hash; a missing file is no account."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        login, sep, stored = line.strip().partition(":")
        if sep and login and not login.startswith("#"):
            out[login] = stored
    return out


def write_account(path: Path, login: str, password: str) -> None:
    """Set ``login``'s password (added, or its line replaced); the file is mode 0600."""
    if not login or ":" in login or any(c.isspace() for c in login):
        raise ValueError(f"login {login!r}: write letters, digits, dots or dashes")
    accounts = read_accounts(path)
    accounts[login] = hash_password(password)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(f"{name}:{stored}\n" for name, stored in sorted(accounts.items()))
    os.replace(tmp, path)
