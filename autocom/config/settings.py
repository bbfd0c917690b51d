"""The main file, autocom.yaml: where the rule files are and how to serve."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from autocom.config.model import RuleModel


def known_timezone(value: str) -> str:
    """The zone name if the system knows it; a ValueError saying what to write otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: write an IANA name such as Europe/Paris"
        ) from None
    return value


class AgiSettings(RuleModel):
    host: str = "127.0.0.1"
    port: int = Field(default=4573, ge=0, le=65535)  # 0 picks a free port (tests)
    max_sessions: int = Field(default=1000, ge=1)
    # sessions one peer address may hold at once (an Asterisk server is one peer)
    max_sessions_per_peer: int = Field(default=250, ge=1)
    env_timeout: float = Field(default=5.0, gt=0)  # seconds to receive the environment block
    first_reply_timeout: float = Field(default=5.0, gt=0)  # seconds for the first reply
    reply_timeout: float = Field(default=60.0, gt=0)  # seconds to wait for any command's reply
    grace_period: float = Field(default=30.0, ge=0)  # seconds for running sessions at shutdown


class HttpSettings(RuleModel):
    """The phones' listener (directory): everything on it comes from the phones' subnets."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8088 + 1000, ge=0, le=65535)  # 9088; 0 picks a free port
    max_connections: int = Field(default=512, ge=1)  # open at once; more are refused
    max_per_address: int = Field(default=64, ge=1)  # open at once from one address (a NAT: more)
    header_timeout: float = Field(default=5.0, gt=0)  # seconds to send a request's headers
    body_timeout: float = Field(default=10.0, gt=0)  # seconds to send its body
    keepalive_timeout: float = Field(default=15.0, gt=0)  # idle seconds between requests


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1 addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


class AdminSettings(RuleModel):
    """The admin listener: /livez, /readyz, /healthz, /metrics, /status."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9089, ge=0, le=65535)  # 0 picks a free port
    user: str = ""  # HTTP Basic credentials; required when host is not loopback
    password: str = ""

    @model_validator(mode="after")
    def _credentials_off_loopback(self) -> Self:
        if (self.user == "") != (self.password == ""):
            raise ValueError("admin: set both user and password, or neither")
        if self.enabled and not is_loopback(self.host) and not self.user:
            raise ValueError(
                f"admin.host {self.host} is not loopback: anyone who reaches it would read "
                "/metrics and /status; set admin.user and admin.password (HTTP Basic), "
                "or host: 127.0.0.1"
            )
        return self


class StateSettings(RuleModel):
    backend: Literal["sqlite", "redis"] = "sqlite"
    path: str = "var/autocom.sqlite"  # sqlite: relative to autocom.yaml's folder
    url: str = "redis://127.0.0.1:6379/0"  # redis
    prefix: str = "autocom"  # redis key prefix, so several sites can share a server
    timeout: float = Field(default=1.0, gt=0)  # seconds for one store operation
    # Redis Sentinel: when set, the master of `master` is asked of these host:port
    # addresses (url's host is then unused; its /db and ?protocol= still count)
    sentinels: list[str] = []
    master: str = "autocom"  # the Sentinel service name (sentinel monitor <name> ...)
    password: str = ""  # the Redis servers' requirepass, with sentinels
    sentinel_password: str = ""  # the Sentinels' own requirepass, if any
    # a write is acknowledged once this many replicas have it (Redis WAIT): 1 with
    # Sentinel, so a failover never loses an acknowledged forward or PIN lock
    wait_replicas: int = Field(default=0, ge=0)
    wait_timeout: float = Field(default=0.5, gt=0)  # seconds WAIT may take

    @model_validator(mode="after")
    def _wait_within_timeout(self) -> Self:
        if self.wait_replicas and self.wait_timeout >= self.timeout:
            raise ValueError(
                f"state.wait_timeout ({self.wait_timeout:g}s) must be shorter than"
                f" state.timeout ({self.timeout:g}s), which bounds the whole write:"
                f" write e.g. wait_timeout: {self.timeout / 2:g}"
            )
        return self

    @field_validator("sentinels")
    @classmethod
    def _host_ports(cls, value: list[str]) -> list[str]:
        for address in value:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"sentinel {address!r}: write host:port, e.g. 10.0.0.11:26379")
        return value

    @field_validator("prefix")
    @classmethod
    def _plain_prefix(cls, value: str) -> str:
        if not value or ":" in value:
            raise ValueError(f"prefix {value!r}: one word without ':', e.g. autocom or site2")
        return value


class AriSettings(RuleModel):
    """Asterisk's REST interface (ari.conf user), used by the IVR and `autocom status`."""

    url: str = "http://127.0.0.1:8088"  # Asterisk's HTTP server (http.conf)
    user: str = "autocom"
    password: str = ""  # sent in a Basic auth header, never in a URL
    timeout: float = Field(default=3.0, gt=0)  # seconds for one REST request


class HistorySettings(RuleModel):
    """The history of applied configs in the state store (docs/history.md)."""

    enabled: bool = True
    keep: int = Field(default=100, ge=1)  # versions kept; older ones (and their files) go


class Settings(RuleModel):
    """autocom.yaml."""

    timezone: str = "Europe/Paris"
    site: str = "site.yaml"
    sync: str | None = None  # sync.yaml: build the site file from Wazo, LDAP, CSV
    # departments.yaml: what each department's fragments may change (docs/departments.md)
    departments: str | None = None
    agi: AgiSettings = AgiSettings()
    http: HttpSettings = HttpSettings()
    admin: AdminSettings = AdminSettings()
    state: StateSettings = StateSettings()
    ari: AriSettings | None = None  # no ari: section, no ARI link
    history: HistorySettings = HistorySettings()
    # The features that run: name -> rule file, relative to autocom.yaml's folder
    # (empty: the feature runs without a rule file).  A feature not named does not run.
    rules: dict[str, str | None] = {}
    # Import paths (package.module:Class) of a site's own features not installed
    # through the autocom.features entry point group (autocom/features.py).
    features: list[str] = []
    reload_interval: float = Field(default=2.0, gt=0)  # seconds between file checks
    # seconds a changed file must stay the same (size, mtime) before it is reloaded
    reload_settle: float = Field(default=0.5, ge=0)
    # where a reload loads the files: "process" (a loader process: the calls never wait
    # for it), "thread" (in the server, beside the calls), "auto" (the process when the
    # rule files weigh more than 256 KB; docs/architecture.md "Reloads")
    reload_in: Literal["auto", "process", "thread"] = "auto"
    heartbeat_interval: float = Field(default=5.0, gt=0)  # seconds between heartbeats

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_timezone(value)
