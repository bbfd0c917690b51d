"""autocom.kept: which values of a new load count as the last load's."""

from __future__ import annotations

from types import MappingProxyType

from autocom.kept import same_items, same_keys, same_value


def test_the_very_object_or_an_equal_text_integer_or_bytes() -> None:
    box = [1]
    assert same_value(box, box)
    assert not same_value([1], [1])  # equal, another object: not kept
    assert same_value("".join(["sta", "ff"]), "staff")
    assert same_value(10**6 + 1, int("1000001"))
    assert same_value(b"x" * 3, b"xxx")
    assert not same_value(1, True)  # equal, another type
    assert not same_value(0.0, -0.0)  # equal floats are not the same value


def test_tables_the_same_keys_in_order_and_values() -> None:
    a, b = object(), object()
    assert same_items({"x": a, "y": 2}, {"x": a, "y": 2})
    assert not same_items({"y": 2, "x": a}, {"x": a, "y": 2})  # another order
    assert same_keys({"x": a, "y": b}, {"x": b, "y": a})
    assert not same_items({"x": a, "y": b}, {"x": b, "y": a})
    assert not same_items({"x": a}, {"x": a, "y": b})
    assert not same_items(MappingProxyType({"x": a}), {"x": a})  # another type of table
