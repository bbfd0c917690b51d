"""The state of one AGI connection, sans-IO: one transition table (as h11's ``_state.py``).

Everything that changes the connection's state is an ``Input`` fed to
``ConnectionState.handle``; the next state is read from ``TRANSITIONS``, which
is the whole story: no flag elsewhere decides whether a command may be sent.

::

    IDLE --SEND--> AWAITING_REPLY --REPLY--> IDLE          (PROVISIONAL: GOSUB's 100)
      |                  |
    HANGUP             HANGUP        an inline HANGUP line, a 511, SPEECH's "hangup":
      v                  v           the channel is gone, commands may still be sent
    HUNG_UP --SEND--> HUNG_UP_AWAITING_REPLY --REPLY--> HUNG_UP

    any open state --EOF--> CLOSED         any open state --GARBAGE--> ERROR
    awaiting a reply --TIMEOUT or CANCEL--> ERROR   (a late reply must never
                                                     answer the next command)

An input the table does not allow raises: in CLOSED and ERROR, the error that
ended the connection (``AgiConnectionClosed``, ``AgiTimeout``, ...); in an open
state, ``AgiStateError`` (a protocol error: a reply nobody asked for, a command
sent while another awaits its reply), and the connection moves to ERROR.
``hung_up`` stays True once the channel hung up, also after CLOSED or ERROR.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Final, NoReturn

from autocom.agi.errors import AgiConnectionClosed, AgiError, AgiStateError

__all__ = ["AFTER_REPLY", "AFTER_SEND", "TRANSITIONS", "ConnectionState", "Input", "State"]


class State(IntEnum):
    IDLE = 0  # no command in flight, the channel up as far as we know
    AWAITING_REPLY = 1  # a command was written, its final reply has not come
    HUNG_UP = 2  # no command in flight, the channel hung up (Asterisk answers 511 or -1)
    HUNG_UP_AWAITING_REPLY = 3  # the channel hung up while (or before) a command awaits
    CLOSED = 4  # the connection ended (Asterisk closed it, or the server did)
    ERROR = 5  # unusable: a timeout, a cancelled wait, bytes that are not AGI


class Input(IntEnum):
    # The three inputs of every command come first (ConnectionState.handle's fast path).
    SEND = 0  # we wrote a command
    PROVISIONAL = 1  # "100 result=0 Trying..." (GOSUB): the final reply follows
    REPLY = 2  # a final reply: 200, 510, 511, 520
    HANGUP = 3  # the channel hung up: inline HANGUP line, 511, SPEECH RECOGNIZE's hangup
    EOF = 4  # the connection ended
    TIMEOUT = 5  # no reply within the reply timeout
    CANCEL = 6  # the task waiting for a reply was cancelled (the reply may still come)
    GARBAGE = 7  # bytes that are not AGI


IDLE, AWAITING, HUNG_UP, HUNG_UP_AWAITING, CLOSED, ERROR = State
SEND, PROVISIONAL, REPLY, HANGUP, EOF, TIMEOUT, CANCEL, GARBAGE = Input

# Every allowed (state, input) and the state it leads to; a missing pair is refused.
TRANSITIONS: Final[Mapping[State, Mapping[Input, State]]] = {
    IDLE: {
        SEND: AWAITING,
        HANGUP: HUNG_UP,  # a HANGUP line between commands (or right after the environment)
        EOF: CLOSED,
        CANCEL: ERROR,  # cancelled after its reply came, before taking it
        GARBAGE: ERROR,
    },
    AWAITING: {
        PROVISIONAL: AWAITING,
        REPLY: IDLE,
        HANGUP: HUNG_UP_AWAITING,  # the reply still comes
        EOF: CLOSED,
        TIMEOUT: ERROR,
        CANCEL: ERROR,  # its reply may still come: it must never answer the next command
        GARBAGE: ERROR,
    },
    HUNG_UP: {
        SEND: HUNG_UP_AWAITING,
        HANGUP: HUNG_UP,
        EOF: CLOSED,
        CANCEL: ERROR,
        GARBAGE: ERROR,
    },
    HUNG_UP_AWAITING: {
        PROVISIONAL: HUNG_UP_AWAITING,
        REPLY: HUNG_UP,
        HANGUP: HUNG_UP_AWAITING,
        EOF: CLOSED,
        TIMEOUT: ERROR,
        CANCEL: ERROR,
        GARBAGE: ERROR,
    },
    CLOSED: {
        HANGUP: CLOSED,  # the reply taken after the close was a 511
        EOF: CLOSED,  # end of file, then connection lost: both report it
        CANCEL: CLOSED,  # the close woke the waiter, then its task was cancelled
    },
    ERROR: {event: ERROR for event in Input if event is not SEND},  # the first error stays
}

# TRANSITIONS as a tuple indexed by state, then input (None: refused).
_TABLE: Final = tuple(tuple(TRANSITIONS[state].get(event) for event in Input) for state in State)
# Its SEND and REPLY columns, indexed by state: the two inputs of every command,
# which AgiSession looks up itself (a call less each); None goes through handle().
AFTER_SEND: Final = tuple(row[SEND] for row in _TABLE)
AFTER_REPLY: Final = tuple(row[REPLY] for row in _TABLE)

# What an input refused in an open state means (the others are allowed in every open state).
_REFUSED: Final = {
    SEND: "a command sent while another awaits its reply (commands are never pipelined)",
    PROVISIONAL: "a 100 reply nobody asked for",
    REPLY: "a reply nobody asked for",
    TIMEOUT: "a reply timeout while no command awaits its reply",
}


class ConnectionState:
    """Where one AGI connection stands; ``handle(input)`` moves it along ``TRANSITIONS``."""

    __slots__ = ("error", "hung_up", "state")

    def __init__(self) -> None:
        self.state = IDLE
        self.hung_up = False  # the channel hung up (stays True after CLOSED / ERROR)
        self.error: AgiError | None = None  # what ended the connection, if it was an error

    def handle(self, event: Input, error: AgiError | None = None) -> State:
        """Feed one input; returns the new state or raises (see the module's docstring).

        ``error``: for an input that ends the connection (EOF, TIMEOUT, CANCEL,
        GARBAGE), the error later commands raise (if None: AgiConnectionClosed).
        """
        new = _TABLE[self.state][event]
        if new is None:
            self._refuse(event)
        self.state = new
        if event is HANGUP:
            self.hung_up = True
        elif new >= CLOSED and self.error is None:
            self.error = error  # None for a plain EOF: _refuse makes one when needed
        return new

    def _refuse(self, event: Input) -> NoReturn:
        state = self.state
        if state >= CLOSED:  # the error that ended it
            raise self.error or AgiConnectionClosed(f"the AGI connection is {state.name.lower()}")
        error = AgiStateError(f"AGI {_REFUSED[event]} (state {self.state.name})")
        self.state = ERROR
        self.error = error
        raise error
