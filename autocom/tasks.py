"""Stopping background tasks: the one way a component ends the tasks it started."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger("autocom.tasks")


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel ``tasks`` (None: none was started) and return once each has ended.

    A task's own cancellation is not raised here, the caller's is (``asyncio.wait``:
    a ``suppress(CancelledError)`` around ``await task`` would swallow both).  A task
    that had ended with an error is logged, not raised: a component's stop goes on,
    and so does the stop of the others."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    if not running:
        return
    await asyncio.wait(running)
    for task in running:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s had failed", task.get_name(), exc_info=task.exception())


__all__ = ["cancel_and_wait"]
