"""Assemble and run the server: the one lifespan that builds every dependency.

``running(...)`` loads the config (unless given one already loaded), opens the
state store, starts the features, the FastAGI server and the HTTP server, and
tears all of it down in reverse order.  ``serve(...)`` runs it until a shutdown
trigger fires (SIGINT/SIGTERM by default) and reloads the config on SIGHUP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, SessionReport
from autocom.agi.session import AgiSession
from autocom.clock import Clock
from autocom.context import AppContext
from autocom.feature import AgiRequest, Feature, Hook
from autocom.http.server import build_app
from autocom.loader import Config, load_config
from autocom.metrics import Metrics
from autocom.reload import ConfigHolder
from autocom.store.factory import open_store

log = logging.getLogger("autocom.server")


@dataclass
class Server:
    ctx: AppContext
    agi: FastAgiServer
    agi_port: int
    http_port: int | None


def _adapt(hook: Hook, ctx: AppContext) -> Callable[[AgiSession], Awaitable[None]]:
    async def handler(session: AgiSession) -> None:
        # One config snapshot and one clock reading per call: a reload in the
        # middle of a call never mixes two configs.
        await hook(AgiRequest(session, ctx.config.current, ctx, ctx.clock.now()))

    return handler


def build_router(features: Sequence[Feature], ctx: AppContext) -> AgiRouter:
    routes: list[AgiRoute] = []
    owners: dict[str, str] = {}
    for feature in features:
        for route in feature.hooks():
            if route.script in owners:
                raise ValueError(
                    f"AGI script {route.script!r} is served by both "
                    f"{owners[route.script]} and {feature.name}"
                )
            owners[route.script] = feature.name
            routes.append(AgiRoute(route.script, _adapt(route.hook, ctx)))
    return AgiRouter(routes)


@contextlib.asynccontextmanager
async def running(
    config: Config | Path | str,
    features: Sequence[Feature],
    *,
    clock: Clock | None = None,
    agi_host: str | None = None,
    agi_port: int | None = None,
    http_port: int | None = None,
    watch: bool = True,
) -> AsyncIterator[Server]:
    """Run autocom inside an ``async with``; ports 0 pick free ports.

    ``config`` is autocom.yaml's path, or a Config loaded from it with ``features``
    (`autocom serve` has loaded it to report errors before starting)."""
    if not isinstance(config, Config):
        config = await asyncio.to_thread(load_config, config, features)
    settings = config.settings
    holder = ConfigHolder(config, features)
    clock = clock or Clock(settings.timezone)
    store = await open_store(config)
    metrics = Metrics()
    ctx = AppContext(holder, store, clock, metrics, {f.name: f for f in features})
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        for feature in features:
            await feature.start(ctx)
            stack.push_async_callback(feature.stop)

        def on_session_end(report: SessionReport) -> None:
            metrics.session_ended(report.script, report.outcome, report.duration)

        agi = FastAgiServer(
            build_router(features, ctx),
            host=agi_host or settings.agi.host,
            port=settings.agi.port if agi_port is None else agi_port,
            max_sessions=settings.agi.max_sessions,
            env_timeout=settings.agi.env_timeout,
            reply_timeout=settings.agi.reply_timeout,
            grace_period=settings.agi.grace_period,
            on_session_end=on_session_end,
            max_sessions_per_peer=settings.agi.max_sessions_per_peer,
            first_reply_timeout=settings.agi.first_reply_timeout,
        )
        metrics.in_progress = lambda: agi.active_sessions
        await agi.start()
        stack.push_async_callback(agi.close)

        bound_http: int | None = None
        if settings.http.enabled:
            runner = web.AppRunner(build_app(ctx), access_log=None)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(
                runner,
                settings.http.host,
                settings.http.port if http_port is None else http_port,
            )
            await site.start()
            bound_http = int(runner.addresses[0][1]) if runner.addresses else None

        if watch:
            watcher = asyncio.create_task(holder.watch(), name="autocom-config-watch")
            stack.callback(watcher.cancel)

        log.info(
            "autocom serving FastAGI on %s:%s, HTTP on %s, config %s",
            agi_host or settings.agi.host,
            agi.port,
            bound_http,
            config.path,
        )
        yield Server(ctx, agi, agi.port, bound_http)


async def wait_for_signal() -> None:
    """Default shutdown trigger: SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def serve(
    config: Config | Path | str,
    features: Sequence[Feature],
    *,
    clock: Clock | None = None,
    shutdown_trigger: Callable[[], Awaitable[None]] = wait_for_signal,
) -> None:
    """Serve until the shutdown trigger returns; SIGHUP reloads the config."""
    async with running(config, features, clock=clock) as server:
        loop = asyncio.get_running_loop()
        holder = server.ctx.config
        reloads: set[asyncio.Task[bool]] = set()

        def on_sighup() -> None:
            task = asyncio.ensure_future(asyncio.to_thread(holder.reload))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        started = time.monotonic()
        try:
            await shutdown_trigger()
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
            log.info("autocom stopping after %.0f s", time.monotonic() - started)
