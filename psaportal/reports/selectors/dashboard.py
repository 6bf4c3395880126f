"""The manager dashboard: each report's key figures for a period against the period of the
same length just before it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from psaportal.reports import catalog
from psaportal.reports import tables as t
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period
from psaportal.reports.selectors.expenses import expense_totals
from psaportal.reports.selectors.pipeline import pipeline_totals
from psaportal.reports.selectors.service_desk import service_desk_totals
from psaportal.reports.selectors.utilization import time_totals


@dataclass(frozen=True)
class KeyFigure:
    report: str  # the report's slug
    label: str
    current: float | None
    previous: float | None
    kind: str  # hours | percent | count | money

    def _text(self, value) -> str:
        if value is None:
            return "—"
        if self.kind == "percent":
            return t.percent_text(value)
        if self.kind == "count":
            return str(int(value))
        return f"{value:.2f}"

    @property
    def current_text(self) -> str:
        return self._text(self.current)

    @property
    def previous_text(self) -> str:
        return self._text(self.previous)

    @property
    def change(self) -> str:
        """up, down, same, or "" when either side is unknown."""
        if self.current is None or self.previous is None:
            return ""
        if round(self.current, 2) == round(self.previous, 2):
            return "same"
        return "up" if self.current > self.previous else "down"

    @property
    def change_text(self) -> str:
        if not self.change:
            return "no comparison"
        if self.change == "same":
            return "unchanged"
        difference = abs(self.current - self.previous)
        unit = " points" if self.kind == "percent" else ""
        return f"{self.change} {self._text(difference)}{unit}"


@dataclass(frozen=True)
class Dashboard:
    figures: list[KeyFigure]
    as_of: datetime.datetime  # when the oldest of its totals was worked out


#: Each report's totals, cached under the generations of the kinds that report reads (an
#: edit to a ticket works out the service desk's totals again, not the other three).
TOTALS = {
    "time": time_totals,
    "service-desk": service_desk_totals,
    "pipeline": pipeline_totals,
    "expenses": expense_totals,
}


def dashboard_figures(*, connection, period: Period) -> Dashboard:
    """Key figures of every report for `period` and for the period before it."""
    everyone = ReportFilters()
    spans = (period, period.previous())
    totals = {
        slug: catalog.REPORTS[slug].cached(
            connection=connection,
            name="totals",
            params=spans,
            compute=lambda function=function: [
                function(connection=connection, period=span, filters=everyone) for span in spans
            ],
        )
        for slug, function in TOTALS.items()
    }
    sides = {}
    for side, name in enumerate(("current", "previous")):
        time, desk, sales, spend = (totals[slug].value[side] for slug in TOTALS)
        sides[name] = {
            "billable": time["billable"],
            "utilization": time["utilization"],
            "closed": desk["closed"],
            "kill_rate": desk["kill_rate"],
            "won_value": float(sales["won_value"]),
            "win_rate": sales["win_rate"],
            "expenses": float(spend["total"]),
        }
    now, before = sides["current"], sides["previous"]

    def figure(report, label, key, kind):
        return KeyFigure(report, label, now[key], before[key], kind)

    figures = [
        figure("time", "Billable hours", "billable", "hours"),
        figure("time", "Utilization %", "utilization", "percent"),
        figure("service-desk", "Tickets closed", "closed", "count"),
        figure("service-desk", "Kill rate %", "kill_rate", "percent"),
        figure("pipeline", "Won revenue", "won_value", "money"),
        figure("pipeline", "Win rate %", "win_rate", "percent"),
        figure("expenses", "Expenses", "expenses", "money"),
    ]
    return Dashboard(figures, min(computed.as_of for computed in totals.values()))
