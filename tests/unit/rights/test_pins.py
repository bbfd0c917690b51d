"""PIN hashes: scrypt and pbkdf2, format checks, no PIN in clear."""

from __future__ import annotations

import base64
import hashlib

import pytest

from autocom.rights.pins import check_hash_format, hash_pin, verify_pin


def test_scrypt_round_trip_and_salt() -> None:
    a, b = hash_pin("1234", n=2**10), hash_pin("1234", n=2**10)
    assert a != b  # salted
    assert "1234" not in a
    assert verify_pin("1234", a) and verify_pin("1234", b)
    assert not verify_pin("1235", a)
    assert not verify_pin("", a)
    assert not verify_pin("12a4", a)


def test_pbkdf2_is_read() -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", b"4321", salt, 1000)
    stored = (
        f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )
    check_hash_format(stored)
    assert verify_pin("4321", stored)
    assert not verify_pin("4322", stored)


@pytest.mark.parametrize("text", ["1234", "scrypt$1$2$3", "md5$abc", "scrypt$x$8$1$AA==$AA=="])
def test_bad_format(text: str) -> None:
    with pytest.raises(ValueError, match="hash-pin"):
        check_hash_format(text)
    assert not verify_pin("1234", text)


def test_absurd_cost_is_refused() -> None:
    assert not verify_pin("1234", "scrypt$1073741824$8$1$AA==$AA==")
