"""Device states (BLF lamps) through ARI: PUT /deviceStates/Stasis:<name>.

ARI controls only ``Stasis:`` devices: Asterisk 22 answers 409 "Uncontrolled
device specified" to PUT /deviceStates/Custom:x (seen in tests/e2e/test_ari.py);
``Custom:`` states are set from the dialplan or AGI (DEVICE_STATE()).
Other features use it to light a phone's BLF key, e.g. the boss/secretary
filter: ``await lamps.set("bsfilter-2001", "INUSE")``; the dialplan watches it
with ``exten => *372001,hint,Stasis:bsfilter-2001``.
"""

from __future__ import annotations

import re

from autocom.ari.client import DEVICE_STATES, AriClient

_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")


def stasis_device(name: str) -> str:
    """'bsfilter-2001' -> 'Stasis:bsfilter-2001' (names are checked: no '/', ':', space)."""
    if name.startswith("Stasis:"):
        name = name[len("Stasis:") :]
    if not _NAME_RE.match(name):
        raise ValueError(f"device name {name!r}: letters, digits, '_', '.', '@', '-' only")
    return f"Stasis:{name}"


class DeviceStates:
    """Set and read Stasis: device states; errors are the ARI client's (AriError)."""

    def __init__(self, client: AriClient) -> None:
        self.client = client

    async def set(self, name: str, state: str) -> None:
        if state not in DEVICE_STATES:
            raise ValueError(f"state {state!r}: use one of {', '.join(sorted(DEVICE_STATES))}")
        await self.client.set_device_state(stasis_device(name), state)

    async def get(self, name: str) -> str:
        return (await self.client.device_state(stasis_device(name))).state

    async def clear(self, name: str) -> None:
        await self.client.delete_device_state(stasis_device(name))
