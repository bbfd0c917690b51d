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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from autocom.agi.session import AgiSession

__all__ = ["AgiCommand", "Plan", "Planned", "set_variable"]


class AgiCommand(NamedTuple):
    """One AGI command: its verb (``SET VARIABLE``) and its arguments, unquoted."""

    verb: str
    args: tuple[str, ...]


Plan = Sequence[AgiCommand]


def set_variable(name: str, value: str) -> AgiCommand:
    """``SET VARIABLE name value``."""
    return AgiCommand("SET VARIABLE", (name, value))


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
