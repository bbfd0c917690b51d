"""Device states (BLF lamps) through ARI: the one way autocom sets a lamp from Python.

autocom's lamps are ``Custom:`` devices (``Custom:bsfilter-2001``,
``Custom:autocom-fwd-unc-2001``): the dialplan sets them during a call with
``Set(DEVICE_STATE(Custom:x)=INUSE)`` and watches them with hints.  ARI's
``PUT /deviceStates`` controls only ``Stasis:`` devices (Asterisk 22 answers
409 "Uncontrolled device specified" for ``Custom:x``, seen in
tests/e2e/test_ari.py), so :meth:`DeviceStates.set_custom` writes the
``DEVICE_STATE()`` function as a global variable (``POST /asterisk/variable``).
``set`` / ``get`` handle ``Stasis:`` devices.
"""

from __future__ import annotations

import re

from autocom.ari.client import DEVICE_STATES, AriClient

_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")


def _device(kind: str, name: str) -> str:
    prefix = f"{kind}:"
    if name.startswith(prefix):
        name = name[len(prefix) :]
    if not _NAME_RE.match(name):
        raise ValueError(f"device name {name!r}: letters, digits, '_', '.', '@', '-' only")
    return prefix + name


def stasis_device(name: str) -> str:
    """'bsfilter-2001' -> 'Stasis:bsfilter-2001' (names are checked: no '/', ':', space)."""
    return _device("Stasis", name)


def custom_device(name: str) -> str:
    """'bsfilter-2001' or 'Custom:bsfilter-2001' -> 'Custom:bsfilter-2001' (checked)."""
    return _device("Custom", name)


def _check_state(state: str) -> None:
    if state not in DEVICE_STATES:
        raise ValueError(f"state {state!r}: use one of {', '.join(sorted(DEVICE_STATES))}")


class DeviceStates:
    """Set and read device states; errors are the ARI client's (AriError)."""

    def __init__(self, client: AriClient) -> None:
        self.client = client

    async def set_custom(self, name: str, state: str) -> None:
        """Set the lamp ``Custom:<name>`` (what the dialplan's hints watch)."""
        _check_state(state)
        await self.client.set_global_variable(f"DEVICE_STATE({custom_device(name)})", state)

    async def set(self, name: str, state: str) -> None:
        _check_state(state)
        await self.client.set_device_state(stasis_device(name), state)

    async def get(self, name: str) -> str:
        return (await self.client.device_state(stasis_device(name))).state
