"""autocom.transfer: a config sent as batches of its new objects, rebuilt the same
(values, and which objects are one object), what the last config sent referenced,
what no config holds any more let go of on both sides."""

from __future__ import annotations

import gc
import pickletools
import shutil
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autocom.feature import Feature
from autocom.features import installed
from autocom.loader import Config, load_config
from autocom.transfer import BATCH, Receiver, Sender, TransferError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ATOMS = (str, bytes, int, float, bool, complex, type(None))


def mirrors(sent: Any, got: Any, pairs: dict[int, Any], fixed: dict[int, Any]) -> None:
    """``got`` is ``sent`` rebuilt: same types and values, and an object two others
    share in ``sent`` is one object in ``got`` (``pairs``: id in sent -> got)."""
    if id(sent) in fixed:
        assert got is fixed[id(sent)]
        return
    assert type(got) is type(sent), (type(sent), type(got))
    if isinstance(sent, ATOMS):
        assert got == sent
        return
    if id(sent) in pairs:
        assert pairs[id(sent)] is got, f"a shared {type(sent).__name__} was copied"
        return
    pairs[id(sent)] = got
    kind = type(sent)
    if kind.__reduce_ex__ is not object.__reduce_ex__ or kind.__reduce__ is not object.__reduce__:
        assert got == sent or got is sent  # rebuilt by its own reduce (a zone, a pattern)
        return
    kids_sent, kids_got = _kids(sent), _kids(got)
    assert len(kids_sent) == len(kids_got), type(sent)
    for a, b in zip(kids_sent, kids_got, strict=True):
        mirrors(a, b, pairs, fixed)


def _kids(obj: Any) -> list[Any]:
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)  # one process: the same hashes, but say the order
    out = []
    attributes = getattr(obj, "__dict__", None)
    for child in gc.get_referents(obj):
        if isinstance(child, type):
            continue
        if type(attributes) is dict and child is attributes:
            out.extend(x for kv in sorted(child.items()) for x in kv)
        else:
            out.append(child)
    return out


def send(sender: Sender, receiver: Receiver, root: object) -> Any:
    return batch_count(sender, receiver, root)[0]


def batch_count(sender: Sender, receiver: Receiver, root: object) -> tuple[Any, int]:
    """``root`` rebuilt by ``receiver``, and how many batches it took."""
    batches = list(sender.send(root))
    for first, data in batches:
        receiver.take(first, data)
    return receiver.get(sender.key(root)), len(batches)


def fixed_of(features: list[Feature]) -> dict[str | int, object]:
    return {f"feature:{f.name}": f for f in features}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for item in EXAMPLES.iterdir():
        if item.is_dir():
            shutil.copytree(item, tmp_path / item.name)
        else:
            shutil.copy(item, tmp_path / item.name)
    return tmp_path / "autocom.yaml"


def test_the_example_config_is_rebuilt_object_for_object(files: Path) -> None:
    mine, theirs = installed(), installed()  # each side's own features
    config = load_config(files, mine)
    sender, receiver = Sender(fixed_of(mine)), Receiver(fixed_of(theirs))
    got = send(sender, receiver, config)
    assert isinstance(got, Config)
    fixed = {id(a): b for a, b in zip(mine, theirs, strict=True)}
    mirrors(config, got, {}, fixed)
    assert got.features[0] is theirs[0]  # the receiver's own, never a copy
    assert got.digest == config.digest


def test_a_reload_sends_only_what_the_load_made_anew(files: Path) -> None:
    features = installed()
    first = load_config(files, features)
    sender, receiver = Sender(fixed_of(features)), Receiver(fixed_of(features))
    got_first = send(sender, receiver, first)
    fixed = {id(f): f for f in features}
    pairs: dict[int, Any] = {}
    mirrors(first, got_first, pairs, fixed)
    rights = files.parent / "rights.yaml"
    rights.write_text(rights.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    second = load_config(files, features, previous=first)
    batches = list(sender.send(second))
    for first_key, data in batches:
        receiver.take(first_key, data)
    got_second = receiver.get(sender.key(second))
    assert second.site is first.site  # the loader kept the unchanged site...
    assert got_second.site is got_first.site  # ...and so does the receiver
    # every object the loader kept from the first config is the receiver's first one
    mirrors(second, got_second, pairs, fixed)
    assert len(batches) < len(list(Sender(fixed_of(features)).send(second)))


def test_what_no_config_holds_is_dropped_on_both_sides(files: Path) -> None:
    features = installed()
    sender, receiver = Sender(fixed_of(features)), Receiver(fixed_of(features))
    old = load_config(files, features)
    got_old = send(sender, receiver, old)
    old_key = sender.key(old)
    site_ref = weakref.ref(got_old.site)
    (files.parent / "site.yaml").write_text(
        (files.parent / "site.yaml").read_text(encoding="utf-8").replace("name:", "name: ", 1),
        encoding="utf-8",
    )
    new = load_config(files, features, previous=old)
    got_new = send(sender, receiver, new)
    assert got_new.site is not got_old.site
    assert sender.dead() == []  # the loader still holds the old config
    del old
    dead = sender.dead()
    assert dead[0] == old_key  # the old config first, then what only it held
    assert len(dead) == len(set(dead)) and sender.dead() == []
    receiver.drop(dead)
    del got_old
    assert site_ref() is None  # the receiver let go of the old site
    with pytest.raises(KeyError):
        receiver.get(dead[0])
    assert receiver.get(sender.key(new)) is got_new
    newer = load_config(files, features, previous=new)  # nothing changed: all kept
    assert newer.site is new.site
    assert send(sender, receiver, newer).site is got_new.site


@dataclass
class Box:
    items: Any
    other: Any = None
    more: list[Any] = field(default_factory=list)


def test_large_containers_come_in_pieces_and_whole() -> None:
    shared = Box("shared")
    big = {f"k{i}": Box(i, shared) for i in range(BATCH * 5 + 7)}
    root = Box(big, (tuple(range(BATCH * 3)), frozenset(range(BATCH + 1)), [shared] * 600))
    sender, receiver = Sender({}), Receiver({})
    batches = list(sender.send(root))
    # rebuilding a batch is bounded: at most BATCH objects or items, 9 opcodes at most each
    assert max(sum(1 for _ in pickletools.genops(data)) for _, data in batches) < 16 * BATCH
    for first, data in batches:
        receiver.take(first, data)
    got = receiver.get(sender.key(root))
    assert list(got.items) == list(big)  # the order kept
    assert got.items["k3"].other is got.other[2][0]  # one object, shared as it was
    assert got.other[1] == frozenset(range(BATCH + 1))
    mirrors(root, got, {}, {})


def test_a_cycle_or_what_pickle_refuses_is_a_transfer_error() -> None:
    loop = Box("a")
    loop.more.append(Box("b", loop))
    with pytest.raises(TransferError, match="cycle"):
        list(Sender({}).send(Box(None, loop)))
    with pytest.raises(TransferError, match="cannot pickle"):
        list(Sender({}).send(Box(lambda: None)))


def test_a_batch_naming_what_the_receiver_dropped_is_refused() -> None:
    sender, receiver = Sender({}), Receiver({})
    kept = Box("kept")
    send(sender, receiver, Box(kept))
    receiver.drop([sender.key(kept)])  # out of step: the sender still holds it
    with pytest.raises(TransferError, match="cannot be rebuilt"):
        send(sender, receiver, Box([kept]))


def test_a_batch_out_of_order_is_refused() -> None:
    sender, receiver = Sender({}), Receiver({})
    batches = list(sender.send(Box([Box(i) for i in range(BATCH * 2)])))
    assert len(batches) > 1
    with pytest.raises(TransferError, match="out of order"):
        receiver.take(*batches[1])


def test_the_receivers_keys_outlive_their_first_blocks() -> None:
    """Keys in blocks: a block whose objects were all dropped goes, the others stay."""
    sender, receiver = Sender({}), Receiver({})
    keep = [Box(i) for i in range(100)]
    send(sender, receiver, Box(keep))
    for _ in range(3):  # configs come and go: keys grow past several blocks
        send(sender, receiver, Box([Box(-i) for i in range(3000)], keep))
        receiver.drop(sender.dead())
    got = send(sender, receiver, Box(None, keep))
    assert [b.items for b in got.other] == list(range(100))
    receiver.drop(sender.dead())
    assert len(receiver) == len(sender)  # each holds what the other does, no more


def test_dead_keys_come_parents_first_and_only_what_died() -> None:
    sender, receiver = Sender({}), Receiver({})
    shared = Box("kept by the next config")
    chain = Box("a", Box("b", Box("c")), [shared])
    send(sender, receiver, chain)
    keys = [sender.key(chain), sender.key(chain.other), sender.key(chain.other.other)]
    send(sender, receiver, Box("next", shared))
    del chain
    dead = sender.dead()
    assert [k for k in dead if k in keys] == keys  # a before b before c
    assert sender.key(shared) not in dead  # the next config holds it
    receiver.drop(dead)
    assert len(receiver) == len(sender)


def test_what_two_dead_parents_held_dies_once_after_both() -> None:
    fixed, theirs = Box("fixed"), Box("theirs")
    sender, receiver = Sender({"fixed": fixed}), Receiver({"fixed": theirs})
    leaf = Box("leaf", fixed)
    left, right = Box("left", leaf), Box("right", leaf)
    root = Box([left, right])
    send(sender, receiver, root)
    key = {name: sender.key(obj) for name, obj in (("L", left), ("R", right), ("leaf", leaf))}
    send(sender, receiver, Box("next", fixed))
    del root, left, right, leaf
    dead = sender.dead()
    assert dead.count(key["leaf"]) == 1
    assert dead.index(key["leaf"]) > max(dead.index(key["L"]), dead.index(key["R"]))
    assert "fixed" not in dead and sender.dead() == []
    receiver.drop(dead)
    assert len(receiver) == len(sender)


def test_a_large_dict_like_one_sent_before_comes_as_its_changes() -> None:
    sender, receiver = Sender({}), Receiver({})
    values = [Box(i) for i in range(BATCH * 4)]
    table = {f"k{i}": v for i, v in enumerate(values)}
    got_old, first_count = batch_count(sender, receiver, Box(table))
    assert first_count > 4  # in pieces
    changed = dict(table, k7=Box("new"), k9=12345678)  # a copy: another dict, same order
    got_new, count = batch_count(sender, receiver, Box(changed))
    assert count == 3  # the new value, the dict (its base and changes), its holder
    got = got_new.items
    assert list(got) == list(changed)  # the order kept
    assert got["k7"].items == "new" and got["k9"] == 12345678
    assert got["k8"] is got_old.items["k8"]  # the very objects of the last one
    # a dict with its keys in another order, or most values changed: sent whole
    reordered = dict(reversed(list(changed.items())))
    got_back, count = batch_count(sender, receiver, Box(reordered))
    assert list(got_back.items) == list(reordered) and count > 4
    most = {k: Box(k) for k in table}
    got_most, count = batch_count(sender, receiver, Box(most))
    assert count > 4 and [b.items for b in got_most.items.values()] == list(table)


def test_the_base_of_a_derived_dict_dies_alone() -> None:
    sender, receiver = Sender({}), Receiver({})
    table = {i: Box(i) for i in range(BATCH * 2)}
    old = Box(table)
    send(sender, receiver, old)
    new = Box({**table, 5: Box("five")})
    got = send(sender, receiver, new)
    del old, table
    receiver.drop(sender.dead())
    assert len(receiver) == len(sender)
    assert [b.items for b in got.items.values()] == [*range(5), "five", *range(6, BATCH * 2)]
    newer = Box({**new.items, 6: Box("six")})  # derived from the derived one
    got_newer, count = batch_count(sender, receiver, newer)
    assert count == 3 and got_newer.items[5] is got.items[5]


def test_a_base_changed_on_the_receiving_side_is_refused() -> None:
    sender, receiver = Sender({}), Receiver({})
    table = {i: Box(i) for i in range(BATCH * 2)}
    got = send(sender, receiver, Box(table))
    got.items["added here"] = Box("a cache filled by the server")
    with pytest.raises(TransferError, match="derived dict has"):
        send(sender, receiver, Box({**table, 1: Box("one")}))
