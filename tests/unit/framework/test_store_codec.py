"""autocom.store.codec: one JSON object per stored value; anything else reads as None."""

from __future__ import annotations

import pytest

from autocom.store import codec


def test_a_written_object_reads_back_whole() -> None:
    fields = {"number": "0612345678", "label": "Mémé", "enabled": True, "n": 3}
    assert codec.decode(codec.encode(fields)) == fields
    assert codec.decode(codec.encode(fields, ascii_only=False)) == fields
    assert "Mémé" in codec.encode(fields, ascii_only=False)
    assert "\\u00e9" in codec.encode(fields)


@pytest.mark.parametrize(
    "stored", [None, "", "not json", "[1, 2]", '"text"', "3", "null", '{"a": 1', "\x00"]
)
def test_what_is_not_a_json_object_reads_as_none(stored: str | None) -> None:
    assert codec.decode(stored) is None
