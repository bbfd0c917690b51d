"""How one feature renders entries for IP phones on behalf of another.

The directory feature renders remote phonebooks in each vendor's XML; a feature
that has entries to show on a phone (e.g. the call history of apps/accounting)
finds a ``PhonebookRenderer`` among ``ctx.features`` and asks it, so apps never
import each other.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from autocom.directory.model import Page
from autocom.loader import Config


@runtime_checkable
class PhonebookRenderer(Protocol):
    def render_phonebook(
        self, config: Config, vendor: str, page: Page, title: str, base_url: str
    ) -> tuple[bytes, str] | None:
        """(body, content type) of ``page`` for ``vendor``'s phones; None: unknown vendor
        or no directory rules loaded."""
