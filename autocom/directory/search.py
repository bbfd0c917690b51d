"""Searching the directory from another feature, without importing the directory feature.

The directory feature (apps/directory) implements :class:`DirectoryProvider`;
a feature that needs dial by name (the IVR) asks the app context
(``ctx.directory_for(config)``) and gets a :class:`KeypadSearch` getter, or None
when no loaded feature serves a directory for that config.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autocom.directory.model import Page
from autocom.directory.numbers import NumberPlan

if TYPE_CHECKING:
    from autocom.loader import Config


class KeypadSearch(Protocol):
    """A directory that searches by keypad digits ('533' -> Lefèvre)."""

    @property
    def plan(self) -> NumberPlan: ...

    async def search_keypad(self, digits: str, limit: int = 16, offset: int = 0) -> Page: ...


# Gets the directory of a config (built on first use, rebuilt after a reload).
KeypadSearchGetter = Callable[[], Awaitable[KeypadSearch]]


@runtime_checkable
class DirectoryProvider(Protocol):
    """A feature that serves the site's directory to the other features."""

    def serves(self, config: Config) -> bool:
        """True when ``config`` has a directory this feature can search."""
        ...

    async def keypad_search(self, config: Config) -> KeypadSearch:
        """The directory of ``config``."""
        ...
