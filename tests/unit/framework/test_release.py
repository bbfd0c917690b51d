"""let_go: a replaced config is freed a piece at a time, what is shared kept."""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass

from autocom import release
from autocom.release import let_go


@dataclass(frozen=True)
class Node:
    name: str
    children: tuple[Node, ...] = ()


def listed(root: object) -> list[object]:
    """What let_go would free, in its order."""
    pieces = [root]
    for _ in release._listing(pieces):
        pass
    return pieces


def tree(name: str, width: int, depth: int) -> Node:
    if depth == 0:
        return Node(name)
    return Node(name, tuple(tree(f"{name}.{i}", width, depth - 1) for i in range(width)))


async def test_everything_is_freed_parents_listed_before_children() -> None:
    old = tree("old", 6, 4)
    leaf = weakref.ref(old.children[5].children[5].children[5].children[5])
    top = weakref.ref(old)
    pieces = listed(old)
    assert pieces[0] is old
    depth = {id(old): 0}
    for piece in pieces:  # breadth first: a node's parent is listed before it
        for child in getattr(piece, "children", ()):
            depth.setdefault(id(child), depth.get(id(piece), 0) + 1)
    nodes = [p for p in pieces if isinstance(p, Node)]
    assert len(nodes) == sum(6**d for d in range(5))  # every node: only the tree holds it
    del pieces, nodes, piece
    gc.collect()
    box = [old]
    del old
    assert await let_go(box) > 1555
    assert box == [] and top() is None and leaf() is None


async def test_what_the_new_config_shares_is_not_walked_nor_freed() -> None:
    kept = tree("kept", 3, 3)
    old = Node("old", (kept, tree("gone", 3, 2)))
    new = Node("new", (kept,))
    pieces = listed(old)
    assert kept not in pieces and old.children[1] in pieces
    assert not any(isinstance(p, Node) and p.name.startswith("kept") for p in pieces)
    gone = weakref.ref(old.children[1])
    del pieces
    box = [old]
    del old
    await let_go(box)
    assert gone() is None
    assert new.children[0] is kept and len(kept.children) == 3


def test_an_object_two_listed_parents_hold_is_listed() -> None:
    shared = Node("shared", (Node("inside"),))
    ref = weakref.ref(shared)
    old = Node("old", (Node("a", (shared,)), Node("b", (shared,))))
    del shared  # else this test holds it too: it would not be freed with the old one
    assert any(p is ref() for p in listed(old))


def test_drain_empties_a_dict_item_by_item() -> None:
    from autocom.release import drain

    lines = {("classes", f"c{i}", "national"): i for i in range(1000)}
    drain(lines)
    assert lines == {}
