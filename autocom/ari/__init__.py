"""A thin ARI client on aiohttp: REST calls, the events websocket, reconnect."""

from autocom.ari.errors import (
    AriConflict,
    AriConnectionError,
    AriError,
    AriHttpError,
    AriNotFound,
    AriProtocolError,
    AriTimeout,
)

__all__ = [
    "AriConflict",
    "AriConnectionError",
    "AriError",
    "AriHttpError",
    "AriNotFound",
    "AriProtocolError",
    "AriTimeout",
]
