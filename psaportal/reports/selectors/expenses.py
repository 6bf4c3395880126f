"""Expenses: amounts by member, type and company, billable or not, by expense date."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from psaportal.records.models import ExpenseEntry
from psaportal.reports import tables as t
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period


def expense_entries(*, connection, period: Period, filters: ReportFilters) -> QuerySet:
    rows = ExpenseEntry.objects.filter(
        connection=connection, expense_date__gte=period.start, expense_date__lte=period.end
    )
    if filters.member:
        rows = rows.filter(member_identifier=filters.member)
    if filters.company:
        rows = rows.filter(company_name=filters.company)
    return rows.order_by()


def _amount(condition: Q | None = None):
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
    return Coalesce(Sum("amount", filter=condition), zero)


def _sums() -> dict:
    return {
        "n": Count("pk"),
        "total": _amount(),
        "billable_amount": _amount(Q(billable=True)),
        "other_amount": _amount(Q(billable=False)),
    }


def _url(period: Period, filters: ReportFilters, **params) -> str:
    query = {
        "member": filters.member,
        "company": filters.company,
        "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(),
    }
    query.update(params)
    return t.list_url("expense_entries", **query)


def expense_totals(*, connection, period: Period, filters: ReportFilters) -> dict:
    return expense_entries(connection=connection, period=period, filters=filters).aggregate(
        **_sums()
    )


def _by(*, connection, period, filters, column: str, key: str, heading: str, param: str):
    rows = (
        expense_entries(connection=connection, period=period, filters=filters)
        .values(column)
        .annotate(**_sums())
        .order_by("-total", column)
    )
    table = t.Table(
        key=key,
        title=f"Expenses by {heading.lower()}",
        columns=[heading, "Entries", "Amount", "Billable", "Not billable"],
        chart=t.Chart(
            series=(3, 4),
            stacked=True,
            horizontal=True,
            description=f"Expense amounts by {heading.lower()}, billable and not.",
        ),
    )
    for row in rows:
        value = row[column]

        def url(billable="", value=value):
            return _url(period, filters, **{param: value}, billable=billable) if value else ""

        table.rows.append(
            [
                t.label(value or "(none)", url()),
                t.count_cell(row["n"], url()),
                t.money_cell(row["total"], url()),
                t.money_cell(row["billable_amount"], url("yes")),
                t.money_cell(row["other_amount"], url("no")),
            ]
        )
    return table


def expenses_report(*, connection, period: Period, filters: ReportFilters) -> t.Report:
    totals = expense_totals(connection=connection, period=period, filters=filters)
    return t.Report(
        slug="expenses",
        title="Expenses",
        figures=[
            t.Figure("Entries", str(totals["n"]), totals["n"], _url(period, filters)),
            t.Figure(
                "Amount", t.money(totals["total"]), float(totals["total"]), _url(period, filters)
            ),
            t.Figure(
                "Billable",
                t.money(totals["billable_amount"]),
                float(totals["billable_amount"]),
                _url(period, filters, billable="yes"),
            ),
            t.Figure(
                "Not billable",
                t.money(totals["other_amount"]),
                float(totals["other_amount"]),
                _url(period, filters, billable="no"),
            ),
        ],
        tables=[
            _by(
                connection=connection,
                period=period,
                filters=filters,
                column="member_identifier",
                key="members",
                heading="Member",
                param="member",
            ),
            _by(
                connection=connection,
                period=period,
                filters=filters,
                column="type_name",
                key="types",
                heading="Type",
                param="type",
            ),
            _by(
                connection=connection,
                period=period,
                filters=filters,
                column="company_name",
                key="companies",
                heading="Company",
                param="company",
            ),
        ],
    )
