"""Pipeline: the open opportunities by stage, sales rep and expected close month, and those
won or lost in the period (by their closed date) with the win rate.

Open, won and lost are opportunity statuses by name; "No Decision" and other closed
statuses count neither as won nor as lost. Revenue is the opportunity's total sales.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from psaportal.records.models import Opportunity
from psaportal.reports import tables as t
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period, month_end

OPEN = "Open"
WON = "Won"
LOST = "Lost"


def opportunities(*, connection, filters: ReportFilters) -> QuerySet[Opportunity]:
    rows = Opportunity.objects.filter(connection=connection)
    if filters.member:
        rows = rows.filter(sales_rep_identifier=filters.member)
    if filters.company:
        rows = rows.filter(company_name=filters.company)
    return rows.order_by()


def _revenue(condition: Q | None = None):
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
    return Coalesce(Sum("total_sales", filter=condition), zero)


def _url(filters: ReportFilters, **params) -> str:
    query = {"rep": filters.member, "company": filters.company}
    query.update(params)
    return t.list_url("opportunities", **query)


def _closed_in(period: Period) -> dict:
    return {"closed_from": period.start.isoformat(), "closed_to": period.end.isoformat()}


def won_lost(*, connection, period: Period, filters: ReportFilters) -> QuerySet:
    return opportunities(connection=connection, filters=filters).filter(
        closed_date__gte=period.start_moment, closed_date__lt=period.end_moment
    )


def pipeline_totals(*, connection, period: Period, filters: ReportFilters) -> dict:
    totals = won_lost(connection=connection, period=period, filters=filters).aggregate(
        won=Count("pk", filter=Q(status_name=WON)),
        won_value=_revenue(Q(status_name=WON)),
        lost=Count("pk", filter=Q(status_name=LOST)),
        lost_value=_revenue(Q(status_name=LOST)),
    )
    totals["win_rate"] = t.percent(totals["won"], totals["won"] + totals["lost"])
    open_rows = opportunities(connection=connection, filters=filters).filter(status_name=OPEN)
    totals.update(open_rows.aggregate(open=Count("pk"), open_value=_revenue()))
    return totals


def _open_by(*, connection, filters, column: str, key: str, title: str, heading: str, param: str):
    rows = (
        opportunities(connection=connection, filters=filters)
        .filter(status_name=OPEN)
        .values(column)
        .annotate(n=Count("pk"), revenue=_revenue())
        .order_by(column)
    )
    table = t.Table(
        key=key,
        title=title,
        columns=[heading, "Open opportunities", "Expected revenue"],
        chart=t.Chart(series=(2,), horizontal=True, description=f"Expected revenue, {title}."),
        empty="No open opportunities.",
    )
    for row in rows:
        value = row[column]
        url = _url(filters, status=OPEN, **{param: value}) if value else ""
        table.rows.append(
            [
                t.label(value or "(none)"),
                t.count_cell(row["n"], url),
                t.money_cell(row["revenue"], url),
            ]
        )
    return table


def close_months_table(*, connection, filters: ReportFilters) -> t.Table:
    rows = (
        opportunities(connection=connection, filters=filters)
        .filter(status_name=OPEN, expected_close_date__isnull=False)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(n=Count("pk"), revenue=_revenue())
        .order_by("month")
    )
    table = t.Table(
        key="close-months",
        title="Open opportunities by expected close month",
        columns=["Month", "Open opportunities", "Expected revenue"],
        chart=t.Chart(series=(2,), description="Expected revenue by expected close month."),
        empty="No open opportunities with an expected close date.",
    )
    for row in rows:
        first = timezone.localtime(row["month"]).date()
        url = _url(
            filters,
            status=OPEN,
            close_from=first.isoformat(),
            close_to=month_end(first).isoformat(),
        )
        table.rows.append(
            [
                t.label(f"{first:%Y-%m}"),
                t.count_cell(row["n"], url),
                t.money_cell(row["revenue"], url),
            ]
        )
    return table


def won_lost_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    rows = (
        won_lost(connection=connection, period=period, filters=filters)
        .values("sales_rep_identifier")
        .annotate(
            name=Max("sales_rep_name"),
            won=Count("pk", filter=Q(status_name=WON)),
            won_value=_revenue(Q(status_name=WON)),
            lost=Count("pk", filter=Q(status_name=LOST)),
            lost_value=_revenue(Q(status_name=LOST)),
        )
        .filter(Q(won__gt=0) | Q(lost__gt=0))
        .order_by("sales_rep_identifier")
    )
    table = t.Table(
        key="won-lost",
        title="Won and lost in the period, by sales rep",
        columns=["Sales rep", "Won", "Won revenue", "Lost", "Lost revenue", "Win rate %"],
        chart=t.Chart(series=(1, 3), description="Opportunities won and lost per sales rep."),
        note="Win rate: won / (won + lost), by closed date.",
    )
    closed = _closed_in(period)
    for row in rows:
        rep = row["sales_rep_identifier"]

        def url(status, rep=rep):
            return _url(filters, rep=rep, status=status, **closed) if rep else ""

        table.rows.append(
            [
                t.label(rep or "(no rep)"),
                t.count_cell(row["won"], url(WON)),
                t.money_cell(row["won_value"], url(WON)),
                t.count_cell(row["lost"], url(LOST)),
                t.money_cell(row["lost_value"], url(LOST)),
                t.percent_cell(t.percent(row["won"], row["won"] + row["lost"])),
            ]
        )
    return table


def pipeline_report(*, connection, period: Period, filters: ReportFilters) -> t.Report:
    totals = pipeline_totals(connection=connection, period=period, filters=filters)
    closed = _closed_in(period)
    return t.Report(
        slug="pipeline",
        title="Pipeline",
        figures=[
            t.Figure(
                "Open opportunities",
                str(totals["open"]),
                totals["open"],
                _url(filters, status=OPEN),
            ),
            t.Figure(
                "Open expected revenue", t.money(totals["open_value"]), float(totals["open_value"])
            ),
            t.Figure("Won", str(totals["won"]), totals["won"], _url(filters, status=WON, **closed)),
            t.Figure("Won revenue", t.money(totals["won_value"]), float(totals["won_value"])),
            t.Figure(
                "Lost", str(totals["lost"]), totals["lost"], _url(filters, status=LOST, **closed)
            ),
            t.Figure(
                "Win rate %",
                t.percent_text(totals["win_rate"]),
                totals["win_rate"],
                hint="Won / (won + lost)",
            ),
        ],
        tables=[
            _open_by(
                connection=connection,
                filters=filters,
                column="stage_name",
                key="stages",
                title="Open opportunities by stage",
                heading="Stage",
                param="stage",
            ),
            _open_by(
                connection=connection,
                filters=filters,
                column="sales_rep_identifier",
                key="reps",
                title="Open opportunities by sales rep",
                heading="Sales rep",
                param="rep",
            ),
            close_months_table(connection=connection, filters=filters),
            won_lost_table(connection=connection, period=period, filters=filters),
        ],
    )
