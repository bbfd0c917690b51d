"""The statistics page of department admins and admins: a pure function of what to show.

A form (department, then one period: a month, a day, or from and to) and the
department's figures as tables, each with its caption and column headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from apps.portal.i18n import Lang, t
from apps.portal.pages import _e, layout
from apps.portal.security import Session
from autocom.services import DepartmentStats, StatCounts, hms


@dataclass(frozen=True)
class StatsAsk:
    """What the form asked (as typed, shown again in the form)."""

    department: str
    month: str = ""
    day: str = ""
    first: str = ""
    last: str = ""


def _form(lang: Lang, departments: Sequence[str], ask: StatsAsk) -> str:
    options = "".join(
        f'<option value="{_e(d)}"{" selected" if d == ask.department else ""}>{_e(d)}</option>'
        for d in departments
    )
    fields = "".join(
        f'<p><label for="{name}">{t(lang, key)}</label><br>'
        f'<input id="{name}" name="{name}" value="{_e(value)}" size="10"></p>'
        for name, key, value in (
            ("month", "stats_month", ask.month),
            ("day", "stats_day", ask.day),
            ("from", "stats_from", ask.first),
            ("to", "stats_to", ask.last),
        )
    )
    return (
        '<form method="get" action="/stats">'
        f'<p><label for="department">{t(lang, "department")}</label><br>'
        f'<select id="department" name="department">{options}</select></p>'
        f"{fields}"
        f'<p><button type="submit" id="show">{t(lang, "stats_show")}</button></p></form>'
    )


COUNT_COLUMNS = ("stats_calls", "stats_answered", "stats_unanswered", "stats_talk", "stats_mean")


def _counts_table(
    lang: Lang, table_id: str, caption: str, rows: Sequence[tuple[str, StatCounts]], cur: str
) -> str:
    head = "".join(f'<th scope="col">{t(lang, k)}</th>' for k in COUNT_COLUMNS)
    head += f'<th scope="col">{t(lang, "stats_cost")} ({_e(cur)})</th>'
    body = "".join(
        f'<tr><th scope="row">{_e(name)}</th><td>{c.calls}</td><td>{c.answered}</td>'
        f"<td>{c.unanswered}</td><td>{hms(c.talk_seconds)}</td>"
        f"<td>{hms(c.mean_talk_seconds)}</td><td>{c.cost:.4f}</td></tr>"
        for name, c in rows
    )
    return (
        f'<table id="{table_id}"><caption>{caption}</caption><tr><td></td>{head}</tr>{body}</table>'
    )


def _hours_table(lang: Lang, s: DepartmentStats) -> str:
    busiest = ", ".join(f"{h:02d}h" for h in s.busiest_hours) or "-"
    cells = "".join(
        f'<tr><th scope="row">{h:02d}h</th><td>{n}</td></tr>' for h, n in enumerate(s.hours) if n
    )
    return (
        f'<p id="busiest">{t(lang, "stats_busiest")} : {busiest}</p>'
        f'<table id="hours"><caption>{t(lang, "stats_hours")}</caption>'
        f'<tr><th scope="col">{t(lang, "stats_hour")}</th>'
        f'<th scope="col">{t(lang, "stats_calls")}</th></tr>{cells}</table>'
    )


def figures(lang: Lang, s: DepartmentStats) -> str:
    last = s.until - timedelta(days=1)
    heading = f'<h2 id="period">{_e(s.department)} : {s.since:%d/%m/%Y} - {last:%d/%m/%Y}</h2>'
    named = [(t(lang, "stats_all"), s.total)]
    named += [(t(lang, f"stats_{d}"), c) for d, c in s.directions]
    outcome = ", ".join(f"{_e(d)} {n}" for d, n in s.dispositions) or "-"
    return (
        heading
        + _counts_table(lang, "directions", t(lang, "stats_directions"), named, s.currency)
        + f'<p id="outcome">{t(lang, "stats_outcome")} : {outcome}</p>'
        + _counts_table(lang, "categories", t(lang, "stats_categories"), s.categories, s.currency)
        + _counts_table(
            lang, "destinations", t(lang, "stats_destinations"), s.destinations, s.currency
        )
        + _hours_table(lang, s)
    )


def stats_page(
    lang: Lang,
    session: Session,
    departments: Sequence[str],
    ask: StatsAsk,
    found: DepartmentStats | str | None,
) -> str:
    """``found``: the figures, an error in words, or None (no call accounting)."""
    body = _form(lang, departments, ask)
    if found is None:
        body += f'<p id="figures">{t(lang, "no_history_feature")}</p>'
    elif isinstance(found, str):
        body += f'<p role="alert" class="no" id="figures">{_e(found)}</p>'
    else:
        body += f'<section id="figures">{figures(lang, found)}</section>'
    return layout(lang, t(lang, "stats"), body, session, "/stats")
