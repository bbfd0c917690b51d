"""GET /status on autocom's admin listener: active calls (ARI GET /channels) and links.

Like Asterisk's ``core show calls`` plus ``xivo-service status``: what is up
(FastAGI, ARI, state store, directory) and which calls are in progress.
``autocom status`` (apps/ivr/cli.py) prints it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from autocom.ari.errors import AriError
from autocom.store.base import StoreError

if TYPE_CHECKING:
    from apps.ivr import IvrFeature


def routes(feature: IvrFeature) -> Sequence[web.AbstractRouteDef]:
    async def status(request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps(await collect(feature)), content_type="application/json"
        )

    return [web.get("/status", status)]


async def collect(feature: IvrFeature) -> dict[str, Any]:
    ctx = feature._ctx
    out: dict[str, Any] = {"links": {}, "calls": None}
    links: dict[str, Any] = out["links"]
    if ctx is not None:
        settings = ctx.config.current.settings
        links["fastagi"] = {
            "status": "up",
            "listen": f"{settings.agi.host}:{settings.agi.port}",
            "active_sessions": ctx.metrics.active_sessions,
        }
        try:
            ok = await asyncio.wait_for(ctx.store.ping(), timeout=1.0)
            links["store"] = {"status": "up" if ok else "down", "backend": settings.state.backend}
        except (TimeoutError, StoreError, OSError) as exc:
            links["store"] = {"status": "down", "error": str(exc) or type(exc).__name__}
        directory = ctx.features.get("directory")
        dir_status = getattr(directory, "status", None)
        if callable(dir_status):
            links["directory"] = dir_status()
        else:
            links["directory"] = {"status": "not reported"}
    ari = feature.status()
    links["ari"] = {
        "status": "up" if ari["connected"] else ("down" if ari["configured"] else "not configured"),
        **ari,
    }
    if feature.client is not None:
        try:
            channels = await feature.client.channels()
        except AriError as exc:
            out["calls_error"] = str(exc)
        else:
            out["calls"] = [
                {
                    "channel": c.name,
                    "id": c.id,
                    "state": c.state,
                    "caller": c.caller.number,
                    "caller_name": c.caller.name,
                    "location": f"{c.dialplan.exten}@{c.dialplan.context}:{c.dialplan.priority}",
                    "application": c.dialplan.app_name,
                    "data": c.dialplan.app_data,
                    "since": c.creationtime,
                }
                for c in channels
            ]
    return out
