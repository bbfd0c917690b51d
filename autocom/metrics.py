"""Counters and latency histograms, served as Prometheus text on /metrics."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

# seconds; a hook on the call path should answer in a few milliseconds
BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    n: int = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.n += 1


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """In-process metrics; no global registry, one instance per server."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str], int] = defaultdict(int)  # (script, outcome)
        self.latency: dict[str, Histogram] = defaultdict(Histogram)  # script -> histogram
        self.errors: dict[str, int] = defaultdict(int)  # kind -> count
        # read from the FastAGI server when it runs (autocom.app wires it)
        self.in_progress: Callable[[], int] = lambda: 0

    @property
    def active_sessions(self) -> int:
        return self.in_progress()

    def session_ended(self, script: str, outcome: str, seconds: float) -> None:
        self.sessions[(script, outcome)] += 1
        self.latency[script].observe(seconds)
        if outcome != "ok" and outcome != "hangup":
            self.errors[outcome.split(":", 1)[0]] += 1

    def render(self) -> str:
        out = [
            "# HELP autocom_agi_sessions_total FastAGI sessions by script and outcome.",
            "# TYPE autocom_agi_sessions_total counter",
        ]
        for (script, outcome), n in sorted(self.sessions.items()):
            out.append(
                f'autocom_agi_sessions_total{{script="{_label(script)}",'
                f'outcome="{_label(outcome)}"}} {n}'
            )
        out += [
            "# HELP autocom_agi_active_sessions FastAGI sessions in progress.",
            "# TYPE autocom_agi_active_sessions gauge",
            f"autocom_agi_active_sessions {self.active_sessions}",
            "# HELP autocom_hook_seconds Time from connection to end of a hook.",
            "# TYPE autocom_hook_seconds histogram",
        ]
        for script, h in sorted(self.latency.items()):
            s = _label(script)
            cumulative = 0
            for bound, count in zip(BUCKETS, h.counts, strict=False):
                cumulative += count
                out.append(f'autocom_hook_seconds_bucket{{script="{s}",le="{bound}"}} {cumulative}')
            out.append(f'autocom_hook_seconds_bucket{{script="{s}",le="+Inf"}} {h.n}')
            out.append(f'autocom_hook_seconds_sum{{script="{s}"}} {h.total:.6f}')
            out.append(f'autocom_hook_seconds_count{{script="{s}"}} {h.n}')
        out += [
            "# HELP autocom_errors_total Errors by kind.",
            "# TYPE autocom_errors_total counter",
        ]
        for kind, n in sorted(self.errors.items()):
            out.append(f'autocom_errors_total{{kind="{_label(kind)}"}} {n}')
        return "\n".join(out) + "\n"
