"""Config errors: each names a file:line, what is wrong and what to write instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file."""

    file: str
    line: int | None  # 1-based; None when the problem is the whole file
    message: str
    hint: str = ""  # what to write instead, when we can say

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(Exception):
    """A config (or rule file) that cannot be used; carries every issue found."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid configuration")

    @classmethod
    def single(cls, file: str, line: int | None, message: str, hint: str = "") -> ConfigError:
        return cls([ConfigIssue(file, line, message, hint)])
