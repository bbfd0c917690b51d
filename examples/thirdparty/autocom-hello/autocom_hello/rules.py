"""hello.yaml: the schema, read with autocom's config tools (every error names file:line)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator

from autocom.config import ConfigError, ConfigIssue, RuleModel, load_yaml, validate
from autocom.feature import CodeClaim
from autocom.site.model import Site

_CODE = re.compile(r"[*#0-9]+")
_SOUND = re.compile(r"[a-z0-9][a-z0-9_/-]*")


class HelloRules(RuleModel):
    """What the feature code plays: a sound per caller, ``default`` for the others."""

    code: str = "*44"
    default: str = "beep"
    greetings: dict[str, str] = {}
    file: str = "hello (no rule file)"  # where it was read, for messages and claims
    code_line: int | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(f"feature code {value!r}: write digits, * or #, e.g. '*44'")
        return value

    @field_validator("default")
    @classmethod
    def _sound(cls, value: str) -> str:
        if not _SOUND.fullmatch(value):
            raise ValueError(f"sound {value!r}: write a sound file without extension, e.g. beep")
        return value

    @field_validator("greetings")
    @classmethod
    def _sounds(cls, value: dict[str, str]) -> dict[str, str]:
        for caller, sound in value.items():
            if not _SOUND.fullmatch(sound):
                raise ValueError(
                    f"greetings: {caller}: sound {sound!r}: write a sound file without "
                    "extension, e.g. hello-world"
                )
        return value

    def greeting_for(self, caller: str) -> str:
        """The pure decision: the caller's greeting, else the default."""
        return self.greetings.get(caller, self.default)

    def claims(self) -> list[CodeClaim]:
        return [CodeClaim(self.code, "hello code", self.file, self.code_line)]

    def site_dialplan(self) -> str:
        """`autocom dialplan` renders this: the code, in every internal context."""
        return (
            "\n[autocom-site-hello-codes]\n"
            f"; the hello code, from {self.file}\n"
            f"exten => {self.code},1,Answer()\n"
            " same => n,Set(AUTOCOM_HELLO=)\n"
            " same => n,AGI(${AUTOCOM_AGI}/hello,${CALLERID(num)})\n"
            ' same => n,GotoIf($["${AGISTATUS}" != "SUCCESS" | "${AUTOCOM_HELLO}" = ""]?failed)\n'
            " same => n,Playback(${AUTOCOM_HELLO})\n"
            " same => n,Hangup()\n"
            " same => n(failed),Playback(beeperr)\n"
            " same => n,Hangup()\n"
        )


def load(path: Path | None, site: Site) -> HelloRules:
    """Read hello.yaml (None: the defaults); ConfigError lists every problem."""
    if path is None:
        return HelloRules()
    doc = load_yaml(path)
    rules = validate(HelloRules, doc)
    issues = [
        ConfigIssue(
            str(path),
            doc.line_of(("greetings", caller)),
            f"greetings: {caller} is not a user of the site",
            "write the extension of a user of site.yaml",
        )
        for caller in rules.greetings
        if site.user(caller) is None
    ]
    if issues:
        raise ConfigError(issues)
    return rules.model_copy(update={"file": str(path), "code_line": doc.line_of(("code",))})
