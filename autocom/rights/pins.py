"""PINs: per-user salted hashes (scrypt), never the PIN itself.

Format: ``scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>``; pbkdf2 hashes
(``pbkdf2_sha256$<iterations>$<salt>$<hash>``) are read too. Make one with
``autocom rights hash-pin`` (for the rule file) or store one with
``autocom rights set-pin EXT`` (state store, namespace ``rights_pins``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
STORE_NAMESPACE = "rights_pins"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    if not pin.isdigit():
        raise ValueError("a PIN is digits only")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_hash_format(text: str) -> None:
    """Raise ValueError (shown with file:line) if ``text`` is not a hash we can read."""
    parts = text.split("$")
    ok = (parts[0] == "scrypt" and len(parts) == 6 and all(p.isdigit() for p in parts[1:4])) or (
        parts[0] == "pbkdf2_sha256" and len(parts) == 4 and parts[1].isdigit()
    )
    if ok:
        try:
            for p in parts[-2:]:
                base64.b64decode(p, validate=True)
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(
            "not a PIN hash; never write the PIN itself: "
            "run 'autocom rights hash-pin' and paste its output"
        )


def verify_pin(pin: str, stored: str) -> bool:
    """Constant-time check of ``pin`` against a stored hash; False on any format error."""
    if not pin.isdigit():
        return False
    parts = stored.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            if n > 2**20 or r > 32 or p > 16:
                return False
            salt, want = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            got = hashlib.scrypt(
                pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=2**28
            )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            salt, want = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations, len(want))
        else:
            return False
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, want)
