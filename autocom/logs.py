"""Logging for `autocom serve`: JSON event lines stay one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class EventFormatter(logging.Formatter):
    """A message that is a JSON object (session, decision and audit lines) is printed
    as one JSON object with the time, level and logger added; any other message as
    ``time level logger message`` text."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and message.endswith("}") and not record.exc_info:
            try:
                event = json.loads(message)
            except ValueError:
                return super().format(record)
            if isinstance(event, dict):
                stamp = datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"
                )
                head = {"ts": stamp, "level": record.levelname, "logger": record.name}
                return json.dumps({**head, **event}, ensure_ascii=False, default=str)
        return super().format(record)


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EventFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
