"""CSV files as rule files read them: UTF-8 text in, (line, cells) out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


def csv_rows(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on; blank rows and '#' comment rows left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        yield reader.line_num, row
