"""The two aiohttp applications: the phones' listener and the admin listener.

The phone listener (``http:``) serves only what phones ask for (each feature's
``http_routes``, e.g. the directory).  The admin listener (``admin:``, loopback
by default) serves the server's own pages and each feature's ``admin_routes``:

- ``GET /livez``: 200 while the process answers (liveness: restart it if not);
- ``GET /readyz``: 200 when the state store answers and the rule files on disk
  loaded; 503 with the reasons otherwise (readiness: send calls elsewhere);
- ``GET /healthz``: the same as /readyz, with the config details (kept for
  monitors written against earlier versions);
- ``GET /metrics``: Prometheus text.

When ``admin.user`` is set, every admin request needs those HTTP Basic
credentials; off loopback they are required (the config check refuses it).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from autocom import __version__
from autocom.config.settings import AdminSettings
from autocom.context import AppContext
from autocom.store.base import StoreError

CTX_KEY: web.AppKey[AppContext] = web.AppKey("autocom_ctx", AppContext)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(ctx: AppContext) -> web.Application:
    """The phones' application: the features' phone routes only."""
    app = web.Application(client_max_size=64 * 1024)
    app[CTX_KEY] = ctx
    for feature in ctx.features.values():
        app.router.add_routes(feature.http_routes(ctx))
    return app


def build_admin_app(ctx: AppContext, settings: AdminSettings) -> web.Application:
    """The admin application: probes, metrics and the features' admin routes."""
    middlewares = [_basic_auth(settings)] if settings.user else []
    app = web.Application(client_max_size=64 * 1024, middlewares=middlewares)
    app[CTX_KEY] = ctx
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for feature in ctx.features.values():
        app.router.add_routes(feature.admin_routes(ctx))
    return app


def _basic_auth(settings: AdminSettings) -> Any:
    user = settings.user.encode()
    password = settings.password.encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        name, sep, secret = given.partition(b":")
        ok_user = hmac.compare_digest(name, user)
        ok_password = hmac.compare_digest(secret, password)
        if scheme.lower() != "basic" or not sep or not (ok_user and ok_password):
            raise web.HTTPUnauthorized(
                text="authentication required\n",
                headers={"WWW-Authenticate": 'Basic realm="autocom admin", charset="UTF-8"'},
            )
        return await handler(request)

    return check


async def livez(request: web.Request) -> web.Response:
    """200 while the event loop answers: nothing else is checked."""
    return web.Response(text="alive\n")


async def readiness(ctx: AppContext) -> dict[str, Any]:
    """What /readyz and /healthz report; ``ready`` is False when a part is missing."""
    try:
        store_ok = await asyncio.wait_for(ctx.store.ping(), timeout=1.0)
    except (TimeoutError, StoreError, OSError):
        store_ok = False
    error = ctx.config.last_error
    problems = [] if store_ok else ["state store unavailable"]
    if error is not None:
        problems.append("a rule file on disk does not load (the last good config serves)")
    return {
        "ready": not problems,
        "problems": problems,
        "store": "ok" if store_ok else "unavailable",
        "last_reload_error": [str(i) for i in error.issues] if error else None,
    }


def _json(body: dict[str, Any], ready: bool) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=200 if ready else 503, content_type="application/json"
    )


async def readyz(request: web.Request) -> web.Response:
    """200 when calls can be served as configured; 503 and the reasons otherwise."""
    state = await readiness(request.app[CTX_KEY])
    return _json(state, state["ready"])


async def healthz(request: web.Request) -> web.Response:
    """/readyz with the version, config path and sessions in progress."""
    ctx = request.app[CTX_KEY]
    state = await readiness(ctx)
    body = {
        "status": "ok" if state["ready"] else "degraded",
        "version": __version__,
        "config": str(ctx.config.current.path),
        "config_hash": ctx.config.current.digest,  # same rules on every node?
        "node": ctx.node,
        "active_sessions": ctx.metrics.active_sessions,
        **state,
    }
    return _json(body, state["ready"])


async def metrics(request: web.Request) -> web.Response:
    ctx = request.app[CTX_KEY]
    return web.Response(text=ctx.metrics.render(), content_type="text/plain", charset="utf-8")
