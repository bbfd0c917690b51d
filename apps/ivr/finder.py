"""Dial by name, the I/O side: ask the directory, within a time budget.

The engine's ``Lookup`` action is applied by calling a :data:`Finder`; what it
returns is fed back to the engine as a ``Found`` event.  With the directory
feature loaded, the matches come from its ``search_keypad`` (the directory's
site, file and LDAP sources, merged and deduplicated by the directory).  When
the directory is not loaded, fails, finds nothing while a source is down, or
does not answer within the budget (1 s), the site's users are searched
instead, so the caller never waits in silence.  The ``origin`` of the result
says which, and lands in the call's trace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from apps.ivr import engine
from apps.ivr.names import find_users, matches_from_entries
from autocom.directory.search import KeypadSearchGetter
from autocom.site.model import User

log = logging.getLogger("autocom.ivr")

DIRECTORY_BUDGET = 1.0  # seconds the caller may wait for the directory's matches
SEARCH_FACTOR = 3  # ask the directory for more: entries without a reachable number are dropped

Finder = Callable[[str, int, bool], Awaitable[engine.Found]]

# Searches that missed the budget keep running (their answer fills the directory's
# cache for the next caller); kept here so that they are not garbage-collected.
_late: set[asyncio.Task[engine.Found]] = set()


def site_finder(users: Iterable[User]) -> Finder:
    """The site's users only (no directory feature)."""
    people = tuple(users)

    async def find(keys: str, limit: int, external: bool) -> engine.Found:
        return engine.Found(find_users(people, keys, limit), "site users")

    return find


def directory_finder(
    service: KeypadSearchGetter, users: Iterable[User], budget: float = DIRECTORY_BUDGET
) -> Finder:
    """The directory's keypad search, the site's users when it cannot answer in time."""
    people = tuple(users)

    async def search(keys: str, limit: int, external: bool) -> engine.Found:
        svc = await service()
        page = await svc.search_keypad(keys, limit=max(16, limit * SEARCH_FACTOR))
        matches = matches_from_entries(
            page.entries, limit, external=external, dialable=svc.plan.dialable
        )
        if page.degraded and not matches:
            raise _Degraded(", ".join(page.degraded))
        origin = "directory"
        if page.degraded:
            origin += f" (without {', '.join(page.degraded)})"
        return engine.Found(matches, origin)

    async def find(keys: str, limit: int, external: bool) -> engine.Found:
        task = asyncio.ensure_future(search(keys, limit, external))
        try:
            return await asyncio.wait_for(asyncio.shield(task), budget)
        except TimeoutError:
            why = f"directory did not answer within {budget:g} s"
        except _Degraded as exc:
            why = f"directory found nothing, {exc} did not answer"
        except Exception as exc:  # a failing directory must not leave the caller in silence
            log.warning("IVR dial by name: directory search failed: %r", exc)
            why = f"directory failed: {type(exc).__name__}"
        finally:
            if not task.done():  # timed out, or the call ended: let it finish
                _late.add(task)
                task.add_done_callback(_forget_late)
        return engine.Found(find_users(people, keys, limit), f"site users ({why})")

    return find


class _Degraded(Exception):
    """The directory found nothing and a source was down: ask the site's users."""


def _forget_late(task: asyncio.Task[engine.Found]) -> None:
    _late.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.info("IVR dial by name: late directory search failed: %r", task.exception())
