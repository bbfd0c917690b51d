"""Phone numbers: one canonical form, the spellings a directory may hold, dialable form.

Pure functions of a :class:`NumberPlan`.  The canonical form is E.164
('+33388400005') whenever the number can be placed in the plan, otherwise its
digits (an extension with no DID, a short code).  ``0388400005``,
``+33 3 88 40 00 05``, ``0033388400005`` and, with a DID range, the extension
``400005`` all have the same canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_NOISE = re.compile(r"[\s.\-/()\u00a0]")
_TRUNK_ZERO = re.compile(r"^(\+\d{1,3})\s*\(0\)")  # '+33 (0)3 88...' written by people
MAX_NUMBER_LENGTH = 32
MEMO_SIZE = 65536  # canonical forms remembered per plan (every phone page reads them)


@dataclass(frozen=True)
class ExtensionDid:
    """Extensions of ``length`` digits are reached from outside as ``prefix`` + extension."""

    prefix: str  # E.164, e.g. '+33388'
    length: int  # digits in the extension, e.g. 6


@dataclass(frozen=True)
class NumberPlan:
    country_code: str = "33"
    national_prefix: str = "0"
    international_prefix: str = "00"
    line_prefix: str = ""  # the digit(s) dialled for an outside line, e.g. '0'
    extension_dids: tuple[ExtensionDid, ...] = ()
    max_extension_length: int = 6  # shorter numbers are extensions or short codes
    # single DIDs that ring an extension: (E.164 DID, extension), from site.yaml
    did_aliases: tuple[tuple[str, str], ...] = ()

    @cached_property
    def _alias_of(self) -> dict[str, str]:
        return dict(self.did_aliases)

    @cached_property
    def _dids_of(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for did, ext in self.did_aliases:
            out.setdefault(ext, []).append(did)
        return {ext: tuple(dids) for ext, dids in out.items()}

    def clean(self, raw: str) -> str:
        """Digits with an optional leading '+'; '' when ``raw`` is not a phone number."""
        text = _TRUNK_ZERO.sub(r"\1", raw.strip())
        text = _NOISE.sub("", text)
        if not text or len(text) > MAX_NUMBER_LENGTH:
            return ""
        body = text[1:] if text.startswith("+") else text
        if not body.isdigit() or not body.isascii():
            return ""
        return text

    @cached_property
    def _memo(self) -> dict[str, str]:
        return {}

    def canonical(self, raw: str) -> str:
        """E.164 when the plan can tell, else the digits; '' for no number."""
        memo = self._memo
        known = memo.get(raw)
        if known is not None:
            return known
        found = self._canonical(raw)
        ext = self._alias_of.get(found)
        if ext is not None:
            found = self._canonical(ext)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[raw] = found
        return found

    def _canonical(self, raw: str) -> str:
        number = self.clean(raw)
        if not number:
            return ""
        if number.startswith("+"):
            return number
        intl = self.international_prefix
        national = self.national_prefix
        if intl and number.startswith(intl) and len(number) > len(intl) + 2:
            return "+" + number[len(intl) :]
        if len(number) <= self.max_extension_length:
            for did in self.extension_dids:
                if len(number) == did.length:
                    return did.prefix + number
            return number
        if national and number.startswith(national):
            return "+" + self.country_code + number[len(national) :]
        return number

    def candidates(self, raw: str) -> tuple[str, ...]:
        """Canonical forms a caller id may stand for (with and without the line prefix)."""
        out = [self.canonical(raw)]
        cleaned = self.clean(raw)
        lp = self.line_prefix
        if lp and cleaned.startswith(lp) and len(cleaned) > len(lp) + self.max_extension_length:
            stripped = self.canonical(cleaned[len(lp) :])
            if stripped.startswith("+") or self.extension_of(stripped):
                out.append(stripped)
        return tuple(dict.fromkeys(c for c in out if c))

    def extension_of(self, canonical: str) -> str:
        """The internal extension of a canonical number, or ''."""
        for did in self.extension_dids:
            rest = canonical[len(did.prefix) :]
            if canonical.startswith(did.prefix) and len(rest) == did.length and rest.isdigit():
                return rest
        if (
            canonical
            and not canonical.startswith("+")
            and len(canonical) <= self.max_extension_length
        ):
            return canonical
        return ""

    def spellings(self, canonical: str) -> tuple[str, ...]:
        """How a directory may have written the number (spaces aside): for LDAP filters."""
        if not canonical:
            return ()
        out = [canonical]
        if canonical.startswith("+"):
            digits = canonical[1:]
            out.append(self.international_prefix + digits)
            cc = "+" + self.country_code
            if canonical.startswith(cc):
                out.append(self.national_prefix + canonical[len(cc) :])
        ext = self.extension_of(canonical)
        if ext:
            out.append(ext)
            for did in self._dids_of.get(ext, ()):
                out.extend(self.spellings(did))
        return tuple(dict.fromkeys(s for s in out if s))

    def dialable(self, raw: str) -> str:
        """What a phone of the site dials to reach the number."""
        return self.dialable_canonical(self.canonical(raw))

    def dialable_canonical(self, canonical: str) -> str:
        """What a phone of the site dials to reach the number of this canonical form."""
        if not canonical:
            return ""
        ext = self.extension_of(canonical)
        if ext:
            return ext
        if not canonical.startswith("+"):
            return canonical
        cc = "+" + self.country_code
        if canonical.startswith(cc):
            return self.line_prefix + self.national_prefix + canonical[len(cc) :]
        return self.line_prefix + self.international_prefix + canonical[1:]
