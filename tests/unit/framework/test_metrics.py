from autocom.metrics import Metrics


def test_prometheus_text() -> None:
    m = Metrics()
    m.session_ended("rights", "ok", 0.003)
    m.session_ended("rights", "failure:hook_error", 0.2)
    m.session_ended('we"ird\n', "ok", 5.0)
    text = m.render()
    assert 'autocom_agi_sessions_total{script="rights",outcome="ok"} 1' in text
    assert 'autocom_hook_seconds_bucket{script="rights",le="0.005"} 1' in text
    assert 'autocom_hook_seconds_bucket{script="rights",le="+Inf"} 2' in text
    assert 'autocom_hook_seconds_count{script="rights"} 2' in text
    assert 'autocom_errors_total{kind="failure"} 1' in text
    assert 'script="we\\"ird\\n"' in text
    for line in text.splitlines():
        assert line.startswith("#") or " " in line
