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
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from autocom import __version__
from autocom.agi.plan import Plan, Planned
from autocom.agi.router import AgiHandler, AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, SessionReport
from autocom.agi.session import AgiSession
from autocom.ari.lamps import start_lamps, stop_lamps
from autocom.clock import Clock
from autocom.cluster import NodeBeat, heartbeat
from autocom.config.settings import HttpSettings, Settings
from autocom.context import AppContext
from autocom.feature import AgiRequest, Feature, FeatureNotConfigured, HookRoute, PlanRoute
from autocom.history.recorder import Recorder
from autocom.history.store import History
from autocom.http.guard import FileBudget, Guard, GuardedProtocol, Limits, file_budget
from autocom.http.server import build_admin_app, build_app
from autocom.loader import Config, load_config
from autocom.metrics import Metrics
from autocom.reload import ConfigHolder
from autocom.store.base import StoreError
from autocom.store.factory import open_store
from autocom.tasks import cancel_and_wait

log = logging.getLogger("autocom.server")


@dataclass
class Server:
    ctx: AppContext
    agi: FastAgiServer
    agi_port: int
    http_port: int | None
    admin_port: int | None = None
    guards: dict[str, Guard] = field(default_factory=dict)  # "http", "admin"


def _adapt(route: HookRoute | PlanRoute, ctx: AppContext) -> AgiHandler:
    def request(session: AgiSession) -> AgiRequest:
        # One config snapshot and one clock reading per call: a reload in the
        # middle of a call never mixes two configs.
        return AgiRequest(session, ctx.config.current, ctx, ctx.clock.now())

    if isinstance(route, PlanRoute):
        plan = route.plan

        def planned(session: AgiSession) -> Plan:
            return plan(request(session))

        return Planned(planned)  # run by the server without a task
    hook = route.hook

    def handler(session: AgiSession) -> Awaitable[None]:
        # The hook's own coroutine is what the server awaits (no coroutine of ours
        # around it, per call).
        return hook(request(session))

    return handler


def _not_configured(feature: str, script: str) -> Callable[[AgiSession], Awaitable[None]]:
    async def handler(session: AgiSession) -> None:
        raise FeatureNotConfigured(
            f"AGI script {script!r} belongs to the feature {feature}, which autocom.yaml "
            f"does not name under rules: (add '{feature}:' there to run it)"
        )

    return handler


def build_router(
    features: Sequence[Feature], ctx: AppContext, idle: Sequence[Feature] = ()
) -> AgiRouter:
    """The hooks of the features that run; those of the ``idle`` ones (known, not
    named in autocom.yaml) answer FeatureNotConfigured."""
    routes: list[AgiRoute] = []
    owners: dict[str, str] = {}
    for feature in (*features, *idle):
        for route in feature.hooks():
            if route.script in owners:
                raise ValueError(
                    f"AGI script {route.script!r} is served by both "
                    f"{owners[route.script]} and {feature.name}"
                )
            owners[route.script] = feature.name
            handler = (
                _adapt(route, ctx)
                if feature in features
                else _not_configured(feature.name, route.script)
            )
            routes.append(AgiRoute(route.script, handler))
    return AgiRouter(routes)


def _test_port(port: int | None, agi_port: int | None) -> int | None:
    """A listener's port: as given; with ``agi_port=0`` (tests) a free one too, so a
    test never binds autocom.yaml's fixed ports (9088, 9089) another run may hold."""
    return 0 if port is None and agi_port == 0 else port


@contextlib.asynccontextmanager
async def running(
    config: Config | Path | str,
    features: Sequence[Feature],
    *,
    clock: Clock | None = None,
    agi_host: str | None = None,
    agi_port: int | None = None,
    http_port: int | None = None,
    admin_port: int | None = None,
    watch: bool = True,
    node: str | None = None,
) -> AsyncIterator[Server]:
    """Run autocom inside an ``async with``; ports 0 pick free ports, and with
    ``agi_port=0`` (tests) the phone and admin listeners pick free ports too unless given.

    ``config`` is autocom.yaml's path, or a Config loaded from it with ``features``
    (`autocom serve` has loaded it to report errors before starting).  ``node`` names
    this server in the cluster report: default $AUTOCOM_NODE, else <hostname>:<agi port>
    (not in autocom.yaml, which should be the same file on every node)."""
    if not isinstance(config, Config):
        config = await asyncio.to_thread(load_config, config, features)
    settings = config.settings
    runs = config.features  # only the features named under rules: run
    known = [*features, *(f for f in runs if f not in features)]  # + autocom.yaml's features:
    ctx = await _context(config, known, clock)
    store, metrics = ctx.store, ctx.metrics
    budget = _file_budget(settings)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        for feature in runs:
            await feature.start(ctx)
            stack.push_async_callback(feature.stop)
            start_lamps(feature, ctx)  # its declared lamps, kept while it runs
            stack.push_async_callback(stop_lamps, feature)

        router = build_router(runs, ctx, [f for f in known if f not in runs])
        agi = _agi_server(router, ctx, budget.agi_sessions, agi_host, agi_port)
        metrics.in_progress = lambda: agi.active_sessions
        await agi.start()
        stack.push_async_callback(agi.close)

        guards: dict[str, Guard] = {}
        ports = (_test_port(http_port, agi_port), _test_port(admin_port, agi_port))
        bound_http, bound_admin = await _start_listeners(stack, ctx, budget, ports, guards)
        await _start_watchers(stack, ctx, watch)

        ctx.node = node or os.environ.get("AUTOCOM_NODE") or f"{socket.gethostname()}:{agi.port}"
        _start_heartbeat(stack, ctx)
        _start_history(stack, ctx)

        log.info(
            "autocom serving FastAGI on %s:%s, phones' HTTP on %s, admin on %s, config %s",
            agi_host or settings.agi.host,
            agi.port,
            bound_http,
            bound_admin,
            config.path,
        )
        yield Server(ctx, agi, agi.port, bound_http, bound_admin, guards)


async def _start_watchers(stack: contextlib.AsyncExitStack, ctx: AppContext, watch: bool) -> None:
    """The loader process (when reloads run there: ``reload_in``), the config file
    watcher (unless ``watch`` is False) and the periodic site sync (when autocom.yaml
    has sync:), each stopped when the stack closes."""
    holder = ctx.config
    config = holder.current
    stack.push_async_callback(holder.close)  # the loader process
    # started now, in the background: the first reload only sends what changed
    loader = asyncio.create_task(holder.start_loader(), name="autocom-loader-start")
    stack.push_async_callback(cancel_and_wait, loader)
    if watch:
        watcher = asyncio.create_task(holder.watch(), name="autocom-config-watch")
        stack.callback(watcher.cancel)
    if config.settings.sync:
        from autocom.site.sync.periodic import periodic_plan, sync_forever

        plan = await asyncio.to_thread(periodic_plan, config.path)
        if plan is not None:
            announce = _sync_author(ctx) if config.settings.history.enabled else None
            syncer = asyncio.create_task(
                sync_forever(plan, holder, announce), name="autocom-site-sync"
            )
            stack.callback(syncer.cancel)


def _sync_author(ctx: AppContext) -> Callable[[bytes], Awaitable[None]]:
    """Before the periodic sync writes the site file: the config history names the
    sync as its author (not the server's unix user, the file's owner)."""
    history = History(ctx.store)

    async def announce(data: bytes) -> None:
        try:
            await history.declare_author(data, "site sync", "the periodic site sync")
        except StoreError as exc:  # the history names the file's owner instead
            log.warning("site sync: the config history will not name the sync: %s", exc)

    return announce


def _file_budget(settings: Settings) -> FileBudget:
    """The file limit raised and shared: FastAGI first, the phones' listener last."""
    return file_budget(
        settings.agi.max_sessions,
        settings.http.max_connections if settings.http.enabled else 0,
        ADMIN_LIMITS.max_connections if settings.admin.enabled else 0,
    )


async def _context(config: Config, known: Sequence[Feature], clock: Clock | None) -> AppContext:
    """The context of a server: ``config`` in a holder (reloads keep the ``known``
    features), the state store opened, metrics, the features that run."""
    holder = ConfigHolder(config, known)
    store = await open_store(config)
    metrics = Metrics(script for f in known for script in (r.script for r in f.hooks()))
    metrics.reload_counts = lambda: (holder.reloads, holder.failed_reloads)
    clock = clock or Clock(config.settings.timezone)
    ctx = AppContext(holder, store, clock, metrics, {f.name: f for f in config.features})
    metrics.build_info = lambda: (__version__, holder.current.digest, ctx.node)
    failures = getattr(store, "failures", None)  # counted by the Redis store only
    if failures is not None:
        metrics.store_failures = lambda: failures
    return ctx


def _agi_server(
    router: AgiRouter,
    ctx: AppContext,
    max_sessions: int,
    agi_host: str | None,
    agi_port: int | None,
) -> FastAgiServer:
    settings = ctx.config.current.settings.agi
    session_ended = ctx.metrics.session_ended  # once per session: bound once

    def on_session_end(report: SessionReport) -> None:
        session_ended(report.script, report.outcome, report.duration)

    return FastAgiServer(
        router,
        host=agi_host or settings.host,
        port=settings.port if agi_port is None else agi_port,
        max_sessions=max_sessions,
        env_timeout=settings.env_timeout,
        reply_timeout=settings.reply_timeout,
        grace_period=settings.grace_period,
        on_session_end=on_session_end,
        max_sessions_per_peer=settings.max_sessions_per_peer,
        first_reply_timeout=settings.first_reply_timeout,
    )


async def _start_listeners(
    stack: contextlib.AsyncExitStack,
    ctx: AppContext,
    budget: FileBudget,
    ports: tuple[int | None, int | None],
    guards: dict[str, Guard],
) -> tuple[int | None, int | None]:
    """The phones' and the admin listeners (when enabled, each in ``guards``); their
    bound ports.  ``ports``: (http, admin), None for the config's."""
    http_port, admin_port = ports
    settings = ctx.config.current.settings
    http, admin = settings.http, settings.admin
    bound_http: int | None = None
    if http.enabled:
        limits = Limits(
            budget.http_connections, http.max_per_address, http.header_timeout, http.body_timeout
        )
        port = http.port if http_port is None else http_port
        guard = guards["http"] = Guard(limits, "phone HTTP")
        bound_http = await _listen(stack, build_app(ctx), guard, http.host, port, http)
    bound_admin: int | None = None
    if admin.enabled:
        port = admin.port if admin_port is None else admin_port
        app = build_admin_app(ctx, admin)
        guard = guards["admin"] = Guard(ADMIN_LIMITS, "admin HTTP")
        bound_admin = await _listen(stack, app, guard, admin.host, port, http)
    return bound_http, bound_admin


# The admin listener serves a few monitors and admins: a small fixed share.
ADMIN_LIMITS = Limits(max_connections=32, max_per_address=16, header_timeout=5, body_timeout=10)


async def _listen(
    stack: contextlib.AsyncExitStack,
    app: web.Application,
    guard: Guard,
    host: str,
    port: int,
    http: HttpSettings,
) -> int:
    """Serve ``app`` on host:port behind ``guard``; the bound port."""
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=http.keepalive_timeout)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    handler = runner.server
    assert handler is not None  # set by setup()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: GuardedProtocol(handler, guard, loop), host, port, backlog=1024
    )
    stack.push_async_callback(server.wait_closed)
    stack.callback(server.close)
    return int(server.sockets[0].getsockname()[1])


def _start_heartbeat(stack: contextlib.AsyncExitStack, ctx: AppContext) -> None:
    """Beat in the shared store (autocom.cluster) until the server stops."""
    interval = ctx.config.current.settings.heartbeat_interval
    beating = asyncio.create_task(
        heartbeat(ctx.store, _describe(ctx, time.time()), interval), name="autocom-heartbeat"
    )

    stack.push_async_callback(cancel_and_wait, beating)


def _start_history(stack: contextlib.AsyncExitStack, ctx: AppContext) -> None:
    """Record the config that serves now and each one a reload applies (docs/history.md)."""
    recorder = Recorder(ctx.store, ctx.clock, lambda: ctx.node, asyncio.get_running_loop())
    ctx.config.on_applied = recorder.applied
    recorder.applied(ctx.config.current)
    stack.push_async_callback(recorder.drain)


def _describe(ctx: AppContext, started: float) -> Callable[[], NodeBeat]:
    def describe() -> NodeBeat:
        digest = ctx.config.current.digest
        return NodeBeat(
            ctx.node, __version__, digest, started, time.time(), ctx.metrics.active_sessions
        )

    return describe


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
            task = asyncio.ensure_future(holder.refresh())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        started = time.monotonic()
        try:
            await shutdown_trigger()
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
            log.info("autocom stopping after %.0f s", time.monotonic() - started)
