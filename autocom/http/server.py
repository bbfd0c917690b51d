"""The aiohttp application: framework routes plus each feature's routes."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from autocom import __version__
from autocom.context import AppContext
from autocom.store.base import StoreError

CTX_KEY: web.AppKey[AppContext] = web.AppKey("autocom_ctx", AppContext)


def build_app(ctx: AppContext) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[CTX_KEY] = ctx
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for feature in ctx.features.values():
        app.router.add_routes(feature.http_routes(ctx))
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the config is loaded and the state store answers; 503 otherwise."""
    ctx = request.app[CTX_KEY]
    try:
        store_ok = await asyncio.wait_for(ctx.store.ping(), timeout=1.0)
    except (TimeoutError, StoreError, OSError):
        store_ok = False
    holder = ctx.config
    body = {
        "status": "ok" if store_ok else "degraded",
        "version": __version__,
        "store": "ok" if store_ok else "unavailable",
        "config": str(holder.current.path),
        "last_reload_error": (
            [str(i) for i in holder.last_error.issues] if holder.last_error else None
        ),
        "active_sessions": ctx.metrics.active_sessions,
    }
    return web.Response(
        text=json.dumps(body),
        status=200 if store_ok else 503,
        content_type="application/json",
    )


async def metrics(request: web.Request) -> web.Response:
    ctx = request.app[CTX_KEY]
    text = ctx.metrics.render()
    holder = ctx.config
    text += (
        "# HELP autocom_config_reloads_total Config reloads, by result.\n"
        "# TYPE autocom_config_reloads_total counter\n"
        f'autocom_config_reloads_total{{result="ok"}} {holder.reloads}\n'
        f'autocom_config_reloads_total{{result="refused"}} {holder.failed_reloads}\n'
    )
    return web.Response(text=text, content_type="text/plain", charset="utf-8")
