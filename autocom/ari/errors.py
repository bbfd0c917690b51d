"""ARI errors: one hierarchy, separating a link that is down from a refused request.

- :class:`AriError`: base of everything the ARI client raises.
- :class:`AriConnectionError`: Asterisk cannot be reached (refused, reset, DNS).
- :class:`AriTimeout`: a request or the websocket handshake took longer than allowed.
- :class:`AriHttpError`: Asterisk answered with a 4xx/5xx status; subclasses per
  status say what it means for the caller (channel gone, not in Stasis, ...).
- :class:`AriProtocolError`: Asterisk sent something we cannot read (not JSON,
  an event without a type): a bug on one side, never a normal outcome.
"""

from __future__ import annotations


class AriError(Exception):
    """Base of every ARI client error."""


class AriConnectionError(AriError):
    """Asterisk's HTTP server could not be reached."""


class AriTimeout(AriError):
    """A request to Asterisk did not complete in time."""


class AriProtocolError(AriError):
    """Asterisk's reply or event could not be understood."""


class AriHttpError(AriError):
    """Asterisk refused a request: ``status`` and Asterisk's own message."""

    status: int = 0

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        super().__init__(f"ARI {method} {path}: {status} {message}".rstrip())


class AriBadRequest(AriHttpError):
    """400: a missing or invalid parameter (our mistake)."""


class AriUnauthorized(AriHttpError):
    """401/403: wrong ARI user or password (check ari.conf and autocom.yaml's ari:)."""


class AriNotFound(AriHttpError):
    """404: the channel, playback or resource does not exist (often: caller hung up)."""


class AriConflict(AriHttpError):
    """409: the channel is not in our Stasis application (it left, or another app owns it)."""


class AriPreconditionFailed(AriHttpError):
    """412: the channel is in a state that does not allow it (e.g. not answered)."""


class AriUnprocessable(AriHttpError):
    """422: a body or parameter Asterisk could parse but not use (e.g. unknown endpoint)."""


class AriServerError(AriHttpError):
    """5xx: Asterisk failed to carry out the request."""


_BY_STATUS: dict[int, type[AriHttpError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    403: AriUnauthorized,
    404: AriNotFound,
    409: AriConflict,
    412: AriPreconditionFailed,
    422: AriUnprocessable,
}


def http_error(method: str, path: str, status: int, message: str) -> AriHttpError:
    """The exception for an HTTP error status, chosen by status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = AriServerError if status >= 500 else AriHttpError
    return cls(method, path, status, message)
