"""Counters and latency histograms, served as Prometheus text on the admin /metrics.

Built on prometheus_client with one registry per server (no global registry).
The per-session figures (autocom_agi_sessions, autocom_hook_seconds,
autocom_errors) are plain numbers in ``Metrics``, turned into prometheus_client
families only when /metrics is scraped (a custom collector): counting a session
costs a few additions, not three labelled children's updates.
Every label value comes from a fixed set, so no caller can grow the output: a
script name the router does not serve is counted under ``script="unknown"``,
and a hook's exception type under ``outcome="failure:hook_error"``.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import cast

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

# seconds; a hook on the call path should answer in a few milliseconds
BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BOUNDS = (*BUCKETS, float("inf"))
_go_string = cast(Callable[[float], str], floatToGoString)  # the le labels Histogram writes
_BOUND_LABELS = tuple(_go_string(bound) for bound in _BOUNDS)
UNKNOWN_SCRIPT = "unknown"
# the FastAGI server's outcomes (autocom.agi.server), "failure:<Exception>" folded
OUTCOMES = frozenset(
    {
        "ok",
        "hangup",
        "timeout",
        "protocol_error",
        "closed",
        "overload",
        "cancelled",
        "not_configured",
        "failure:unknown_script",
        "failure:hook_error",
    }
)
DEGRADED_REASONS = frozenset({"store"})


def outcome_label(outcome: str) -> str:
    """The outcome as one of OUTCOMES (a hook's exception type becomes hook_error)."""
    if outcome in OUTCOMES:
        return outcome
    return "failure:hook_error"


def _created_series() -> bool:
    """Whether families carry ``_created`` samples, as prometheus_client's own do:
    its ``disable_created_metrics()`` or ``PROMETHEUS_DISABLE_CREATED_SERIES``.  The
    flag is that module's private ``_use_created``; a version without it: yes."""
    return bool(getattr(prometheus_metrics, "_use_created", True))


class _Reloads(Collector):
    """autocom_config_reloads_total, read from the config holder when scraped."""

    def __init__(self, counts: Callable[[], tuple[int, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        ok, refused = self.counts()
        family = CounterMetricFamily(
            "autocom_config_reloads", "Config reloads, by result.", labels=["result"]
        )
        family.add_metric(["ok"], ok)
        family.add_metric(["refused"], refused)
        yield family


class _BuildInfo(Collector):
    """autocom_build_info: this node's version and loaded config hash, read when scraped."""

    def __init__(self, info: Callable[[], tuple[str, str, str]]) -> None:
        self.info = info

    def collect(self) -> Iterable[Metric]:
        version, config_hash, node = self.info()
        family = GaugeMetricFamily(
            "autocom_build_info",
            "This node's version and the hash of its loaded config (same rules everywhere?).",
            labels=["version", "config_hash", "node"],
        )
        family.add_metric([version, config_hash, node], 1)
        yield family


STORE_OPS = frozenset({"get", "set", "incr", "delete", "items", "ping"})


class _StoreFailures(Collector):
    """autocom_store_unavailable_total: store operations that got no answer (a Redis
    failover, a dead server, a write too few replicas acknowledged), by operation."""

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "autocom_store_unavailable",
            "State store operations that failed (no reply, not acknowledged), by operation.",
            labels=["op"],
        )
        counts = self.counts()
        for op in sorted(STORE_OPS):
            family.add_metric([op], counts.get(op, 0))
        yield family


class _SessionSeries:
    """The per-session metrics as plain numbers, exported when scraped: one
    ``session_ended`` is a few additions under one lock instead of three
    prometheus_client child updates (a lock each).  The samples are those the
    Counter and Histogram children gave, in the same order, ``_created`` included
    (the time a series was first counted)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (script label, outcome label) -> [sessions, created]
        self.sessions: dict[tuple[str, ...], list[float]] = {}
        # script label -> [per-bucket counts (not cumulative)..., sum, created]
        self.latency: dict[str, list[float]] = {}
        self.errors: dict[tuple[str, ...], list[float]] = {}  # (kind,) -> [errors, created]

    def counter(
        self,
        name: str,
        doc: str,
        labels: tuple[str, ...],
        series: dict[tuple[str, ...], list[float]],
    ) -> Metric:
        """A counter family as prometheus_client's Counter gives it."""
        family = Metric(name, doc, "counter")
        created = _created_series()
        with self.lock:
            rows = [(key, value[0], value[1]) for key, value in series.items()]
        for key, value, since in rows:
            sample_labels = dict(zip(labels, key, strict=True))
            family.add_sample(name + "_total", sample_labels, value)
            if created:
                family.add_sample(name + "_created", sample_labels, since)
        return family

    def histogram(self, name: str, doc: str) -> Metric:
        """autocom_hook_seconds as prometheus_client's Histogram gives it."""
        family = Metric(name, doc, "histogram")
        created = _created_series()
        with self.lock:
            rows = [(script, list(values)) for script, values in self.latency.items()]
        for script, values in rows:
            total = 0.0
            for bound, count in zip(_BOUND_LABELS, values, strict=False):
                total += count
                family.add_sample(name + "_bucket", {"script": script, "le": bound}, total)
            family.add_sample(name + "_count", {"script": script}, total)
            family.add_sample(name + "_sum", {"script": script}, values[-2])
            if created:
                family.add_sample(name + "_created", {"script": script}, values[-1])
        return family


class _Scraped(Collector):
    """One metric family, built from our numbers when scraped."""

    def __init__(self, build: Callable[[], Metric]) -> None:
        self.build = build

    def collect(self) -> Iterable[Metric]:
        yield self.build()


# (series, latency, errors) of one (script, outcome) pair; errors None for a normal end
_Slot = tuple[list[float], list[float], list[float] | None]


class Metrics:
    """In-process metrics; one registry per server."""

    def __init__(self, scripts: Iterable[str] = ()) -> None:
        self.scripts = frozenset(scripts)
        self.registry = CollectorRegistry(auto_describe=True)
        # read from the FastAGI server when it runs (autocom.app wires it)
        self.in_progress: Callable[[], int] = lambda: 0
        self.reload_counts: Callable[[], tuple[int, int]] = lambda: (0, 0)
        self.build_info: Callable[[], tuple[str, str, str]] = lambda: ("", "", "")
        self.store_failures: Callable[[], Mapping[str, int]] = dict
        r = self.registry
        series = self._series = _SessionSeries()
        sessions_doc = "FastAGI sessions by script and outcome."
        r.register(
            _Scraped(
                lambda: series.counter(
                    "autocom_agi_sessions", sessions_doc, ("script", "outcome"), series.sessions
                )
            )
        )
        active = Gauge("autocom_agi_active_sessions", "FastAGI sessions in progress.", registry=r)
        active.set_function(lambda: self.active_sessions)
        latency_doc = "Time from connection to end of a hook."
        r.register(_Scraped(lambda: series.histogram("autocom_hook_seconds", latency_doc)))
        r.register(
            _Scraped(
                lambda: series.counter(
                    "autocom_errors", "Errors by kind.", ("kind",), series.errors
                )
            )
        )
        self._degraded = Counter(
            "autocom_degraded_decisions",
            "Decisions taken without a part they need (AUTOCOM_DEGRADED), by feature and part.",
            ["feature", "reason"],
            registry=r,
        )
        r.register(_Reloads(lambda: self.reload_counts()))
        r.register(_BuildInfo(lambda: self.build_info()))
        r.register(_StoreFailures(lambda: self.store_failures()))
        self._slots: dict[tuple[str, str], _Slot] = {}

    @property
    def active_sessions(self) -> int:
        return self.in_progress()

    def script_label(self, script: str) -> str:
        return script if script in self.scripts else UNKNOWN_SCRIPT

    def session_ended(self, script: str, outcome: str, seconds: float) -> None:
        """Count a FastAGI session and its duration (thread-safe)."""
        slot = self._slots.get((script, outcome))
        if slot is None:
            slot = self._slot(script, outcome)
        sessions, latency, errors = slot
        # the first bucket whose bound is >= seconds, as Histogram.observe (NaN: none)
        index = bisect_left(_BOUNDS, seconds)
        with self._series.lock:
            sessions[0] += 1.0
            latency[-2] += seconds
            if seconds <= _BOUNDS[index]:
                latency[index] += 1.0
            if errors is not None:
                errors[0] += 1.0

    def _slot(self, script: str, outcome: str) -> _Slot:
        """The series of a (script, outcome) pair, created at its first session."""
        label = self.script_label(script)
        kind = outcome_label(outcome)
        series = self._series
        with series.lock:
            now = time.time()
            errors = None
            if kind not in ("ok", "hangup"):
                errors = series.errors.setdefault((kind.split(":", 1)[0],), [0.0, now])
            sessions = series.sessions.setdefault((label, kind), [0.0, now])
            latency = series.latency.setdefault(label, [0.0] * (len(_BOUNDS) + 1) + [now])
        slot = (sessions, latency, errors)
        if len(self._slots) < 4096:  # scripts and outcomes are bounded; stay so anyway
            self._slots[(script, outcome)] = slot
        return slot

    def degraded(self, feature: str, reason: str) -> None:
        """A decision taken in a degraded mode (reason from DEGRADED_REASONS)."""
        self._degraded.labels(feature, reason if reason in DEGRADED_REASONS else "other").inc()

    def render(self) -> str:
        return generate_latest(self.registry).decode()

    def samples(self) -> Iterator[tuple[str, dict[str, str], float]]:
        """Every sample as (name, labels, value), for tests and `autocom` commands."""
        for metric in self.registry.collect():
            for sample in metric.samples:
                yield sample.name, sample.labels, sample.value
