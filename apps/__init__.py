"""The bundled features: those autocom's pyproject.toml lists under the entry
point group ``autocom.features`` (the one list; a site's package adds its own there)."""

from __future__ import annotations

from autocom.feature import Feature
from autocom.features import installed


def features() -> list[Feature]:
    """One instance of each bundled feature, in pyproject.toml's order."""
    return [f for f in installed() if type(f).__module__.partition(".")[0] == "apps"]
