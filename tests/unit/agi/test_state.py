"""autocom.agi.state: every input in every state, against the matrix below.

The matrix is written here by hand from the protocol (docs/agi.md, "The
connection's state"), not derived from TRANSITIONS: a changed transition fails here.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from autocom.agi import state as state_module
from autocom.agi.errors import (
    AgiConnectionClosed,
    AgiError,
    AgiProtocolError,
    AgiStateError,
    AgiTimeout,
)
from autocom.agi.state import (
    AFTER_REPLY,
    AFTER_SEND,
    TRANSITIONS,
    ConnectionState,
    Input,
    State,
)

ID, A, H, HA, C, E = State
X = None  # refused

# Columns: SEND PROVISIONAL REPLY HANGUP EOF TIMEOUT CANCEL GARBAGE
MATRIX: dict[State, tuple[State | None, ...]] = {
    ID: (A, X, X, H, C, X, E, E),
    A: (X, A, ID, HA, C, E, E, E),
    H: (HA, X, X, H, C, X, E, E),
    HA: (X, HA, H, HA, C, E, E, E),
    C: (X, X, X, C, C, X, C, X),
    E: (X, E, E, E, E, E, E, E),
}

# A real path from a new connection to each state.
PATHS: dict[State, tuple[Input, ...]] = {
    ID: (),
    A: (Input.SEND,),
    H: (Input.HANGUP,),
    HA: (Input.HANGUP, Input.SEND),
    C: (Input.EOF,),
    E: (Input.SEND, Input.TIMEOUT),
}

CASES = [
    pytest.param(state, event, MATRIX[state][event], id=f"{state.name}-{event.name}")
    for state, event in itertools.product(State, Input)
]


def reach(state: State) -> ConnectionState:
    machine = ConnectionState()
    for event in PATHS[state]:
        machine.handle(event, AgiTimeout("late") if event is Input.TIMEOUT else None)
    assert machine.state is state
    return machine


def test_the_matrix_covers_every_state_and_input() -> None:
    assert set(MATRIX) == set(State)
    assert all(len(row) == len(Input) for row in MATRIX.values())


@pytest.mark.parametrize(("state", "event", "expected"), CASES)
def test_every_input_in_every_state(state: State, event: Input, expected: State | None) -> None:
    machine = reach(state)
    if expected is not None:
        assert machine.handle(event) is expected
        assert machine.state is expected
        return
    with pytest.raises(AgiError) as info:
        machine.handle(event)
    if state in (C, E):
        # Ended: the error that ended it, and it stays where it is.
        assert machine.state is state
        expected_error = AgiConnectionClosed if state is C else AgiTimeout
        assert type(info.value) is expected_error
    else:
        # Open: a protocol error, and the connection cannot be trusted any more.
        assert isinstance(info.value, AgiStateError)
        assert isinstance(info.value, AgiProtocolError)
        assert f"state {state.name}" in str(info.value)
        assert machine.state is E
        assert machine.error is info.value
        with pytest.raises(AgiStateError):
            machine.handle(Input.SEND)  # every later command raises the same error


@pytest.mark.parametrize(("state", "event", "expected"), CASES)
def test_the_hot_path_columns_agree(state: State, event: Input, expected: State | None) -> None:
    """AgiSession reads AFTER_SEND / AFTER_REPLY itself: they must say what handle() does."""
    if event is Input.SEND:
        assert AFTER_SEND[state] is expected
    elif event is Input.REPLY:
        assert AFTER_REPLY[state] is expected
    assert TRANSITIONS[state].get(event) is expected


def test_refusals_name_what_went_wrong() -> None:
    machine = reach(ID)
    with pytest.raises(AgiStateError, match="a reply nobody asked for"):
        machine.handle(Input.REPLY)
    machine = reach(A)
    with pytest.raises(AgiStateError, match="never pipelined"):
        machine.handle(Input.SEND)


def test_hung_up_stays_true_once_set() -> None:
    machine = ConnectionState()
    assert machine.hung_up is False
    for event in (Input.SEND, Input.REPLY, Input.SEND, Input.EOF):
        machine.handle(event)
    assert machine.hung_up is False  # nothing said the channel hung up
    machine = reach(A)
    machine.handle(Input.HANGUP)
    machine.handle(Input.REPLY)
    assert (machine.state, machine.hung_up) == (H, True)
    machine.handle(Input.EOF)
    assert (machine.state, machine.hung_up) == (C, True)
    machine = reach(C)
    machine.handle(Input.HANGUP)  # the reply taken after the close was a 511
    assert (machine.state, machine.hung_up) == (C, True)


def test_the_first_error_is_kept() -> None:
    machine = reach(A)
    first = AgiTimeout("GET VARIABLE: no reply within 1 s")
    machine.handle(Input.TIMEOUT, first)
    machine.handle(Input.GARBAGE, AgiProtocolError("the late reply, cut"))
    machine.handle(Input.EOF)
    assert machine.error is first
    with pytest.raises(AgiTimeout) as info:
        machine.handle(Input.SEND)
    assert info.value is first


def test_closed_by_eof_raises_connection_closed_on_send() -> None:
    machine = reach(ID)
    machine.handle(Input.EOF)
    assert machine.error is None  # a plain end of file is not an error
    with pytest.raises(AgiConnectionClosed, match="closed"):
        machine.handle(Input.SEND)
    assert machine.state is C


def test_a_command_cycle() -> None:
    """What a GOSUB looks like: send, 100 Trying, HANGUP on the way, the final reply."""
    machine = ConnectionState()
    seen = [
        machine.handle(event)
        for event in (Input.SEND, Input.PROVISIONAL, Input.HANGUP, Input.REPLY, Input.SEND)
    ]
    assert seen == [A, A, HA, H, HA]


def test_the_state_module_is_sans_io() -> None:
    """No asyncio, no socket: what it imports is the standard library's types and
    the AGI errors."""
    tree = ast.parse(Path(state_module.__file__).read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {
        "__future__",
        "collections.abc",
        "enum",
        "typing",
        "autocom.agi.errors",
    }
