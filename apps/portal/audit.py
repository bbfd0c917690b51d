"""The audit log: every change made in the portal, one JSON line (who, what, when)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

log = logging.getLogger("autocom.portal.audit")


def record(path: Path | None, when: datetime, who: str, what: str, **facts: object) -> None:
    """Append one line to ``path`` (and the log); never the password or a token."""
    line = json.dumps(
        {"at": when.isoformat(), "who": who, "what": what, **facts}, ensure_ascii=False
    )
    log.info("%s", line)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
    except OSError as exc:  # the change is made: say loudly that its record is missing
        log.error("audit log %s not written (%s): %s", path, exc, line)
