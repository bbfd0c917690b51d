"""Prometheus text from prometheus_client; every label from a fixed set."""

import math
import threading
import time

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import metrics as prometheus_metrics

from autocom.metrics import BUCKETS, UNKNOWN_SCRIPT, Metrics, outcome_label


def test_prometheus_text() -> None:
    m = Metrics(["rights"])
    m.session_ended("rights", "ok", 0.003)
    m.session_ended("rights", "failure:RuntimeError", 0.2)
    m.session_ended('we"ird\n', "ok", 5.0)
    text = m.render()
    assert 'autocom_agi_sessions_total{outcome="ok",script="rights"} 1.0' in text
    assert 'autocom_agi_sessions_total{outcome="failure:hook_error",script="rights"} 1.0' in text
    assert 'autocom_agi_sessions_total{outcome="ok",script="unknown"} 1.0' in text
    assert 'autocom_hook_seconds_bucket{le="0.005",script="rights"} 1.0' in text
    assert 'autocom_hook_seconds_bucket{le="+Inf",script="rights"} 2.0' in text
    assert 'autocom_hook_seconds_count{script="rights"} 2.0' in text
    assert 'autocom_errors_total{kind="failure"} 1.0' in text
    assert "we" not in text.replace("autocom_", "")  # the odd name never reaches the output


def test_unknown_scripts_share_one_series() -> None:
    """5,000 script names nobody serves (a caller-made AGI URL each) add no series."""
    m = Metrics(["rights", "forward"])
    m.session_ended("rights", "ok", 0.001)
    before = len(m.render())
    for i in range(5000):
        m.session_ended(f"probe-{i}", "failure:unknown_script", 0.001)
        m.session_ended(f"probe-{i}", f"failure:Error{i}", 0.001)
    text = m.render()
    assert len(text) < before + 4000  # one more script label, two more outcomes
    assert "probe" not in text and "Error1" not in text
    assert (
        'autocom_agi_sessions_total{outcome="failure:unknown_script",script="unknown"} 5000.0'
        in text
    )


def test_reloads_and_degraded_decisions() -> None:
    m = Metrics()
    m.reload_counts = lambda: (3, 1)
    m.degraded("forwards", "store")
    m.degraded("forwards", "anything else")
    text = m.render()
    assert 'autocom_config_reloads_total{result="ok"} 3.0' in text
    assert 'autocom_config_reloads_total{result="refused"} 1.0' in text
    assert 'autocom_degraded_decisions_total{feature="forwards",reason="store"} 1.0' in text
    assert 'autocom_degraded_decisions_total{feature="forwards",reason="other"} 1.0' in text


def _reference_render(scripts: list[str], sessions: list[tuple[str, str, float]]) -> str:
    """What the per-session metrics were before they were kept as plain numbers:
    prometheus_client's own Counter and Histogram children (the test's oracle)."""
    registry = CollectorRegistry(auto_describe=True)
    doc = "FastAGI sessions by script and outcome."
    counted = Counter("autocom_agi_sessions", doc, ["script", "outcome"], registry=registry)
    active = Gauge(
        "autocom_agi_active_sessions", "FastAGI sessions in progress.", registry=registry
    )
    active.set_function(lambda: 0)
    latency = Histogram(
        "autocom_hook_seconds",
        "Time from connection to end of a hook.",
        ["script"],
        buckets=BUCKETS,
        registry=registry,
    )
    errors = Counter("autocom_errors", "Errors by kind.", ["kind"], registry=registry)
    for script, outcome, seconds in sessions:
        label = script if script in scripts else UNKNOWN_SCRIPT
        kind = outcome_label(outcome)
        if kind not in ("ok", "hangup"):
            errors.labels(kind.split(":", 1)[0]).inc()
        counted.labels(label, kind).inc()
        latency.labels(label).observe(seconds)
    return generate_latest(registry).decode()


SESSIONS = [
    ("rights", "ok", 0.003),
    ("rights", "ok", 0.005),  # on a bucket's bound: counted in it
    ("forward", "hangup", 0.0),
    ("rights", "failure:RuntimeError", 0.2),
    ("rights", "timeout", 2.5),
    ("probe", "failure:unknown_script", 1e-9),
    ("rights", "overload", 100.0),  # above every bound: +Inf only
    ("forward", "closed", math.inf),
    ("forward", "protocol_error", math.nan),  # no bucket, as Histogram.observe
    ("rights", "ok", 0.0009999),
    ("rights", "hangup", 1.0),
]


@pytest.mark.parametrize("created", [True, False])
def test_the_exposition_is_what_prometheus_client_children_gave(
    monkeypatch: pytest.MonkeyPatch, created: bool
) -> None:
    """The same sessions, the same /metrics text: names, labels, values, buckets,
    series order and the _created samples (time frozen, so both have the same)."""
    monkeypatch.setattr(time, "time", lambda: 1764800000.25)
    monkeypatch.setattr(prometheus_metrics, "_use_created", created)
    scripts = ["rights", "forward"]
    m = Metrics(scripts)
    for script, outcome, seconds in SESSIONS:
        m.session_ended(script, outcome, seconds)
    ours = m.render()
    reference = _reference_render(scripts, SESSIONS)
    assert ours.split("# HELP autocom_degraded")[0] == reference
    assert ("_created" in ours) is created
    m.session_ended("rights", "ok", 0.01)  # counted after a scrape: the next one shows it
    assert 'autocom_agi_sessions_total{outcome="ok",script="rights"} 4.0' in m.render()


def test_sessions_counted_from_several_threads_are_all_counted() -> None:
    m = Metrics(["rights"])

    def count() -> None:
        for _ in range(20000):
            m.session_ended("rights", "ok", 0.003)

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = m.render()
    assert 'autocom_agi_sessions_total{outcome="ok",script="rights"} 80000.0' in text
    assert 'autocom_hook_seconds_bucket{le="0.005",script="rights"} 80000.0' in text
    sums = [value for name, _, value in m.samples() if name == "autocom_hook_seconds_sum"]
    assert sums == [pytest.approx(240.0)]
