"""What a ticket tells a what-if: the replay columns, from a Ticket and from its JSON."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from apps.accounting.engine import Ticket
from apps.accounting.replay import replay_columns, replay_columns_of, unanswered

FWD = {"from": "2002", "to": "00612345678"}


@pytest.mark.parametrize(
    ("called_user", "disposition", "answered_by", "forwards", "want"),
    [
        ("2002", "answered", "2002", [], ""),
        ("2002", "busy", "", [], "busy"),
        ("2002", "no_answer", "", [], "noanswer"),
        ("2002", "failed", "", [], "noanswer"),  # CHANUNAVAIL: the no-answer forward
        ("2002", "answered", "0612345678", [{**FWD, "reason": "noanswer"}], "noanswer"),
        ("2002", "answered", "0612345678", [{**FWD, "reason": "busy"}], "busy"),
        # forwarded before ringing: the user's devices never rang, whatever happened next
        ("2002", "no_answer", "", [{**FWD, "reason": "unconditional"}], ""),
        ("2002", "answered", "2003", [], ""),  # answered by another (a pickup, a group)
        ("", "no_answer", "", [], ""),  # no user called
    ],
)
def test_what_the_called_users_devices_did(
    called_user: str, disposition: str, answered_by: str, forwards: list[dict[str, str]], want: str
) -> None:
    assert unanswered(called_user, disposition, answered_by, forwards) == want


def test_from_a_ticket_and_from_its_json_alike() -> None:
    base = Ticket(
        "1.1", 1.0, None, 5.0, "2004", "", "2004", "2002", "2002", "", "internal", "no_answer",
        19, "internal", "", "staff", "", "2004", "Scolarité", "", Decimal("0"),
    )  # fmt: skip
    cases = [
        base,
        replace(base, disposition="busy"),
        replace(
            base,
            forwards=({**FWD, "reason": "noanswer"},),
            answered_by="0612345678",
            disposition="answered",
        ),
        replace(base, called="8002", called_user="", speed_dial="8002", direction="outgoing"),
    ]
    got = [replay_columns(t) for t in cases]
    assert got == [replay_columns_of(t.as_dict()) for t in cases]
    assert got == [("", "noanswer"), ("", "busy"), ("", "noanswer"), ("8002", "")]
