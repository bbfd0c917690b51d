"""speeddial.yaml: collective speed dials and the codes of personal ones.

Example::

    collective:
      range: "8000-8999"        # or  prefix: "*8"  (codes *80, *8123...)
      entries:
        - code: "8001"
          number: "00388123456"  # as a user of the site dials it (line prefix included)
          label: "Pharmacie"
        - code: "8100"
          number: "0612345678"
          label: "PC securite"
          bypass_rights: true    # reached even by phones whose class forbids mobiles
    personal:                    # from the phone; slot = two digits 00-99
      store: "*55"               # *55 07 0612345678 stores slot 07
      delete: "*56"              # *56 07
      hear: "*57"                # *57 07 reads the number back
      dial: "**"                 # **07 rings it
"""

from __future__ import annotations

import re

from pydantic import Field, PrivateAttr, field_validator, model_validator

from autocom.config.model import RuleModel
from autocom.config.yaml_source import Document
from autocom.feature import CodeClaim
from autocom.site.model import NumberRange

CODE_RE = re.compile(r"^[*#0-9]{1,20}$")
NUMBER_RE = re.compile(r"^[0-9]{1,20}$")
LABEL_MAX = 40


def check_number(value: str) -> str:
    if not NUMBER_RE.match(value):
        raise ValueError(f"number {value!r}: write digits only (1 to 20), as a phone dials them")
    return value


def check_label(value: str) -> str:
    if len(value) > LABEL_MAX:
        raise ValueError(f"label {value!r}: at most {LABEL_MAX} characters")
    if any(ord(c) < 32 or c in '"\\' for c in value):
        raise ValueError(f"label {value!r}: no control characters, quotes or backslashes")
    return value


class Entry(RuleModel):
    """One collective speed dial."""

    code: str
    number: str
    label: str = ""
    bypass_rights: bool = False  # true: dialed whatever the caller's class says (logged)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not CODE_RE.match(v):
            raise ValueError(f"code {v!r}: write digits (and * or #)")
        return v

    @field_validator("number")
    @classmethod
    def _number(cls, v: str) -> str:
        return check_number(v)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return check_label(v)


class Collective(RuleModel):
    range: str | None = None  # "8000-8999": codes of that many digits in the range
    prefix: str | None = None  # "*8": codes are the prefix then digits
    entries: tuple[Entry, ...] = ()

    @field_validator("range")
    @classmethod
    def _range(cls, v: str | None) -> str | None:
        if v is not None:
            NumberRange.parse(v)
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is not None and not CODE_RE.match(v):
            raise ValueError(f"prefix {v!r}: write digits, * or #, e.g. '*8'")
        return v

    @model_validator(mode="after")
    def _codes(self) -> Collective:
        if (self.range is None) == (self.prefix is None) and self.entries:
            raise ValueError("declare the codes with either range: '8000-8999' or prefix: '*8'")
        if self.range is not None and self.prefix is not None:
            raise ValueError("write range: or prefix:, not both")
        return self

    @property
    def number_range(self) -> NumberRange | None:
        return NumberRange.parse(self.range) if self.range is not None else None

    def in_range(self, code: str) -> bool:
        rng = self.number_range
        if rng is not None:
            return code in rng
        if self.prefix is not None:
            rest = code[len(self.prefix) :]
            return code.startswith(self.prefix) and rest.isdigit()
        return False

    def describe_range(self) -> str:
        return f"range {self.range}" if self.range is not None else f"prefix {self.prefix}"


class Personal(RuleModel):
    store: str = "*55"
    delete: str = "*56"
    hear: str = "*57"
    dial: str = "**"
    slots: int = Field(default=100, ge=1, le=100)  # slots 00..slots-1

    @field_validator("store", "delete", "hear", "dial")
    @classmethod
    def _code(cls, v: str) -> str:
        if not CODE_RE.match(v) or len(v) > 8:
            raise ValueError(f"code {v!r}: write digits, * or #, e.g. '*55'")
        return v

    @model_validator(mode="after")
    def _distinct(self) -> Personal:
        codes = [self.store, self.delete, self.hear, self.dial]
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                if a.startswith(b) or b.startswith(a):
                    raise ValueError(
                        f"codes {a!r} and {b!r}: one is the start of the other; "
                        "give each a different start"
                    )
        return self


class SpeedDialRules(RuleModel):
    """The whole speeddial.yaml."""

    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    collective: Collective = Collective()
    personal: Personal = Personal()

    def entry(self, code: str) -> Entry | None:
        for e in self.collective.entries:
            if e.code == code:
                return e
        return None

    def extensions(self) -> list[str]:
        """The dialplan extensions of every code: the collective range (or prefix),
        then the personal store, delete, hear and dial codes with their slot."""
        out: list[str] = []
        col = self.collective
        rng = col.number_range
        if rng is not None:
            out += range_patterns(rng.start, rng.end)
        elif col.prefix is not None:
            out += [f"_{col.prefix}X", f"_{col.prefix}X."]
        p = self.personal
        out += [f"_{p.store}XX.", f"_{p.delete}XX", f"_{p.hear}XX", f"_{p.dial}XX"]
        return out

    def remember_lines(self, doc: Document) -> None:
        """Keep the lines of the file's keys (for code_claims)."""
        self._lines = dict(doc.lines)

    def _line(self, *path: str) -> int | None:
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None

    def code_claims(self, file: str) -> list[CodeClaim]:
        """The extensions of extensions(), each with the file:line of what makes it:
        collective.range or .prefix, personal.store / delete / hear / dial."""
        col = self.collective
        key = "range" if col.number_range is not None else "prefix"
        p = self.personal
        personal = ("store", "delete", "hear", "dial")
        extens = self.extensions()
        count = len(extens) - len(personal)
        out = [
            CodeClaim(
                e,
                f"speed-dial collective {key} {getattr(col, key)!r}",
                file,
                self._line("collective", key),
            )
            for e in extens[:count]
        ]
        for name, exten in zip(personal, extens[count:], strict=True):
            what = f"personal speed-dial code {name} {getattr(p, name)!r}"
            out.append(CodeClaim(exten, what, file, self._line("personal", name)))
        return out

    def site_dialplan(self) -> str:
        """The context `autocom dialplan` adds to the site dialplan,
        ``autocom-site-speed_dial-codes`` (included by dialplan/autocom-speed_dial.conf)."""
        lines = [
            "",
            "[autocom-site-speed_dial-codes]",
            "; speed-dial codes, from speeddial.yaml; handled in autocom-speed_dial-run",
        ]
        for exten in self.extensions():
            lines.append(
                f"exten => {exten},1,Gosub(autocom-speed_dial-run,s,1(${{EXTEN}},${{CONTEXT}}))"
            )
            lines.append(" same => n,Goto(autocom-act,${AUTOCOM_ACTION},1)")
        return "\n".join(lines) + "\n"


def _digits(low: int, high: int) -> str:
    if low == high:
        return str(low)
    return "X" if (low, high) == (0, 9) else f"[{low}-{high}]"


def _range_parts(lo: str, hi: str) -> list[str]:
    if lo == hi:
        return [lo]
    same = 0
    while lo[same] == hi[same]:
        same += 1
    head, lo, hi = lo[:same], lo[same:], hi[same:]
    rest = len(lo) - 1
    first, last = int(lo[0]), int(hi[0])
    out: list[str] = []
    if lo[1:] != "0" * rest:  # the partial block at the bottom: lo .. lo[0]99..9
        out += [head + lo[0] + p for p in _range_parts(lo[1:], "9" * rest)]
        first += 1
    tail: list[str] = []
    if hi[1:] != "9" * rest:  # the partial block at the top: hi[0]00..0 .. hi
        tail = [head + hi[0] + p for p in _range_parts("0" * rest, hi[1:])]
        last -= 1
    if first <= last:
        out.append(head + _digits(first, last) + "X" * rest)
    return out + tail


def range_patterns(start: str, end: str) -> list[str]:
    """Asterisk extensions matching exactly the numbers start..end (same length):
    '8000', '8999' -> ['_8XXX']; '8000', '8049' -> ['_80[0-4]X']."""
    return [p if p.isdigit() else f"_{p}" for p in _range_parts(start, end)]
