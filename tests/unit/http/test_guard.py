"""RequestScanner: the phase of a request from its bytes, whole or byte by byte."""

from __future__ import annotations

import pytest

from autocom.http.guard import MAX_HEADER_BYTES, Guard, Limits, RequestScanner

GET = b"GET /directory/yealink?term=du HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /x HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello"
CHUNKED = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"


def phases(data: bytes, step: int) -> list[str]:
    scanner = RequestScanner()
    return [scanner.feed(data[i : i + step]) for i in range(0, len(data), step)]


@pytest.mark.parametrize("request_bytes", [GET, POST, CHUNKED, GET + POST + CHUNKED + GET])
@pytest.mark.parametrize("step", [1, 2, 7, 10_000])
def test_complete_requests_end_idle(request_bytes: bytes, step: int) -> None:
    assert phases(request_bytes, step)[-1] == "idle"


def test_phases_of_a_request_sent_slowly() -> None:
    scanner = RequestScanner()
    assert scanner.phase == "headers"  # a new connection owes its headers
    assert scanner.feed(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n") == "headers"
    assert scanner.feed(b"\r\nhel") == "body"
    assert scanner.feed(b"lo") == "idle"
    assert scanner.feed(b"G") == "headers"  # the next request has begun
    assert scanner.feed(GET[1:]) == "idle"


def test_chunked_body_ends_at_the_last_chunk_split_anywhere() -> None:
    scanner = RequestScanner()
    assert scanner.feed(CHUNKED[:-3]) == "body"
    assert scanner.feed(CHUNKED[-3:]) == "idle"


def test_endless_headers_are_refused() -> None:
    scanner = RequestScanner()
    scanner.feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(ValueError, match="too large"):
        for _ in range(MAX_HEADER_BYTES // 1000 + 2):
            scanner.feed(b"X-Junk: " + b"a" * 990 + b"\r\n")


def test_guard_caps_per_address_and_in_all() -> None:
    guard = Guard(Limits(3, 2, 5.0, 5.0), "test")
    assert guard.admit("10.0.0.1", 0.0) and guard.admit("10.0.0.1", 0.0)
    assert not guard.admit("10.0.0.1", 0.0)  # its own cap
    assert guard.admit("10.0.0.2", 0.0)
    assert not guard.admit("10.0.0.3", 0.0)  # the listener's cap
    guard.release("10.0.0.1")
    assert guard.admit("10.0.0.3", 0.0)
    assert guard.refused == 2 and guard.open == 3
    assert guard.per_address == {"10.0.0.1": 1, "10.0.0.2": 1, "10.0.0.3": 1}
