"""Service desk: tickets opened and closed, the backlog now, ageing, response and
resolution times, and where the work comes from.

A ticket counts as opened in the period its date entered falls in, and as closed in the
period its closed date falls in, whatever its status is now; the backlog and the ageing
are of the tickets open now. Durations are in hours.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from psaportal.records.models import Ticket, TimeEntry
from psaportal.reports import tables as t
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period, start_of_day

NEW_STATUS = "New"
TOP = 10
#: Ageing buckets of open tickets: (label, youngest age in days, oldest age in days or None).
AGEING = (("0–1 days", 0, 1), ("2–7 days", 2, 7), ("8–30 days", 8, 30), ("Over 30 days", 31, None))


def tickets(*, connection, filters: ReportFilters) -> QuerySet[Ticket]:
    rows = Ticket.objects.filter(connection=connection)
    if filters.member:
        rows = rows.filter(owner_identifier=filters.member)
    if filters.company:
        rows = rows.filter(company_name=filters.company)
    if filters.board:
        rows = rows.filter(board_name=filters.board)
    return rows.order_by()


def opened(*, connection, period: Period, filters: ReportFilters) -> QuerySet[Ticket]:
    return tickets(connection=connection, filters=filters).filter(
        date_entered__gte=period.start_moment, date_entered__lt=period.end_moment
    )


def closed(*, connection, period: Period, filters: ReportFilters) -> QuerySet[Ticket]:
    return tickets(connection=connection, filters=filters).filter(
        closed_date__gte=period.start_moment, closed_date__lt=period.end_moment
    )


def _tickets_url(filters: ReportFilters, **params) -> str:
    query = {"owner": filters.member, "company": filters.company, "board": filters.board}
    query.update(params)
    return t.list_url("tickets", **query)


def _span(name: str, start: datetime.date, end: datetime.date) -> dict:
    return {f"{name}_from": start.isoformat(), f"{name}_to": end.isoformat()}


def _hours_between(start: str, end: str):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _duration_stats(rows: QuerySet, *, start: str, end: str) -> dict:
    """Mean and median hours from `start` to `end` over the rows having both, by the database
    (the median is the middle row or two of the rows sorted by duration)."""
    timed = rows.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).annotate(
        duration=_hours_between(start, end)
    )
    summary = timed.aggregate(count=Count("pk"), mean=Avg("duration"))
    count = summary["count"]
    if not count:
        return {"count": 0, "mean": None, "median": None}
    ordered = timed.order_by("duration", "pk").values_list("duration", flat=True)
    middle = list(ordered[(count - 1) // 2 : count // 2 + 1])
    median = sum(middle, datetime.timedelta()) / len(middle)
    return {"count": count, "mean": _hours(summary["mean"]), "median": _hours(median)}


def _hours(value: datetime.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def service_desk_totals(*, connection, period: Period, filters: ReportFilters) -> dict:
    opened_count = opened(connection=connection, period=period, filters=filters).count()
    closed_rows = closed(connection=connection, period=period, filters=filters)
    closed_count = closed_rows.count()
    return {
        "opened": opened_count,
        "closed": closed_count,
        "kill_rate": t.percent(closed_count, opened_count),
    }


def _ticket_work(*, connection, rows: QuerySet) -> dict:
    """Of `rows` with time entries: how many had one member on them, and one entry only.

    One grouped pass over the entries of those tickets (an index-only scan of
    te_ticket_work), not a subquery per ticket.
    """
    per_ticket = (
        TimeEntry.objects.filter(connection=connection, ticket_id__in=rows.values("psa_id"))
        .order_by()
        .values("ticket_id")
        .annotate(members=Count("member_identifier", distinct=True), touches=Count("ticket_id"))
    )
    return per_ticket.aggregate(
        worked=Count("ticket_id"),
        single_member=Count("ticket_id", filter=Q(members=1)),
        first_touch=Count("ticket_id", filter=Q(touches=1)),
    )


def weeks_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    def per_week(rows: QuerySet, column: str) -> dict:
        return {
            timezone.localtime(row["week"]).date(): row["n"]
            for row in rows.annotate(week=TruncWeek(column)).values("week").annotate(n=Count("pk"))
        }

    opened_by_week = per_week(
        opened(connection=connection, period=period, filters=filters), "date_entered"
    )
    closed_by_week = per_week(
        closed(connection=connection, period=period, filters=filters), "closed_date"
    )
    table = t.Table(
        key="weeks",
        title="Tickets opened and closed per week",
        columns=["Week of", "Opened", "Closed", "Kill rate %"],
        chart=t.Chart(series=(1, 2), description="Tickets opened and closed per week."),
        note="Kill rate: closed / opened. Weeks run Monday to Sunday, cut to the period.",
    )
    for week in period.weeks():
        opened_count = opened_by_week.get(week.monday, 0)
        closed_count = closed_by_week.get(week.monday, 0)
        table.rows.append(
            [
                t.label(week.label),
                t.count_cell(
                    opened_count, _tickets_url(filters, **_span("entered", week.start, week.end))
                ),
                t.count_cell(
                    closed_count, _tickets_url(filters, **_span("closed", week.start, week.end))
                ),
                t.percent_cell(t.percent(closed_count, opened_count)),
            ]
        )
    return table


def backlog_table(*, connection, filters: ReportFilters) -> t.Table:
    rows = (
        tickets(connection=connection, filters=filters)
        .filter(closed_flag=False)
        .values("board_name", "status_name")
        .annotate(n=Count("pk"))
        .order_by("board_name", "status_name")
    )
    table = t.Table(
        key="backlog",
        title="Open backlog now, by board and status",
        columns=["Board and status", "Board", "Status", "Open tickets"],
        chart=t.Chart(
            series=(3,), horizontal=True, description="Open tickets by board and status."
        ),
        empty="No open tickets.",
    )
    for row in rows:
        board, status = row["board_name"], row["status_name"]
        url = (
            _tickets_url(filters, open="open", board=board, status=status)
            if board and status
            else ""
        )
        table.rows.append(
            [
                t.label(f"{board or '(no board)'} · {status or '(no status)'}"),
                t.label(board or "(no board)"),
                t.label(status or "(no status)"),
                t.count_cell(row["n"], url),
            ]
        )
    return table


def ageing_table(*, connection, filters: ReportFilters, today: datetime.date) -> t.Table:
    """Open tickets by age in whole days since entered (today's tickets are 0 days old)."""
    open_rows = tickets(connection=connection, filters=filters).filter(closed_flag=False)
    counts = {}
    spans = {}
    for index, (label_text, youngest, oldest) in enumerate(AGEING):
        latest_day = today - datetime.timedelta(days=youngest)
        condition = Q(date_entered__lt=start_of_day(latest_day + datetime.timedelta(days=1)))
        span = {"entered_to": latest_day.isoformat()}
        if oldest is not None:
            earliest_day = today - datetime.timedelta(days=oldest)
            condition &= Q(date_entered__gte=start_of_day(earliest_day))
            span["entered_from"] = earliest_day.isoformat()
        counts[f"bucket_{index}"] = Count("pk", filter=condition)
        spans[label_text] = span
    figures = open_rows.aggregate(**counts)
    table = t.Table(
        key="ageing",
        title="Age of the open tickets",
        columns=["Age", "Open tickets"],
        chart=t.Chart(series=(1,), description="Open tickets by age."),
        note="Age in days since the ticket was entered.",
    )
    for index, (label_text, _, _) in enumerate(AGEING):
        url = _tickets_url(filters, open="open", **spans[label_text])
        table.rows.append([t.label(label_text), t.count_cell(figures[f"bucket_{index}"], url)])
    return table


def _opened_by(*, connection, period, filters, column: str, key: str, title: str, param: str):
    rows = (
        opened(connection=connection, period=period, filters=filters)
        .values(column)
        .annotate(n=Count("pk"))
        .order_by("-n", column)[:TOP]
    )
    heading = title.split(" ")[-1].capitalize()
    table = t.Table(
        key=key,
        title=title,
        columns=[heading, "Opened"],
        chart=t.Chart(series=(1,), horizontal=True, description=f"Tickets opened, {title}."),
    )
    span = _span("entered", period.start, period.end)
    for row in rows:
        value = row[column]
        url = _tickets_url(filters, **{param: value}, **span) if value else ""
        table.rows.append([t.label(value or "(none)"), t.count_cell(row["n"], url)])
    return table


def owners_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    def per_owner(rows: QuerySet) -> dict:
        return {
            row["owner_identifier"]: row
            for row in rows.values("owner_identifier").annotate(
                n=Count("pk"), name=Max("owner_name")
            )
        }

    opened_by = per_owner(opened(connection=connection, period=period, filters=filters))
    closed_by = per_owner(closed(connection=connection, period=period, filters=filters))
    owners = sorted(set(opened_by) | set(closed_by))
    table = t.Table(
        key="owners",
        title="Tickets per owner",
        columns=["Owner", "Opened", "Closed"],
        chart=t.Chart(
            series=(1, 2), horizontal=True, description="Tickets opened and closed per owner."
        ),
    )
    for owner in owners:
        opened_span = _span("entered", period.start, period.end)
        closed_span = _span("closed", period.start, period.end)
        table.rows.append(
            [
                t.label(owner or "(unassigned)"),
                t.count_cell(
                    opened_by.get(owner, {}).get("n", 0),
                    _tickets_url(filters, owner=owner, **opened_span) if owner else "",
                ),
                t.count_cell(
                    closed_by.get(owner, {}).get("n", 0),
                    _tickets_url(filters, owner=owner, **closed_span) if owner else "",
                ),
            ]
        )
    return table


def service_desk_report(*, connection, period: Period, filters: ReportFilters) -> t.Report:
    today = timezone.localdate()
    totals = service_desk_totals(connection=connection, period=period, filters=filters)
    opened_rows = opened(connection=connection, period=period, filters=filters)
    closed_rows = closed(connection=connection, period=period, filters=filters)
    response = _duration_stats(opened_rows, start="date_entered", end="date_responded")
    resolution = _duration_stats(closed_rows, start="date_entered", end="closed_date")
    same_day = closed_rows.annotate(
        closed_day=TruncDate("closed_date"), entered_day=TruncDate("date_entered")
    ).aggregate(n=Count("pk", filter=Q(closed_day=F("entered_day"))))
    work = _ticket_work(connection=connection, rows=closed_rows)
    open_now = tickets(connection=connection, filters=filters).filter(closed_flag=False)
    new_now = open_now.filter(status_name=NEW_STATUS).count()
    opened_url = _tickets_url(filters, **_span("entered", period.start, period.end))
    closed_url = _tickets_url(filters, **_span("closed", period.start, period.end))
    return t.Report(
        slug="service-desk",
        title="Service desk",
        figures=[
            t.Figure("Opened", str(totals["opened"]), totals["opened"], opened_url),
            t.Figure("Closed", str(totals["closed"]), totals["closed"], closed_url),
            t.Figure(
                "Kill rate %",
                t.percent_text(totals["kill_rate"]),
                totals["kill_rate"],
                hint="Closed / opened",
            ),
            t.Figure(
                "New now",
                str(new_now),
                new_now,
                _tickets_url(filters, open="open", status=NEW_STATUS) if new_now else "",
                hint=f"Open tickets in status “{NEW_STATUS}”",
            ),
            t.Figure("Open now", str(open_now.count()), None, _tickets_url(filters, open="open")),
            t.Figure(
                "First response, mean h",
                _hours_text(response["mean"]),
                response["mean"],
                hint=_median_hint(response, "opened"),
            ),
            t.Figure(
                "Time to close, mean h",
                _hours_text(resolution["mean"]),
                resolution["mean"],
                hint=_median_hint(resolution, "closed"),
            ),
            t.Figure(
                "Same-day close %",
                t.percent_text(t.percent(same_day["n"], totals["closed"])),
                t.percent(same_day["n"], totals["closed"]),
                hint="Closed on the day entered / closed",
            ),
            t.Figure(
                "One technician %",
                t.percent_text(t.percent(work["single_member"], work["worked"])),
                t.percent(work["single_member"], work["worked"]),
                hint=f"Of {work['worked']} closed tickets with time entries",
            ),
            t.Figure(
                "First-touch resolution %",
                t.percent_text(t.percent(work["first_touch"], work["worked"])),
                t.percent(work["first_touch"], work["worked"]),
                hint="Closed tickets with one time entry / those with any",
            ),
        ],
        tables=[
            weeks_table(connection=connection, period=period, filters=filters),
            backlog_table(connection=connection, filters=filters),
            ageing_table(connection=connection, filters=filters, today=today),
            _opened_by(
                connection=connection,
                period=period,
                filters=filters,
                column="company_name",
                key="companies",
                title="Tickets opened per company",
                param="company",
            ),
            _opened_by(
                connection=connection,
                period=period,
                filters=filters,
                column="type_name",
                key="types",
                title="Tickets opened per type",
                param="type",
            ),
            _opened_by(
                connection=connection,
                period=period,
                filters=filters,
                column="item_name",
                key="items",
                title="Tickets opened per item",
                param="item",
            ),
            owners_table(connection=connection, period=period, filters=filters),
        ],
    )


def _hours_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _median_hint(stats: dict, verb: str) -> str:
    return f"Median {_hours_text(stats['median'])} h over {stats['count']} tickets {verb}"
