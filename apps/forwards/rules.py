"""forwards.yaml: the feature codes and the limits of forward chains.

The file is optional: without it the XiVO codes (*20..*23) and a chain of at
most 5 forwards apply.  Example::

    codes:
      unconditional: "*21"
      no_answer: "*22"
      busy: "*23"
      cancel_all: "*20"
      dnd_on: "*78"       # do-not-disturb on: the user's devices are not rung
      dnd_off: "*79"
    max_chain: 5          # forwards followed in one call before ringing where it stands
    emergency_forward: refuse
    lamp_sync: 10         # seconds between two lamp syncs from the store (needs ari:)
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from autocom.config.model import RuleModel
from autocom.config.yaml_source import Document
from autocom.feature import CodeClaim

CODE_RE = re.compile(r"^[*#0-9]{1,8}$")

# The three kinds of forward, as stored and as written in the CLI.
ForwardType = Literal["unconditional", "noanswer", "busy"]
FORWARD_TYPES: tuple[ForwardType, ...] = ("unconditional", "noanswer", "busy")
# Short names used in BLF device names and dialplan variables.
SHORT: dict[ForwardType, str] = {"unconditional": "unc", "noanswer": "rna", "busy": "busy"}
ALIASES: dict[str, ForwardType] = {
    "unconditional": "unconditional",
    "unc": "unconditional",
    "always": "unconditional",
    "noanswer": "noanswer",
    "no_answer": "noanswer",
    "no-answer": "noanswer",
    "rna": "noanswer",
    "busy": "busy",
}


def forward_type(text: str) -> ForwardType:
    """Read a forward type as an admin writes it ('unconditional', 'rna', 'busy'...)."""
    try:
        return ALIASES[text.strip().lower()]
    except KeyError:
        raise ValueError(f"forward type {text!r}: write unconditional, noanswer or busy") from None


class ForwardCodes(RuleModel):
    """Feature codes dialed from a phone; the code alone toggles the last destination."""

    unconditional: str = "*21"
    no_answer: str = "*22"
    busy: str = "*23"
    cancel_all: str = "*20"
    # do-not-disturb on and off (the user's devices are not rung: the caller gets busy)
    dnd_on: str = "*78"
    dnd_off: str = "*79"

    @field_validator("unconditional", "no_answer", "busy", "cancel_all", "dnd_on", "dnd_off")
    @classmethod
    def _code(cls, v: str) -> str:
        if not CODE_RE.match(v):
            raise ValueError(f"feature code {v!r}: write digits, * or #, e.g. '*21'")
        return v

    @model_validator(mode="after")
    def _distinct(self) -> ForwardCodes:
        codes = [
            self.unconditional,
            self.no_answer,
            self.busy,
            self.cancel_all,
            self.dnd_on,
            self.dnd_off,
        ]
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                if a.startswith(b) or b.startswith(a):
                    raise ValueError(
                        f"feature codes {a!r} and {b!r}: one is the start of the other, "
                        "so a number after it could not be told apart"
                    )
        return self

    def by_type(self) -> dict[ForwardType, str]:
        return {"unconditional": self.unconditional, "noanswer": self.no_answer, "busy": self.busy}

    def extensions(self) -> list[tuple[str, str]]:
        """(field, dialplan extension) of every code: ``_*21.`` and ``*21`` per type
        (a number after it, or alone), then ``*20``.  What is rendered, and checked
        against the numbering plan."""
        out: list[tuple[str, str]] = []
        for name, code in (
            ("unconditional", self.unconditional),
            ("no_answer", self.no_answer),
            ("busy", self.busy),
        ):
            out += [(name, f"_{code}."), (name, code)]
        out += [
            ("cancel_all", self.cancel_all),
            ("dnd_on", self.dnd_on),
            ("dnd_off", self.dnd_off),
        ]
        return out


class ForwardsRules(RuleModel):
    """The whole forwards.yaml."""

    _code_lines: dict[str, int] = PrivateAttr(default_factory=dict)  # field -> line

    codes: ForwardCodes = ForwardCodes()
    # Forwards followed in one call (A->B->C is 2); beyond it the call rings where it is.
    max_chain: int = Field(default=5, ge=1, le=20)
    # A forward to an emergency number is refused when set (a call to 112 is
    # never blocked, but sending other people's calls there is not allowed).
    emergency_forward: Literal["refuse", "allow"] = "refuse"
    # Longest destination accepted (digits).
    max_digits: int = Field(default=20, ge=2, le=30)
    # Seconds between two syncs of the BLF lamps from the state store, over the
    # ARI of autocom.yaml (no ari: section: lamps change only by feature codes).
    lamp_sync: float = Field(default=10.0, gt=0, le=86400)

    def remember_code_lines(self, doc: Document) -> None:
        """Keep the line of each code written in the file (for code_claims)."""
        self._code_lines = {
            name: doc.lines[("codes", name)]
            for name, _ in self.codes.extensions()
            if ("codes", name) in doc.lines
        }

    def code_claims(self, file: str) -> list[CodeClaim]:
        """Every rendered code extension with the file:line of its code (the line of
        ``codes:`` for a default code, none without a file)."""
        src = self.codes.source
        default = src.line if src is not None else None
        return [
            CodeClaim(
                exten,
                f"forward code {name} {getattr(self.codes, name)!r}",
                file,
                self._code_lines.get(name, default),
            )
            for name, exten in self.codes.extensions()
        ]

    def site_dialplan(self) -> str:
        """The contexts `autocom dialplan` adds to the site dialplan: the feature codes
        (``autocom-site-forwards-codes``) and the BLF hints (``autocom-site-forwards-hints``),
        included by dialplan/autocom-forwards.conf."""
        lines = [
            "",
            "[autocom-site-forwards-codes]",
            "; forward codes, from forwards.yaml (codes:); handled in autocom-forwards-code",
        ]
        for _, exten in self.codes.extensions():
            lines.append(f"exten => {exten},1,Goto(autocom-forwards-code,${{EXTEN}},1)")
        lines += [
            "",
            "[autocom-site-forwards-hints]",
            "; a BLF key on <code><ext> lights while that forward of <ext> is on",
        ]
        for ftype, code in self.codes.by_type().items():
            lines.append(
                f"exten => _{code}X.,hint,Custom:autocom-fwd-{SHORT[ftype]}-${{EXTEN:{len(code)}}}"
            )
        return "\n".join(lines) + "\n"
