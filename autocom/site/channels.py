"""Who is calling: the site user behind an Asterisk channel.

A hook acting for a user (forwards, personal speed dials) takes the owner of
the calling device when the channel is a known PJSIP device, so a phone cannot
act for someone else; otherwise the extension the dialplan passed.
"""

from __future__ import annotations

from autocom.site.model import Site


def device_of_channel(channel: str) -> str:
    """'PJSIP/desk-2001-0000000a' -> 'desk-2001' ('' if not a PJSIP channel)."""
    tech, _, rest = channel.partition("/")
    if tech.upper() != "PJSIP" or "-" not in rest:
        return ""
    return rest.rsplit("-", 1)[0]


def acting_user(site: Site, channel: str, claimed: str) -> str:
    """The acting user: the owner of the channel's device if known, else ``claimed``."""
    owner = site.owner_of_device(device_of_channel(channel))
    return owner.extension if owner is not None else claimed
