"""cancel_and_wait: background tasks stopped, their end awaited; a failure logged,
the caller's own cancellation not swallowed."""

from __future__ import annotations

import asyncio
import logging

import pytest

from autocom.tasks import cancel_and_wait


async def test_tasks_are_cancelled_and_have_ended_on_return() -> None:
    cleaned: list[str] = []

    async def worker(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.01)  # a cleanup that takes a turn or two
            cleaned.append(name)

    a = asyncio.create_task(worker("a"))
    b = asyncio.create_task(worker("b"))
    await asyncio.sleep(0)
    await cancel_and_wait(a, None, b)
    assert a.cancelled() and b.cancelled()
    assert sorted(cleaned) == ["a", "b"]
    await cancel_and_wait()  # nothing to stop


async def test_a_task_that_failed_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("lost the connection")

    task = asyncio.create_task(broken(), name="feeder")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, "autocom.tasks"):
        await cancel_and_wait(task)
    assert "feeder had failed" in caplog.text and "lost the connection" in caplog.text


async def test_the_callers_own_cancellation_goes_through() -> None:
    started = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            started.set()
            await asyncio.sleep(3600)  # slow to end: the caller is cancelled meanwhile

    inner = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancel_and_wait(inner))
    await started.wait()
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    inner.cancel()
    await asyncio.wait([inner])
