"""The redis-server fixture itself: start, stop, kill, pause, restart on the same port."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration


def test_server_answers_and_stops(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.ping()
    assert redis_server.command("SET", "k", "v").strip() == b"OK"
    redis_server.stop()
    assert not redis_server.running
    assert not redis_server.ping()


def test_kill_then_start_on_same_port(redis_server: RedisServer) -> None:
    port = redis_server.port
    redis_server.kill()
    assert not redis_server.ping()
    redis_server.start()
    assert redis_server.port == port
    assert redis_server.ping()


def test_pause_accepts_but_does_not_answer(redis_server: RedisServer) -> None:
    redis_server.pause()
    started = time.monotonic()
    assert not redis_server.ping(timeout=0.2)
    assert time.monotonic() - started < 2
    redis_server.resume()
    assert redis_server.ping()


def test_appendonly_server_keeps_data_across_kill(
    redis_server_factory: Callable[..., RedisServer],
) -> None:
    server = redis_server_factory(appendonly=True)
    assert server.command("SET", "kept", "yes").strip() == b"OK"
    server.kill()
    server.start()
    assert server.command("GET", "kept").strip() == b"yes"
