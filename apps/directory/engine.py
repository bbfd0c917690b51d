"""The caller-name decision: pure, no I/O.

Given the rules, the number and name Asterisk has for the caller, and what the
directory lookup gave (entries, or a timeout / an outage), decide the name to
set, or to leave the call unchanged, with the reason and a trace.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from apps.directory.rules import CallerNameRule, format_fields
from autocom.directory import Entry, NumberPlan

Outcome = Literal["found", "unknown", "timeout", "unavailable"]
MAX_NUMBER = 40


@dataclass(frozen=True)
class LookupFacts:
    """What the hook learned: entries found (maybe from the cache) and how."""

    outcome: Outcome
    entries: tuple[Entry, ...] = ()
    origin: str = ""  # 'cache', 'source', 'stale cache'


@dataclass(frozen=True)
class CallerNameDecision:
    name: str | None  # the CALLERID(name) to set; None = leave the call as it is
    reason: str
    trace: tuple[str, ...] = ()


def clean_text(text: str, max_length: int) -> str:
    """One line of printable text: control characters (CR, LF, NUL...) become spaces."""
    chars = [" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text]
    return " ".join("".join(chars).split())[:max_length].rstrip()


def fields_of(entry: Entry, number: str) -> dict[str, str]:
    return {
        "NAME": entry.name.upper(),
        "name": entry.name,
        "first_name": entry.first_name,
        "FIRST_NAME": entry.first_name.upper(),
        "department": entry.department,
        "title": entry.title,
        "room": entry.room,
        "email": entry.email,
        "extension": entry.extension,
        "source": entry.source,
        "number": number,
    }


def format_name(rule: CallerNameRule, entry: Entry, number: str) -> tuple[str, str]:
    """(name, format used): the first format whose fields all have a value."""
    values = {k: clean_text(v, rule.max_length) for k, v in fields_of(entry, number).items()}
    for fmt in rule.formats:
        if all(values[f] for f in format_fields(fmt)):
            return clean_text(fmt.format_map(values), rule.max_length), fmt
    return clean_text(values["NAME"] or values["name"], rule.max_length), "{NAME}"


def _has_name(current: str | None, number: str, plan: NumberPlan) -> bool:
    if current is None:
        return False
    text = current.strip()
    if not text or text.lower() in ("unknown", "anonymous", "<unknown>"):
        return False
    # a name that is only the number again is no name
    return not (plan.clean(text) and plan.canonical(text) == plan.canonical(number))


def decide(
    rule: CallerNameRule,
    plan: NumberPlan,
    number: str,
    current_name: str | None,
    facts: LookupFacts,
    where: str = "",
) -> CallerNameDecision:
    trace = [f"{where} caller_name"] if where else []
    number = clean_text(number, MAX_NUMBER)
    if not rule.enabled:
        return CallerNameDecision(None, "caller names are disabled", tuple(trace))
    if not plan.canonical(number):
        return CallerNameDecision(None, f"{number!r} is no phone number", tuple(trace))
    if rule.replace == "if_empty" and _has_name(current_name, number, plan):
        trace.append("replace: if_empty")
        return CallerNameDecision(None, "the call already has a name", tuple(trace))
    if facts.outcome == "timeout":
        return CallerNameDecision(
            None, f"no answer within {rule.budget_ms} ms: call left unchanged", tuple(trace)
        )
    if facts.outcome == "unavailable":
        return CallerNameDecision(None, "directory unavailable: call left unchanged", tuple(trace))
    if not facts.entries:
        return CallerNameDecision(None, f"{number} is in no directory", tuple(trace))
    entry = facts.entries[0]
    name, fmt = format_name(rule, entry, number)
    if not name:
        return CallerNameDecision(None, "the entry found has no name", tuple(trace))
    trace.append(f"format {fmt!r}")
    trace.append(
        f"entry {entry.source}:{entry.id}" + (f" ({facts.origin})" if facts.origin else "")
    )
    if current_name is not None and name == current_name:
        return CallerNameDecision(None, "the call already has this name", tuple(trace))
    others = len(facts.entries) - 1
    reason = f"{number} is {entry.display_name} ({entry.source})"
    if others:
        reason += f"; {others} other entr{'y' if others == 1 else 'ies'} share the number"
    return CallerNameDecision(name, reason, tuple(trace))
