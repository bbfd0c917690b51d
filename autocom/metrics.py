"""Counters and latency histograms, served as Prometheus text on the admin /metrics.

Built on prometheus_client with one registry per server (no global registry).
Every label value comes from a fixed set, so no caller can grow the output: a
script name the router does not serve is counted under ``script="unknown"``,
and a hook's exception type under ``outcome="failure:hook_error"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# seconds; a hook on the call path should answer in a few milliseconds
BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
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


# the children of autocom_agi_sessions, autocom_hook_seconds and autocom_errors
_SessionChildren = tuple[Counter, Histogram, Counter | None]


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
        self._sessions = Counter(
            "autocom_agi_sessions",
            "FastAGI sessions by script and outcome.",
            ["script", "outcome"],
            registry=r,
        )
        active = Gauge("autocom_agi_active_sessions", "FastAGI sessions in progress.", registry=r)
        active.set_function(lambda: self.active_sessions)
        self._latency = Histogram(
            "autocom_hook_seconds",
            "Time from connection to end of a hook.",
            ["script"],
            buckets=BUCKETS,
            registry=r,
        )
        self._errors = Counter("autocom_errors", "Errors by kind.", ["kind"], registry=r)
        self._degraded = Counter(
            "autocom_degraded_decisions",
            "Decisions taken without a part they need (AUTOCOM_DEGRADED), by feature and part.",
            ["feature", "reason"],
            registry=r,
        )
        r.register(_Reloads(lambda: self.reload_counts()))
        r.register(_BuildInfo(lambda: self.build_info()))
        r.register(_StoreFailures(lambda: self.store_failures()))
        self._children: dict[tuple[str, str], _SessionChildren] = {}

    @property
    def active_sessions(self) -> int:
        return self.in_progress()

    def script_label(self, script: str) -> str:
        return script if script in self.scripts else UNKNOWN_SCRIPT

    def session_ended(self, script: str, outcome: str, seconds: float) -> None:
        # Once per session: the labelled children are looked up once per (script,
        # outcome) pair (prometheus_client's labels() costs a lock and a key build).
        children = self._children.get((script, outcome))
        if children is None:
            children = self._session_children(script, outcome)
        sessions, latency, errors = children
        sessions.inc()
        latency.observe(seconds)
        if errors is not None:
            errors.inc()

    def _session_children(self, script: str, outcome: str) -> _SessionChildren:
        label = self.script_label(script)
        kind = outcome_label(outcome)
        errors = None if kind in ("ok", "hangup") else self._errors.labels(kind.split(":", 1)[0])
        children = (self._sessions.labels(label, kind), self._latency.labels(label), errors)
        if len(self._children) < 4096:  # scripts and outcomes are bounded; stay so anyway
            self._children[(script, outcome)] = children
        return children

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
