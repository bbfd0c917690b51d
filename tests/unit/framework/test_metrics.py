"""Prometheus text from prometheus_client; every label from a fixed set."""

from autocom.metrics import Metrics


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
