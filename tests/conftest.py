"""Shared fixtures are plugins under tests/support/, listed here."""

pytest_plugins: list[str] = [
    "tests.support.redis_server",
    "tests.support.slapd",
    "tests.support.postgres",
    "tests.support.browser",
]
