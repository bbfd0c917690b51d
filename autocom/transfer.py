"""A config built in one process, rebuilt in another a small piece at a time, the
pieces it shares with the last one sent not sent again.

The loader process (autocom/loader_process.py) loads the config; the server needs
it.  Pickling it whole would cost the server one ``pickle.loads`` holding the GIL
for the whole object graph (0.5 s for 100,000 rule lines): every call in progress
would wait as long.  Here the graph is cut into its objects (every object but
strings, numbers and the like, which go with the object that holds them) and sent
children first, a batch at a time (:data:`BATCH` objects).  Each object sent gets a
key that both sides keep: in a later batch, or a later config, it is a reference
(``persistent_id``), so

- the server rebuilds a batch in well under a millisecond and serves calls in
  between (:meth:`Receiver.take`);
- a reload sends only what the load made anew: a class whose text did not change
  is the very object of the last config on both sides;
- objects are shared as they were: an object two others hold is one object on
  the server too.

What the server keeps of a config is what :class:`Receiver` holds by key; the
sender says which keys a new config no longer reaches (:meth:`Sender.dead`),
parents before their children, so letting go of them frees an object at a time
(:meth:`Receiver.drop`) rather than a whole config in one go.

Objects that stand for something of the process (the features: their hooks,
their state) are never sent: each side names them (``fixed``) and the server's
own stand in.

Both sides are the same program, one the child of the other: the bytes are
pickles from a process we started, never from the network.
"""

from __future__ import annotations

import gc
import io
import itertools
import pickle
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, cast

from autocom.kept import same_keys, same_value

BATCH: Final = 256  # a batch's weight: an object, and each item of a container, weigh 1
# (about 0.5 ms to rebuild; a larger container is sent in pieces of this size)

Key = int | str  # int: an object sent; str: a fixed one (named on both sides)
_BLOCK_BITS: Final = 12
BLOCK: Final = 1 << _BLOCK_BITS  # the receiver's keys by blocks of 4096
_SLOT: Final = BLOCK - 1

# Values pickled by value inside their holder's batch: they hold no object.
_ATOMS: Final = frozenset({str, bytes, int, float, bool, complex, type(None), bytearray})
# What pickle saves by name (a class, a function): never walked, never sent.
_BY_NAME: Final = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.CodeType,
)


class TransferError(Exception):
    """The config cannot be sent this way (an object cannot be pickled, or a cycle
    crosses two batches): the caller loads it where it is needed instead."""


_CONTAINERS: Final = (list, dict, tuple, set, frozenset)


def _opaque(kind: type) -> bool:
    """An object pickle rebuilds from its own ``__reduce__`` (a compiled regular
    expression, a time zone, an enum member, a path): sent whole, not walked."""
    if kind in _CONTAINERS:
        return False
    reduce = getattr(kind, "__reduce__", None)
    reduce_ex = getattr(kind, "__reduce_ex__", None)
    return reduce is not object.__reduce__ or reduce_ex is not object.__reduce_ex__


def _children(obj: object) -> list[Any]:
    """What ``obj`` holds.  An instance's ``__dict__`` is not an object of its own:
    pickle rebuilds it with the instance (a copy of it sent apart would stay on the
    server beside the instance's own), so what it holds is the instance's."""
    children = gc.get_referents(obj)
    attributes = getattr(obj, "__dict__", None)
    if type(attributes) is not dict or isinstance(obj, _CONTAINERS):
        return children
    return [
        item
        for child in children
        for item in (attributes.values() if child is attributes else (child,))
    ]


class _Joined:
    """What stands for a large container in its batch: rebuilt from its pieces."""

    def __init__(self, kind: str, pieces: list[Any]) -> None:
        self.kind = kind
        self.pieces = pieces

    def __reduce__(self) -> tuple[Any, ...]:
        return (_joined, (self.kind, *self.pieces))


def _joined(kind: str, *pieces: Any) -> Any:
    """A container made of its pieces, on the receiving side (a few µs per 1000 items)."""
    if kind == "dict":
        whole: dict[Any, Any] = {}
        for piece in pieces:
            whole.update(piece)
        return whole
    items = itertools.chain.from_iterable(pieces)
    return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](items)


class _Derived:
    """What stands for a large dict whose keys, in their order, are those of one sent
    before (``base``) and whose values are mostly the same: ``base`` copied and the
    ``changes`` set (the server copies a table of 4000 items in C instead of taking
    16 pieces of references one by one)."""

    def __init__(self, base: dict[Any, Any], changes: dict[Any, Any]) -> None:
        self.base = base
        self.changes = changes

    def __reduce__(self) -> tuple[Any, ...]:
        return (_derived, (self.base, self.changes, len(self.base)))


def _derived(base: dict[Any, Any], changes: dict[Any, Any], size: int) -> dict[Any, Any]:
    if len(base) != size:  # a table the server changed (a cache?): not the sender's
        raise ValueError(f"the base of a derived dict has {len(base)} items, not {size}")
    whole = dict(base)
    whole.update(changes)  # keys of ``base`` only: the order stays
    return whole


def _changes(new: dict[Any, Any], base: dict[Any, Any]) -> dict[Any, Any] | None:
    """What ``new`` sets differently from ``base`` (:func:`autocom.kept.same_value`),
    None when they do not have the same keys in the same order or more than a
    quarter of the values differ."""
    if not same_keys(new, base):
        return None
    changes: dict[Any, Any] = {}
    most = len(new) // 4
    for (key, value), old in zip(new.items(), base.values(), strict=True):
        if not same_value(value, old):
            changes[key] = value
            if len(changes) > most:
                return None
    return changes


class Sender:
    """The loading side: turns a config into batches, remembering what it sent."""

    def __init__(self, fixed: Mapping[Key, object]) -> None:
        self._key_of: dict[int, Key] = {id(obj): name for name, obj in fixed.items()}
        self._sent: dict[Key, object] = dict(fixed)  # holds them: their ids stay theirs
        self._next = 0
        self._roots: set[int] = set()  # where :meth:`dead` starts: roots and pieces sent
        self._opaque: dict[type, bool] = {}
        # the large dicts sent, by (size, first key, last key): bases for the next ones
        self._large: dict[tuple[int, Any, Any], list[int]] = {}
        self._out = io.BytesIO()
        self._pickler = pickle.Pickler(self._out, protocol=pickle.HIGHEST_PROTOCOL)
        key_of = self._key_of.get
        atoms = _ATOMS

        def persistent_id(obj: object) -> Key | None:  # called for every object pickled
            if type(obj) in atoms:  # never keyed: spare the table a lookup (see _forget)
                return None
            return key_of(id(obj))  # sent before (a batch's own are keyed after it)

        self._pickler.persistent_id = persistent_id  # type: ignore[method-assign]

    def __len__(self) -> int:
        """How many objects (and fixed ones) the other side holds by key."""
        return len(self._sent)

    def send(self, root: object) -> Iterator[tuple[int, bytes]]:
        """The batches that rebuild ``root`` where a :class:`Receiver` took every batch
        sent before: (first key, pickle of the batch's objects), children first.
        ``root``'s key is :meth:`key` once they were all taken."""
        batch: list[object] = []
        weight = 0
        for obj in self._new_objects(root):
            if type(obj) in _CONTAINERS and len(obj) > BATCH:  # type: ignore[arg-type]
                if batch:
                    yield self._dump(batch)
                    batch, weight = [], 0
                yield from self._send_large(obj)
                continue
            batch.append(obj)
            weight += 1 + (len(obj) if isinstance(obj, _CONTAINERS) else 0)
            if weight >= BATCH:
                yield self._dump(batch)
                batch, weight = [], 0
        if batch:
            yield self._dump(batch)
        key = self._key_of[id(root)]
        if type(key) is int:  # not a fixed object
            self._roots.add(key)

    def _send_large(self, container: Any) -> Iterator[tuple[int, bytes]]:
        """A container of more than :data:`BATCH` items: a dict derived from one sent
        before when it can be (:class:`_Derived`), else its pieces first, a batch
        each, then the container joined from them (the pieces are held here, and
        there, until the next :meth:`dead` finds nothing else holds them)."""
        kind = type(container)
        if kind is dict:
            derived = self._derive(container)
            if derived is not None:
                yield self._dump([derived], as_=container)
                self._remember(container)
                return
        items = list(container.items() if kind is dict else container)
        pieces = [
            dict(items[i : i + BATCH]) if kind is dict else items[i : i + BATCH]
            for i in range(0, len(items), BATCH)
        ]
        for piece in pieces:
            yield self._dump([piece])
            self._roots.add(self._next - 1)  # a go-between: the next dead() finds it dead
        yield self._dump([_Joined(kind.__name__, pieces)], as_=container)
        if kind is dict:
            self._remember(container)

    def _derive(self, new: dict[Any, Any]) -> _Derived | None:
        """``new`` as a large dict sent before and what changed, if one is near enough."""
        for key in self._large.get(_signature(new), ()):
            base = cast(dict[Any, Any], self._sent[key])  # held: dead() prunes the keys
            changes = _changes(new, base)
            if changes is not None:
                return _Derived(base, changes)
        return None

    def _remember(self, container: dict[Any, Any]) -> None:
        """``container``, just sent, as a base for the next ones (the last 4 of a
        signature)."""
        key = self._key_of[id(container)]
        assert type(key) is int
        keys = self._large.setdefault(_signature(container), [])
        keys.append(key)
        del keys[:-4]

    def key(self, obj: object) -> Key:
        return self._key_of[id(obj)]

    def dead(self) -> list[int]:
        """The keys sent that nothing here holds any more (the config they were part of
        was let go of), forgotten here: the receiver drops them in this order.

        Looked for from the roots sent (and the pieces of large containers): a dead
        one is forgotten, then its children are looked at, and so on; only what died
        is visited, not every object sent (a walk of them all would sweep the
        processor's cache the server's calls use).  A parent comes before its
        children: once it is let go of, they are held by this table alone too."""
        dead: list[int] = []
        for root in sorted(self._roots, reverse=True):
            self._forget(root, dead)
        # the roots still held (looked up one by one: ``intersection_update`` would
        # walk every key sent, 3 ms through 400,000 of them, sweeping the shared cache)
        sent = self._sent
        self._roots = {root for root in self._roots if root in sent}
        self._large = {
            signature: alive
            for signature, keys in self._large.items()
            if (alive := [key for key in keys if key in sent])
        }
        return dead

    def _forget(self, key: int, dead: list[int]) -> None:
        """Forget ``key`` and, after it, what only it held (appended to ``dead``).

        A child is first looked at by its count of references: one held by something
        else (most of them: a reload keeps what did not change) is passed over
        without a lookup in the tables, where each lookup is a miss in the shared
        cache (400,000 objects sent for 100,000 rule lines)."""
        sent, key_of = self._sent, self._key_of
        stack: list[object] = [sent.get(key)]
        while stack:
            obj = stack.pop()
            # held by this table, ``obj`` and the argument: a fourth holds it still
            if obj is None or sys.getrefcount(obj) > 3:
                continue
            key_or_none = key_of.get(id(obj))
            if type(key_or_none) is not int:  # forgotten already, or a fixed object
                continue
            children = [child for child in _children(obj) if type(child) not in _ATOMS]
            del key_of[id(obj)], sent[key_or_none]
            dead.append(key_or_none)
            del obj  # let go of: its children may be held by this table alone now
            stack += children
            del children

    def _new_objects(self, root: object) -> list[object]:
        """The objects ``root`` reaches that were never sent, children first (each
        after every object it holds: a cycle between new objects cannot be sent)."""
        key_of, order = self._key_of, []
        seen: set[int] = set()
        open_: set[int] = set()  # reached, its children not all listed yet
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            obj, done = stack.pop()
            oid = id(obj)
            if done:
                open_.discard(oid)
                order.append(obj)
                continue
            if oid in seen or oid in key_of:
                continue
            seen.add(oid)
            open_.add(oid)
            stack.append((obj, True))
            if self._is_opaque(type(obj)):
                continue
            for child in _children(obj):
                if type(child) in _ATOMS or id(child) in key_of or isinstance(child, _BY_NAME):
                    continue  # held by value, sent before (most of them), or saved by name
                if id(child) in open_:
                    raise TransferError(f"a {type(obj).__qualname__} is part of a cycle")
                stack.append((child, False))
        return order

    def _is_opaque(self, kind: type) -> bool:
        known = self._opaque.get(kind)
        if known is None:
            known = self._opaque[kind] = _opaque(kind)
        return known

    def _dump(self, batch: list[object], as_: object = None) -> tuple[int, bytes]:
        """``batch`` pickled, its objects keyed (``as_``: the object a batch of one
        stands for)."""
        first = self._next
        try:
            self._pickler.dump(batch)
        except Exception as exc:  # pickle's errors are of many kinds
            raise TransferError(f"cannot pickle the config: {exc!r}") from exc
        finally:
            self._pickler.clear_memo()
        for key, obj in enumerate(batch if as_ is None else [as_], first):
            self._key_of[id(obj)] = key
            self._sent[key] = obj
        self._next = first + len(batch)
        data = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return first, data


def _signature(container: dict[Any, Any]) -> tuple[int, Any, Any]:
    return len(container), next(iter(container)), next(reversed(container))


class Receiver:
    """The server's side: rebuilds the batches, holds every object by key.

    Keys are consecutive numbers: they are kept in blocks of :data:`BLOCK` (a
    block goes when its last object does), not in one dict, whose growing past
    400,000 keys would copy them all in one go (30 ms)."""

    def __init__(self, fixed: Mapping[Key, object]) -> None:
        self._fixed = dict(fixed)
        self._blocks: dict[int, list[Any]] = {}
        self._held: dict[int, int] = {}  # block -> how many objects it holds
        self._next = 0
        blocks, fixed = self._blocks, self._fixed

        def load(key: Key) -> Any:  # pickle's persistent_load: once per reference
            if type(key) is not int:
                return fixed[key]
            found = blocks[key >> _BLOCK_BITS][key & _SLOT]  # KeyError: a block gone
            if found is None:
                raise KeyError(key)  # dropped: the sender should not name it any more
            return found

        self._load = load

    def __len__(self) -> int:
        return len(self._fixed) + sum(self._held.values())

    def take(self, first: int, data: bytes) -> None:
        """Rebuild one batch (its objects' children were taken before)."""
        if first != self._next:
            raise TransferError(f"batch {first} out of order (expected {self._next})")
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = self._load  # type: ignore[method-assign]
        try:
            objects: list[Any] = unpickler.load()
        except Exception as exc:  # unpickling fails in many ways; a key unknown here
            why = f"batch {first} cannot be rebuilt: {exc!r}"
        else:
            why = ""
        if why:  # raised outside the except: no frame of this table kept by a cycle
            raise TransferError(why)
        blocks, held = self._blocks, self._held
        for key, obj in enumerate(objects, first):
            number = key >> _BLOCK_BITS
            block = blocks.get(number)
            if block is None:
                block = blocks[number] = [None] * BLOCK
                held[number] = 0
            block[key & _SLOT] = obj
            held[number] += 1
        self._next = first + len(objects)

    def find(self, key: object) -> Any:
        """The object of ``key``, None when there is none (a key the sender made up)."""
        if not isinstance(key, (int, str)):
            return None
        try:
            return self.get(key)
        except (KeyError, IndexError):
            return None

    def get(self, key: Key) -> Any:
        """The object of ``key`` (KeyError: never sent, or dropped)."""
        if type(key) is not int:
            return self._fixed[key]
        block = self._blocks.get(key >> _BLOCK_BITS)
        found = None if block is None else block[key & _SLOT]
        if found is None:
            raise KeyError(key)
        return found

    def drop(self, keys: Sequence[int]) -> None:
        """Let go of ``keys`` (in the sender's order: each frees one object)."""
        blocks, held = self._blocks, self._held
        for key in keys:
            number = key >> _BLOCK_BITS
            blocks[number][key & _SLOT] = None
            held[number] -= 1
            if not held[number]:
                del blocks[number], held[number]


__all__ = ["BATCH", "Key", "Receiver", "Sender", "TransferError"]
