"""How every `autocom explain` of call rights prints a decision, and its exit status."""

from __future__ import annotations

from autocom.rights.decision import RightsDecision

EXIT = {"allow": 0, "deny": 1, "pin": 2}


def print_explain(d: RightsDecision, caller_note: str | None) -> int:
    """Print a decision as every `autocom explain` of rights does; its exit status."""
    print(f"decision: {d.verdict}")
    print(f"reason:   {d.reason}")
    print(f"caller:   {d.caller}" + (f" ({caller_note})" if caller_note else ""))
    print(f"dialed:   {d.dialed} -> number {d.number}")
    print(f"category: {d.category}")
    print(f"class:    {d.class_name or '-'}")
    print(f"slot:     {d.slot or '-'}")
    print(f"at:       {d.when}")
    print("rules:")
    for line in d.trace:
        print(f"  {line}")
    return EXIT[d.verdict]
