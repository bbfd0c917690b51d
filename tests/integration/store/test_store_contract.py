"""The StateStore contract, run against every backend by the ``store`` fixture."""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from autocom.store.base import StateStore, StoreClosed, StoreError, StoreUnavailable

from .conftest import Opener

pytestmark = pytest.mark.integration

ODD_KEYS = [
    "a:b",
    "a:b:c",
    ":",
    "*",
    "a*",
    "a*b",
    "[",
    "a[1]",
    "a[!x]",
    "?",
    "a?",
    "\\",
    "a\\*",
    "'quoted'",
    '"double"',
    'it\'s "both"',
    "with space",
    "new\nline",
    "tab\there",
    "",
    "%s%d",
    "{json: 1}",
    "0612345670",
    "+33612345670",
]
UNICODE = ["é", "Éloïse Müller", "日本語", "😀📞", "עברית", "\u200b", "a\u0301"]


async def test_missing_key_is_none(store: StateStore) -> None:
    assert await store.get("speeddial", "nothing") is None
    assert await store.items("speeddial") == {}
    assert await store.delete("speeddial", "nothing") is False


async def test_set_get_overwrite(store: StateStore) -> None:
    await store.set("forwards", "1001", "0612345670")
    assert await store.get("forwards", "1001") == "0612345670"
    await store.set("forwards", "1001", "1002")
    assert await store.get("forwards", "1001") == "1002"


async def test_empty_value_is_a_value(store: StateStore) -> None:
    await store.set("filters", "boss", "")
    assert await store.get("filters", "boss") == ""
    assert await store.items("filters") == {"boss": ""}


async def test_delete(store: StateStore) -> None:
    await store.set("forwards", "1001", "x")
    assert await store.delete("forwards", "1001") is True
    assert await store.get("forwards", "1001") is None
    assert await store.delete("forwards", "1001") is False


async def test_namespaces_are_separate(store: StateStore) -> None:
    await store.set("forwards", "1001", "fwd")
    await store.set("speeddial", "1001", "sd")
    assert await store.get("forwards", "1001") == "fwd"
    assert await store.get("speeddial", "1001") == "sd"
    assert await store.items("forwards") == {"1001": "fwd"}
    assert await store.delete("forwards", "1001") is True
    assert await store.get("speeddial", "1001") == "sd"


async def test_items_with_prefix(store: StateStore) -> None:
    for key in ["1001", "1002", "1101", "2001", "10"]:
        await store.set("speeddial", key, "v" + key)
    await store.set("other", "1003", "elsewhere")
    assert await store.items("speeddial") == {
        "1001": "v1001",
        "1002": "v1002",
        "1101": "v1101",
        "2001": "v2001",
        "10": "v10",
    }
    assert await store.items("speeddial", "100") == {"1001": "v1001", "1002": "v1002"}
    assert await store.items("speeddial", "10") == {"1001": "v1001", "1002": "v1002", "10": "v10"}
    assert await store.items("speeddial", "3") == {}
    assert await store.items("speeddial", "10019") == {}


async def test_items_prefix_with_glob_and_like_characters(store: StateStore) -> None:
    keys = ["a*", "a*b", "ab", "axb", "a[1]", "a1", "a?", "a%", "a_", "aZ", "a\\", "a\\b"]
    for key in keys:
        await store.set("ns", key, key)
    assert set(await store.items("ns", "a*")) == {"a*", "a*b"}
    assert set(await store.items("ns", "a[")) == {"a[1]"}
    assert set(await store.items("ns", "a?")) == {"a?"}
    assert set(await store.items("ns", "a%")) == {"a%"}
    assert set(await store.items("ns", "a_")) == {"a_"}
    assert set(await store.items("ns", "a\\")) == {"a\\", "a\\b"}
    assert set(await store.items("ns", "a")) == set(keys)


async def test_odd_keys_round_trip(store: StateStore) -> None:
    for i, key in enumerate(ODD_KEYS):
        await store.set("odd", key, f"value {i}")
    for i, key in enumerate(ODD_KEYS):
        assert await store.get("odd", key) == f"value {i}", key
    assert await store.items("odd") == {key: f"value {i}" for i, key in enumerate(ODD_KEYS)}
    for key in ODD_KEYS:
        if key:
            assert await store.items("odd", key) == {
                k: f"value {i}" for i, k in enumerate(ODD_KEYS) if k.startswith(key)
            }, key
    assert await store.delete("odd", "a*") is True
    assert await store.get("odd", "a*b") == "value 5"


async def test_key_that_looks_like_another_namespace(store: StateStore) -> None:
    await store.set("a", "b:c", "in a")
    assert await store.items("a") == {"b:c": "in a"}
    assert await store.get("a", "b:c") == "in a"
    assert await store.items("b") == {}


async def test_unicode_keys_and_values(store: StateStore) -> None:
    for text in UNICODE:
        await store.set("uni", text, text * 3)
    for text in UNICODE:
        assert await store.get("uni", text) == text * 3
    assert await store.items("uni") == {text: text * 3 for text in UNICODE}
    assert await store.items("uni", "É") == {"Éloïse Müller": "Éloïse Müller" * 3}
    assert await store.items("uni", "😀") == {"😀📞": "😀📞" * 3}


async def test_prefix_at_the_top_of_unicode(store: StateStore) -> None:
    top = "\U0010ffff"
    await store.set("uni", top, "top")
    await store.set("uni", top + "x", "top x")
    await store.set("uni", "\ud7ff" + "y", "below surrogates")
    assert await store.items("uni", top) == {top: "top", top + "x": "top x"}
    assert await store.items("uni", "\ud7ff") == {"\ud7ffy": "below surrogates"}


async def test_nul_and_control_characters_in_values(store: StateStore) -> None:
    value = "a\x00b\r\n\x1b[0m\x7f"
    await store.set("ctl", "k", value)
    assert await store.get("ctl", "k") == value


async def test_large_values(store: StateStore) -> None:
    big = "0123456789abcdef" * (4 * 1024 * 1024 // 16)  # 4 MiB
    await store.set("cache", "big", big)
    assert await store.get("cache", "big") == big
    wide = "é📞" * 200_000
    await store.set("cache", "wide", wide)
    assert await store.items("cache") == {"big": big, "wide": wide}


async def test_many_keys(store: StateStore) -> None:
    expected = {f"{i:05d}": str(i) for i in range(1200)}  # more than one SCAN/MGET batch
    pending = iter(expected.items())

    async def writer() -> None:  # 20 callers at once, as busy hooks would be
        for k, v in pending:
            await store.set("many", k, v)

    await asyncio.gather(*(writer() for _ in range(20)))
    assert await store.items("many") == expected
    assert len(await store.items("many", "001")) == 100


async def test_ttl_expiry(store: StateStore) -> None:
    await store.set("dircache", "short", "soon gone", ttl=0.3)
    await store.set("dircache", "long", "stays", ttl=60)
    await store.set("dircache", "forever", "stays too")
    assert await store.get("dircache", "short") == "soon gone"
    assert set(await store.items("dircache")) == {"short", "long", "forever"}
    await asyncio.sleep(0.45)
    assert await store.get("dircache", "short") is None
    assert await store.items("dircache") == {"long": "stays", "forever": "stays too"}
    assert await store.delete("dircache", "short") is False
    await store.set("dircache", "short", "back")
    assert await store.get("dircache", "short") == "back"


async def test_set_without_ttl_clears_the_ttl(store: StateStore) -> None:
    await store.set("ns", "k", "temporary", ttl=0.2)
    await store.set("ns", "k", "permanent")
    await asyncio.sleep(0.3)
    assert await store.get("ns", "k") == "permanent"


async def test_set_with_ttl_replaces_a_permanent_value(store: StateStore) -> None:
    await store.set("ns", "k", "permanent")
    await store.set("ns", "k", "temporary", ttl=0.2)
    await asyncio.sleep(0.3)
    assert await store.get("ns", "k") is None


async def test_tiny_ttl_still_expires(store: StateStore) -> None:
    await store.set("ns", "k", "v", ttl=0.0001)
    await asyncio.sleep(0.05)
    assert await store.get("ns", "k") is None


async def test_concurrent_writes(store: StateStore) -> None:
    async def writer(n: int) -> None:
        for i in range(20):
            await store.set("conc", f"w{n}-{i}", f"{n}:{i}")
            await store.set("conc", "shared", f"{n}:{i}")

    await asyncio.gather(*(writer(n) for n in range(10)))
    found = await store.items("conc")
    assert {k: v for k, v in found.items() if k != "shared"} == {
        f"w{n}-{i}": f"{n}:{i}" for n in range(10) for i in range(20)
    }
    assert found["shared"] in {f"{n}:19" for n in range(10)}


async def test_concurrent_mixed_operations(store: StateStore) -> None:
    await asyncio.gather(*(store.set("mix", str(i), str(i)) for i in range(100)))
    results = await asyncio.gather(
        *(store.delete("mix", str(i)) for i in range(0, 100, 2)),
        *(store.get("mix", str(i)) for i in range(1, 100, 2)),
        store.items("mix", "9"),
    )
    assert results[:50] == [True] * 50
    assert results[50:100] == [str(i) for i in range(1, 100, 2)]
    assert await store.items("mix", "9") == {k: k for k in ["9", "91", "93", "95", "97", "99"]}


async def test_ping_and_close(store: StateStore) -> None:
    assert await store.ping() is True
    await store.set("ns", "k", "v")
    await store.close()
    await store.close()  # twice is fine
    assert await store.ping() is False
    with pytest.raises(StoreClosed):
        await store.get("ns", "k")
    with pytest.raises(StoreClosed):
        await store.set("ns", "k", "v")
    with pytest.raises(StoreClosed):
        await store.delete("ns", "k")
    with pytest.raises(StoreError):
        await store.items("ns")


async def test_incr_counts_from_one(store: StateStore) -> None:
    assert [await store.incr("count", "2850") for _ in range(3)] == [1, 2, 3]
    assert await store.get("count", "2850") == "3"
    assert await store.incr("count", "2851") == 1  # keys and namespaces count apart
    assert await store.incr("other", "2850") == 1
    assert await store.items("count") == {"2850": "3", "2851": "1"}
    assert await store.delete("count", "2850") is True
    assert await store.incr("count", "2850") == 1
    for key in ODD_KEYS + UNICODE:
        assert await store.incr("odd", key) == 1, repr(key)
        assert await store.incr("odd", key) == 2, repr(key)


async def test_incr_ttl_is_set_when_the_key_is_created_only(store: StateStore) -> None:
    assert await store.incr("window", "k", ttl=0.5) == 1
    await asyncio.sleep(0.3)
    # a later call neither extends nor shortens the window
    assert await store.incr("window", "k", ttl=60) == 2
    assert await store.incr("window", "short", ttl=60) == 1
    await asyncio.sleep(0.3)
    assert await store.get("window", "k") is None
    assert await store.items("window") == {"short": "1"}
    assert await store.incr("window", "k", ttl=0.5) == 1  # a new window


async def test_incr_keeps_the_ttl_or_permanence_of_a_set_value(store: StateStore) -> None:
    await store.set("ns", "permanent", "41")
    await store.set("ns", "temporary", "-5", ttl=0.3)
    assert await store.incr("ns", "permanent", ttl=0.1) == 42
    assert await store.incr("ns", "temporary") == -4
    await asyncio.sleep(0.4)
    assert await store.get("ns", "permanent") == "42"
    assert await store.get("ns", "temporary") is None
    await store.set("ns", "edge", str(-(2**63)))
    assert await store.incr("ns", "edge") == -(2**63) + 1


@pytest.mark.parametrize(
    "value", ["abc", "", "1.0", " 1", "1 ", "01", "+1", "-0", "1e3", "٣", str(2**63 - 1), "9" * 30]
)
async def test_incr_of_a_value_that_is_no_counter_is_an_error(
    store: StateStore, value: str
) -> None:
    await store.set("ns", "k", value)
    with pytest.raises(StoreError, match="not an integer counter") as info:
        await store.incr("ns", "k")
    assert not isinstance(info.value, StoreUnavailable)
    assert await store.get("ns", "k") == value  # untouched


async def test_incr_checks_its_arguments(store: StateStore) -> None:
    with pytest.raises(ValueError, match="namespace"):
        await store.incr("a:b", "k")
    with pytest.raises(ValueError, match="ttl"):
        await store.incr("ns", "k", ttl=0)
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.incr("ns", "caller\udcff")
    assert await store.items("ns") == {}
    await store.close()
    with pytest.raises(StoreClosed):
        await store.incr("ns", "k")


async def test_concurrent_incr_from_several_stores_loses_none(
    store: StateStore, open_sibling: Opener
) -> None:
    """Four stores on the same data (four connections, as four servers), 50 callers each."""
    stores = [store, *[await open_sibling() for _ in range(3)]]

    async def caller(s: StateStore) -> list[int]:
        return [await s.incr("conc", "owner", ttl=60) for _ in range(5)]

    results = await asyncio.gather(*(caller(s) for s in stores for _ in range(10)))
    counts = sorted(n for got in results for n in got)
    assert counts == list(range(1, 201))  # each count handed out exactly once
    for s in stores:
        assert await s.get("conc", "owner") == "200"


@pytest.mark.parametrize("namespace", ["", "a:b", ":"])
async def test_bad_namespace_is_refused(store: StateStore, namespace: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        await store.set(namespace, "k", "v")
    with pytest.raises(ValueError, match="namespace"):
        await store.get(namespace, "k")
    with pytest.raises(ValueError, match="namespace"):
        await store.items(namespace)
    with pytest.raises(ValueError, match="namespace"):
        await store.delete(namespace, "k")


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_bad_ttl_is_refused(store: StateStore, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await store.set("ns", "k", "v", ttl=ttl)
    assert await store.get("ns", "k") is None


async def test_non_string_value_is_refused(store: StateStore) -> None:
    with pytest.raises(TypeError, match="str"):
        await store.set("ns", "k", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str"):
        await store.set("ns", "k", b"bytes")  # type: ignore[arg-type]
    assert await store.get("ns", "k") is None


async def test_lone_surrogates_are_refused_the_same_way(store: StateStore) -> None:
    forged = "caller\udcff"  # what surrogateescape makes of a byte that is not UTF-8
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.set("ns", forged, "v")
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.set("ns", "k", forged)
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.get("ns", forged)
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.delete("ns", forged)
    with pytest.raises(ValueError, match="not valid Unicode"):
        await store.items("ns", forged)
    assert await store.items("ns") == {}


FUZZ_ALPHABET = [
    "a",
    "b",
    ":",
    "*",
    "?",
    "[",
    "]",
    "!",
    "^",
    "\\",
    "%",
    "_",
    "'",
    '"',
    " ",
    "\x00",
    "\n",
    "é",
    "\u00ff",
    "\u0100",
    "\ud7ff",
    "\ue000",
    "\U0010ffff",
    "😀",
]


async def test_items_prefix_fuzz_matches_a_model(store: StateStore) -> None:
    """Random keys and prefixes from an alphabet of glob, LIKE and edge characters."""
    rng = random.Random(20261123)
    model: dict[str, str] = {}
    for i in range(300):
        key = "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(0, 6)))
        model[key] = f"v{i}"
        await store.set("fuzz", key, model[key])
    for key, value in model.items():
        assert await store.get("fuzz", key) == value, repr(key)
    prefixes = [k[: rng.randint(0, len(k))] for k in rng.sample(sorted(model), 60)]
    prefixes += [
        "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 3))) for _ in range(60)
    ]
    for prefix in prefixes:
        expected = {k: v for k, v in model.items() if k.startswith(prefix)}
        assert await store.items("fuzz", prefix) == expected, repr(prefix)
