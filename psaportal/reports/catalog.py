"""The report pages: each one's slug, title, the filters it takes and the selector that
builds it; and the values the filter fields suggest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from psaportal.records.models import Board, Company, Member
from psaportal.reports.figures_cache import Computed, computed
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period
from psaportal.reports.selectors import expenses, pipeline, service_desk, utilization

SUGGESTIONS_MAX = 500
SUGGESTIONS_CACHE_SECONDS = 120


@dataclass(frozen=True)
class ReportPage:
    slug: str
    title: str
    summary: str
    filters: tuple[str, ...]
    build: Callable
    reads: tuple[str, ...]  # the kinds of mirrored records ``build`` reads
    member_label: str = "Member"

    def cached(self, *, connection, name: str, params: tuple, compute: Callable) -> Computed:
        """``compute()``'s answer, cached under the generations of the kinds this report
        reads (``name`` and ``params`` tell its answers apart)."""
        return computed(
            connection=connection,
            reads=self.reads,
            name=f"{self.slug}:{name}",
            params=params,
            compute=compute,
        )

    def built(self, *, connection, period: Period, filters: ReportFilters) -> Computed:
        """The report (``.value``) for these parameters and when it was worked out."""
        return self.cached(
            connection=connection,
            name="report",
            params=(period, filters),
            compute=lambda: self.build(connection=connection, period=period, filters=filters),
        )


REPORTS: dict[str, ReportPage] = {
    page.slug: page
    for page in (
        ReportPage(
            "time",
            "Time and utilization",
            "Hours by member, week and company; billable share, utilization, realization.",
            ("member", "company"),
            utilization.time_report,
            ("time_entries", "members"),
        ),
        ReportPage(
            "service-desk",
            "Service desk",
            "Tickets opened and closed, backlog, ageing, response and resolution times.",
            ("member", "company", "board"),
            service_desk.service_desk_report,
            ("tickets", "time_entries"),
            member_label="Owner",
        ),
        ReportPage(
            "pipeline",
            "Pipeline",
            "Open opportunities by stage, rep and expected close; won and lost.",
            ("member", "company"),
            pipeline.pipeline_report,
            ("opportunities",),
            member_label="Sales rep",
        ),
        ReportPage(
            "expenses",
            "Expenses",
            "Expense amounts by member, type and company; billable or not.",
            ("member", "company"),
            expenses.expenses_report,
            ("expense_entries",),
        ),
    )
}


def filter_suggestions(*, connection, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Values each filter field offers (a datalist): member identifiers, company and board
    names from the mirror, cached briefly."""
    sources = {
        "member": (Member, "identifier"),
        "company": (Company, "name"),
        "board": (Board, "name"),
    }
    suggestions = {}
    for name in names:
        model, column = sources[name]
        key = f"reports:suggest:{connection.pk}:{name}"
        values = cache.get(key)
        if values is None:
            values = list(
                model.objects.filter(connection=connection)
                .exclude(**{column: ""})
                .order_by(column)
                .values_list(column, flat=True)
                .distinct()[:SUGGESTIONS_MAX]
            )
            cache.set(key, values, SUGGESTIONS_CACHE_SECONDS)
        suggestions[name] = values
    return suggestions
