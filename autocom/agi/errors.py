"""The AGI layer's exceptions: one hierarchy, our mistakes apart from the peer's.

- ``AgiProtocolError``: the peer (Asterisk, or whatever connected) sent bytes that
  are not AGI.  The session cannot be trusted afterwards.
- ``AgiConnectionClosed``: the peer closed the connection (while we waited for an
  environment block or a reply).  Never reported as a parse error.
- ``AgiTimeout``: the peer said nothing within the time allowed.
- ``AgiHangup``: the channel is dead (``511``, or a ``-1`` result after which
  Asterisk ends the AGI).
- ``AgiCommandError``: Asterisk refused a command (``510`` unknown command, ``520``
  bad syntax with the usage text, or a documented failure result).
- ``AgiStateError`` (a protocol error): an input the connection's state refuses
  (autocom.agi.state.TRANSITIONS), e.g. a reply nobody asked for.
- ``AgiDeclined``: a handler that does not serve this call (a feature not
  configured): not a failure, AGISTATUS=SUCCESS with nothing set.
- ``AgiArgumentError``: our side built a command Asterisk would misread (a value
  holding CR, LF or NUL, a line over the buffer, too many arguments).
"""

from __future__ import annotations


class AgiError(Exception):
    """Base class of every AGI error."""


class AgiProtocolError(AgiError):
    """The peer sent something that is not AGI (garbage, an over-long line...)."""


class AgiConnectionClosed(AgiError):
    """The peer closed the connection before the expected data arrived."""


class AgiTimeout(AgiError):
    """The peer did not answer in time."""


class AgiHangup(AgiError):
    """The channel is hung up (511, or a -1 result that ends the AGI)."""


class AgiCommandError(AgiError):
    """Asterisk refused the command: 510, 520 (with usage text) or a failure result."""

    def __init__(
        self, message: str, *, code: int = 200, command: str = "", usage: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.command = command
        self.usage = usage


class AgiArgumentError(AgiError, ValueError):
    """A command we were asked to send would be misread by Asterisk."""


class AgiStateError(AgiProtocolError):
    """An input the connection's state does not allow (autocom.agi.state): a reply
    nobody asked for, a command written while another awaits its reply."""


class AgiDeclined(AgiError):
    """A handler declines the call without failing: the server closes the connection
    without writing FAILURE (AGISTATUS=SUCCESS, nothing set) and logs ``outcome``."""

    outcome = "declined"
