"""Routing by script name: an explicit list of routes, no decorators, no globals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from autocom.agi.session import AgiSession

__all__ = ["AgiHandler", "AgiRoute", "AgiRouter"]

AgiHandler = Callable[[AgiSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AgiRoute:
    """``AGI(agi://host/<script>...)`` is served by ``handler``."""

    script: str
    handler: AgiHandler


class AgiRouter:
    """Maps a script name (``env.script``, exact match) to its handler."""

    __slots__ = ("_handlers",)

    def __init__(self, routes: Iterable[AgiRoute]) -> None:
        handlers: dict[str, AgiHandler] = {}
        for route in routes:
            script = route.script.strip("/")
            if not script:
                raise ValueError("AgiRoute: empty script name")
            if script in handlers:
                raise ValueError(f"AgiRoute: script {script!r} is routed twice")
            handlers[script] = route.handler
        self._handlers = handlers

    def match(self, script: str) -> AgiHandler | None:
        handler = self._handlers.get(script)
        if handler is None and ("/" in script[:1] or "/" in script[-1:]):
            handler = self._handlers.get(script.strip("/"))
        return handler
