"""Sessions, CSRF tokens and the login rate limit (in this process's memory).

A session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie (Secure
unless portal.yaml says secure_cookies: false); each session has its own CSRF
token, written in every form and checked on every POST.  A restart logs everyone
out, which is the safe side.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from apps.portal.rules import RateLimit, Role


@dataclass
class Session:
    login: str
    extension: str
    roles: tuple[Role, ...]
    csrf: str
    expires: float

    def has(self, role: Role) -> bool:
        """Only the roles given: an admin who is also helpdesk is given both."""
        return role in self.roles


PURGE_ABOVE = 10_000  # sessions kept before the expired ones are dropped at a login


@dataclass
class Sessions:
    minutes: int
    _by_id: dict[str, Session] = field(default_factory=dict)

    def open(self, login: str, extension: str, roles: tuple[Role, ...]) -> str:
        if len(self._by_id) >= PURGE_ABOVE:
            now = time.monotonic()
            self._by_id = {k: v for k, v in self._by_id.items() if v.expires >= now}
        sid = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        self._by_id[sid] = Session(login, extension, roles, csrf, self._deadline())
        return sid

    def _deadline(self) -> float:
        return time.monotonic() + self.minutes * 60

    def get(self, sid: str | None) -> Session | None:
        """The live session of ``sid`` (its idle deadline pushed back), else None."""
        if not sid:
            return None
        found = self._by_id.get(sid)
        if found is None:
            return None
        if found.expires < time.monotonic():
            del self._by_id[sid]
            return None
        found.expires = self._deadline()
        return found

    def close(self, sid: str | None) -> None:
        if sid:
            self._by_id.pop(sid, None)


def csrf_ok(session: Session, sent: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), sent.encode())


@dataclass
class LoginLimiter:
    """Failed logins counted per address and per account over a sliding window."""

    limit: RateLimit
    _fails: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._fails.setdefault(key, deque())
        while times and times[0] <= now - self.limit.window:
            times.popleft()
        return times

    def blocked(self, address: str, login: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return (
            len(self._recent(f"a:{address}", now)) >= self.limit.per_address
            or len(self._recent(f"l:{login}", now)) >= self.limit.per_account
        )

    def failed(self, address: str, login: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent(f"a:{address}", now).append(now)
        self._recent(f"l:{login}", now).append(now)
        if len(self._fails) > 100_000:  # a spray of logins: forget the oldest keys
            for key in list(self._fails)[:50_000]:
                del self._fails[key]
