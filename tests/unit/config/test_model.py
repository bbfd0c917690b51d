"""Validation errors name file:line and what to write."""

import pytest

from autocom.config import ConfigError, RuleModel, parse_yaml, validate
from autocom.config.settings import Settings


class Entry(RuleModel):
    number: str
    label: str = ""


class Book(RuleModel):
    entries: tuple[Entry, ...] = ()
    limit: int = 10


def test_models_remember_their_source() -> None:
    book = validate(Book, parse_yaml("entries:\n  - number: 0612345670\n    label: x\n", "b.yaml"))
    assert book.entries[0].number == "0612345670"
    assert str(book.entries[0].source) == "b.yaml:2"
    assert str(book.source) == "b.yaml:1"


def test_every_error_is_reported_with_its_line() -> None:
    text = "entries:\n  - number: '1'\n    colour: red\n  - label: y\nlimit: lots\nextra: 1\n"
    with pytest.raises(ConfigError) as err:
        validate(Book, parse_yaml(text, "b.yaml"))
    assert "b.yaml:3: entries.0: unknown key 'colour' (check its spelling)" in str(err.value)
    lines = sorted(i.line or 0 for i in err.value.issues)
    assert lines == [3, 4, 5, 6]
    text_all = str(err.value)
    assert "b.yaml:4: entries.1.number: required key missing (add 'number: ...')" in text_all
    assert "b.yaml:5: limit:" in text_all


def test_models_are_frozen() -> None:
    book = validate(Book, parse_yaml("limit: 3\n"))
    with pytest.raises(ValueError, match="frozen"):
        book.limit = 4  # type: ignore[misc]


def test_settings_defaults_and_errors() -> None:
    s = validate(Settings, parse_yaml(""))
    assert (s.agi.host, s.agi.port, s.timezone, s.state.backend) == (
        "127.0.0.1",
        4573,
        "Europe/Paris",
        "sqlite",
    )
    with pytest.raises(ConfigError) as err:
        validate(Settings, parse_yaml("timezone: Mars/Olympus\nstate:\n  backend: mongo\n"))
    msgs = str(err.value)
    assert "<string>:1: timezone: unknown time zone 'Mars/Olympus'" in msgs
    assert "<string>:3: state.backend" in msgs


def test_sentinel_settings_say_what_to_write() -> None:
    good = "state:\n  backend: redis\n  sentinels: ['10.0.0.11:26379', 'r2:26379']\n"
    s = validate(Settings, parse_yaml(good + "  wait_replicas: 1\n"))
    assert s.state.sentinels == ["10.0.0.11:26379", "r2:26379"] and s.state.master == "autocom"
    with pytest.raises(ConfigError) as exc:
        validate(Settings, parse_yaml("state:\n  sentinels: ['10.0.0.11']\n"))
    assert "sentinel '10.0.0.11': write host:port, e.g. 10.0.0.11:26379" in str(exc.value)
    slow = good + "  wait_replicas: 1\n  timeout: 0.5\n  wait_timeout: 0.5\n"
    with pytest.raises(ConfigError) as exc:
        validate(Settings, parse_yaml(slow))
    assert "must be shorter than state.timeout (0.5s)" in str(exc.value)
    assert "write e.g. wait_timeout: 0.25" in str(exc.value)


def test_a_renamed_key_is_named_with_what_to_write_now(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocom.config import renamed as table

    monkeypatch.setattr(
        table, "RENAMED_KEYS", {("state", "redis_url"): table.Renamed("url", "0.3")}
    )
    text = "state:\n  backend: redis\n  redis_url: redis://r1:6379/0\n  bogus: 1\n"
    with pytest.raises(ConfigError) as exc:
        validate(Settings, parse_yaml(text))
    messages = [str(i) for i in exc.value.issues]
    assert any(
        ":3: state: 'redis_url' was renamed in autocom 0.3" in m
        and "write 'url: ...' (the same value) instead" in m
        for m in messages
    ), messages
    assert any("unknown key 'bogus'" in m for m in messages)  # others stay unknown
    assert table.renamed(("state", "redis_url"), {}) is None
