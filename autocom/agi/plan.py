"""Planned hooks: a decision that is known before the first command is sent.

Most hooks are a dialog (ask, wait, decide on the answer) and run as a coroutine
in a task.  Some decide everything from the environment alone: call rights read
the caller and the dialed number, decide, and set two variables.  Such a hook is
a plain function returning its commands (``AgiCommand``); ``Planned`` wraps it.

A ``Planned`` is an ordinary AGI handler too (awaiting it sends the commands one
by one through the session's typed API: that is its meaning), and the FastAGI
server runs it without a task: it sends the first command, and each reply, as it
arrives in the connection's callback, sends the next one (``AgiSession.run_plan``).
Both ways send the same commands, one at a time, each after the previous reply,
and end the same way: a reply other than 200 stops the plan with the error the
typed API raises (``AgiHangup`` for 511, ``AgiCommandError`` otherwise).

Each command is a round trip to Asterisk on the call's path: ``set_variables``
sets several plain variables in one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from autocom.agi.session import AgiSession

__all__ = ["AgiCommand", "Plan", "Planned", "set_variable", "set_variables"]


class AgiCommand(NamedTuple):
    """One AGI command: its verb (``SET VARIABLE``) and its arguments, unquoted."""

    verb: str
    args: tuple[str, ...]


Plan = Sequence[AgiCommand]


def set_variable(name: str, value: str) -> AgiCommand:
    """``SET VARIABLE name value``."""
    return AgiCommand("SET VARIABLE", (name, value))


# What Asterisk's ARRAY() splits and reads back unchanged (its values are split
# on commas, and quotes, backslashes and brackets are read as syntax): plain names
# and plain values only.
_ARRAY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARRAY_VALUE = re.compile(r"[A-Za-z0-9_.:+*#@/=-]*")
ARRAY_MAX = 100  # ARRAY() reads at most 100 names


@lru_cache(maxsize=1024)  # a hook sets a few combinations: each checked and made once
def set_variables(*pairs: tuple[str, str]) -> Plan:
    """Channel variables ``(name, value), ...`` in one round trip when they are plain:
    ``SET VARIABLE "ARRAY(N1,N2)" "v1,v2"`` (func_strings' ARRAY(), which the
    project's dialplan already needs for FILTER()).  A name or a value with any
    other character (a caller's name, a prompt list) gets a ``SET VARIABLE`` of
    its own, as ``set_variable`` sends it."""
    if 1 < len(pairs) <= ARRAY_MAX and all(
        _ARRAY_NAME.fullmatch(name) and _ARRAY_VALUE.fullmatch(value) for name, value in pairs
    ):
        names = ",".join(name for name, _ in pairs)
        values = ",".join(value for _, value in pairs)
        return (AgiCommand("SET VARIABLE", (f"ARRAY({names})", values)),)
    return tuple(set_variable(name, value) for name, value in pairs)


class Planned:
    """An AGI handler made of a function that returns the commands to send."""

    __slots__ = ("plan",)

    def __init__(self, plan: Callable[[AgiSession], Plan]) -> None:
        self.plan = plan

    async def __call__(self, session: AgiSession) -> None:
        for command in self.plan(session):
            await session.command(command.verb, *command.args)

    def __repr__(self) -> str:
        return f"Planned({self.plan!r})"
