"""Time and utilization: hours by member, week, company and day, billable or not.

Billable hours are time entries whose billable option is Billable; utilization is billable
hours over capacity (the member's daily capacity × Monday-to-Friday days in the period);
realization is hours billed over hours worked. Entries count on their work date.
"""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek

from psaportal.records.models import Member, TimeEntry
from psaportal.reports import tables as t
from psaportal.reports.forms import ReportFilters
from psaportal.reports.periods import Period

BILLABLE_OPTIONS = (
    ("Billable", "Billable"),
    ("NoCharge", "No charge"),
    ("DoNotBill", "Do not bill"),
    ("NoDefault", "No default"),
)
TIMESHEET_MAX_DAYS = 31
TOP_COMPANIES = 10


def time_entries(*, connection, period: Period, filters: ReportFilters) -> QuerySet[TimeEntry]:
    """The time entries worked in the period, narrowed by member and company."""
    entries = TimeEntry.objects.filter(
        connection=connection, work_date__gte=period.start, work_date__lte=period.end
    )
    if filters.member:
        entries = entries.filter(member_identifier=filters.member)
    if filters.company:
        entries = entries.filter(company_name=filters.company)
    return entries.order_by()


def _hours(option: str | None = None):
    condition = Q(billable_option=option) if option else None
    return Coalesce(Sum("actual_hours", filter=condition), 0.0)


def _option_sums() -> dict:
    return {option: _hours(option) for option, _ in BILLABLE_OPTIONS}


def time_totals(*, connection, period: Period, filters: ReportFilters) -> dict:
    """Hours, billable hours, hours billed, capacity and utilization for the whole period.

    Utilization counts only the members whose capacity is known, on both sides.
    """
    entries = time_entries(connection=connection, period=period, filters=filters)
    totals = entries.aggregate(
        hours=_hours(), billable=_hours("Billable"), billed=Coalesce(Sum("hours_billed"), 0.0)
    )
    by_member = dict(
        entries.values("member_identifier")
        .annotate(billable=_hours("Billable"))
        .values_list("member_identifier", "billable")
    )
    capacity = _capacity(connection=connection, period=period, identifiers=list(by_member))
    totals["capacity"] = sum(capacity.values()) if capacity else None
    known_billable = sum(by_member[member] for member in capacity)
    totals["utilization"] = t.percent(known_billable, totals["capacity"])
    totals["realization"] = t.percent(totals["billed"], totals["hours"])
    return totals


def _capacity(*, connection, period: Period, identifiers: list[str]) -> dict[str, float]:
    """Each member's capacity in hours for the period (members with a daily capacity only)."""
    rows = Member.objects.filter(
        connection=connection, identifier__in=identifiers, daily_capacity__isnull=False
    ).values_list("identifier", "daily_capacity")
    days = period.working_days()
    return {identifier: daily * days for identifier, daily in rows}


def _entries_url(period: Period, filters: ReportFilters, **params) -> str:
    query = {"member": filters.member, "company": filters.company}
    query.update(params)
    query.setdefault("date_from", period.start.isoformat())
    query.setdefault("date_to", period.end.isoformat())
    return t.list_url("time_entries", **query)


def members_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    entries = time_entries(connection=connection, period=period, filters=filters)
    rows = list(
        entries.values("member_identifier")
        .annotate(
            name=Max("member_name"),
            hours=_hours(),
            billed=Coalesce(Sum("hours_billed"), 0.0),
            **_option_sums(),
        )
        .order_by("member_identifier")
    )
    capacity = _capacity(
        connection=connection,
        period=period,
        identifiers=[row["member_identifier"] for row in rows],
    )
    table = t.Table(
        key="members",
        title="Hours by member",
        columns=[
            "Member",
            "Hours",
            *(name for _, name in BILLABLE_OPTIONS),
            "Hours billed",
            "Capacity",
            "Utilization %",
            "Realization %",
        ],
        chart=t.Chart(
            series=(2, 3, 4, 5),
            stacked=True,
            horizontal=True,
            description="Hours by member, stacked by billable option.",
        ),
        note=f"Capacity: daily capacity × {period.working_days()} working days (Mon–Fri).",
    )
    for row in rows:
        member = row["member_identifier"]
        url_member = member or None

        def url(option="", member=url_member):
            if member is None:
                return ""
            return _entries_url(period, filters, member=member, billable=option)

        member_capacity = capacity.get(member)
        table.rows.append(
            [
                t.label(member or "(no member)", url()),
                t.hours_cell(row["hours"], url()),
                *(t.hours_cell(row[option], url(option)) for option, _ in BILLABLE_OPTIONS),
                t.hours_cell(row["billed"]),
                t.Cell(t.hours(member_capacity) if member_capacity is not None else "—"),
                t.percent_cell(t.percent(row["Billable"], member_capacity)),
                t.percent_cell(t.percent(row["billed"], row["hours"])),
            ]
        )
    if rows:
        table.footer = _members_footer(rows=rows, capacity=capacity, period=period, filters=filters)
    return table


def _members_footer(*, rows, capacity, period, filters) -> list[t.Cell]:
    total = {
        name: sum(row[name] for row in rows)
        for name in ("hours", "billed", *(option for option, _ in BILLABLE_OPTIONS))
    }
    # Utilization of the whole team counts only the members whose capacity is known.
    known = [row for row in rows if row["member_identifier"] in capacity]
    team_capacity = sum(capacity.values())
    return [
        t.label("All members", _entries_url(period, filters)),
        t.hours_cell(total["hours"], _entries_url(period, filters)),
        *(
            t.hours_cell(total[option], _entries_url(period, filters, billable=option))
            for option, _ in BILLABLE_OPTIONS
        ),
        t.hours_cell(total["billed"]),
        t.Cell(t.hours(team_capacity) if capacity else "—"),
        t.percent_cell(t.percent(sum(row["Billable"] for row in known), team_capacity)),
        t.percent_cell(t.percent(total["billed"], total["hours"])),
    ]


def weeks_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    entries = time_entries(connection=connection, period=period, filters=filters)
    by_week = {
        _as_date(row["week"]): row
        for row in entries.annotate(week=TruncWeek("work_date"))
        .values("week")
        .annotate(hours=_hours(), **_option_sums())
        .order_by("week")
    }
    table = t.Table(
        key="weeks",
        title="Hours per week",
        columns=["Week of", *(name for _, name in BILLABLE_OPTIONS), "Total"],
        chart=t.Chart(
            series=(1, 2, 3, 4), stacked=True, description="Hours per week by billable option."
        ),
        note="Weeks run Monday to Sunday; the first and last are cut to the period.",
    )
    for week in period.weeks():
        row = by_week.get(week.monday, {})
        span = {"date_from": week.start.isoformat(), "date_to": week.end.isoformat()}
        table.rows.append(
            [
                t.label(week.label),
                *(
                    t.hours_cell(
                        row.get(option), _entries_url(period, filters, billable=option, **span)
                    )
                    for option, _ in BILLABLE_OPTIONS
                ),
                t.hours_cell(row.get("hours"), _entries_url(period, filters, **span)),
            ]
        )
    return table


def member_weeks_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    """Hours per member per week: a member's row, a week's column."""
    entries = time_entries(connection=connection, period=period, filters=filters)
    weeks = period.weeks()
    cells: dict[tuple[str, object], float] = {
        (row["member_identifier"], _as_date(row["week"])): row["hours"]
        for row in entries.annotate(week=TruncWeek("work_date"))
        .values("member_identifier", "week")
        .annotate(hours=_hours())
    }
    members = sorted({member for member, _ in cells})
    table = t.Table(
        key="member-weeks",
        title="Hours per member per week",
        columns=["Member", *(f"Week of {week.label}" for week in weeks), "Total"],
    )
    for member in members:
        row = [t.label(member or "(no member)")]
        for week in weeks:
            span = {"date_from": week.start.isoformat(), "date_to": week.end.isoformat()}
            url = _entries_url(period, filters, member=member, **span) if member else ""
            row.append(t.hours_cell(cells.get((member, week.monday)), url))
        total = sum(cells.get((member, week.monday), 0) for week in weeks)
        row.append(
            t.hours_cell(total, _entries_url(period, filters, member=member) if member else "")
        )
        table.rows.append(row)
    return table


def companies_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    entries = time_entries(connection=connection, period=period, filters=filters)
    rows = (
        entries.values("company_name")
        .annotate(hours=_hours(), **_option_sums())
        .order_by("-hours", "company_name")[:TOP_COMPANIES]
    )
    table = t.Table(
        key="companies",
        title=f"Top {TOP_COMPANIES} companies by hours",
        columns=["Company", *(name for _, name in BILLABLE_OPTIONS), "Total"],
        chart=t.Chart(
            series=(1, 2, 3, 4),
            stacked=True,
            horizontal=True,
            description="Hours by company, stacked by billable option.",
        ),
    )
    for row in rows:
        company = row["company_name"]

        def url(option="", company=company):
            if not company:
                return ""
            return _entries_url(period, filters, company=company, billable=option)

        table.rows.append(
            [
                t.label(company or "(no company)", url()),
                *(t.hours_cell(row[option], url(option)) for option, _ in BILLABLE_OPTIONS),
                t.hours_cell(row["hours"], url()),
            ]
        )
    return table


def timesheet_table(*, connection, period: Period, filters: ReportFilters) -> t.Table:
    """Hours per day per member: a day's row, a member's column."""
    table = t.Table(key="timesheet", title="Timesheet: hours per day", columns=["Date"])
    if period.days > TIMESHEET_MAX_DAYS:
        table.empty = f"Choose a period of {TIMESHEET_MAX_DAYS} days or fewer to see each day."
        return table
    entries = time_entries(connection=connection, period=period, filters=filters)
    cells = {
        (row["member_identifier"], row["work_date"]): row["hours"]
        for row in entries.values("member_identifier", "work_date").annotate(hours=_hours())
    }
    members = sorted({member for member, _ in cells})
    if not members:
        return table
    table.columns = ["Date", *(member or "(no member)" for member in members), "Total"]
    for day in period.dates():
        span = {"date_from": day.isoformat(), "date_to": day.isoformat()}
        row = [t.label(f"{day:%Y-%m-%d %a}")]
        for member in members:
            url = _entries_url(period, filters, member=member, **span) if member else ""
            row.append(t.hours_cell(cells.get((member, day)), url))
        total = sum(cells.get((member, day), 0) for member in members)
        row.append(t.hours_cell(total, _entries_url(period, filters, **span)))
        table.rows.append(row)
    return table


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


def time_report(*, connection, period: Period, filters: ReportFilters) -> t.Report:
    totals = time_totals(connection=connection, period=period, filters=filters)
    all_url = _entries_url(period, filters)
    return t.Report(
        slug="time",
        title="Time and utilization",
        figures=[
            t.Figure("Hours worked", t.hours(totals["hours"]), totals["hours"], all_url),
            t.Figure(
                "Billable hours",
                t.hours(totals["billable"]),
                totals["billable"],
                _entries_url(period, filters, billable="Billable"),
            ),
            t.Figure(
                "Utilization %",
                t.percent_text(totals["utilization"]),
                totals["utilization"],
                hint="Billable hours / capacity",
            ),
            t.Figure(
                "Realization %",
                t.percent_text(totals["realization"]),
                totals["realization"],
                hint="Hours billed / hours worked",
            ),
        ],
        tables=[
            members_table(connection=connection, period=period, filters=filters),
            weeks_table(connection=connection, period=period, filters=filters),
            member_weeks_table(connection=connection, period=period, filters=filters),
            companies_table(connection=connection, period=period, filters=filters),
            timesheet_table(connection=connection, period=period, filters=filters),
        ],
    )
