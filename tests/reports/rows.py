"""Hand-built mirror rows for the report tests, written straight into the mirror models'
typed columns (the reports read nothing else), with a few defaults."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from psaportal.records.models import ExpenseEntry, Member, Opportunity, Ticket, TimeEntry

SYNCED = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
_ids = itertools.count(1)


def at(day: str, clock: str = "09:00") -> datetime.datetime:
    """An aware datetime in the portal's time zone: at("2026-03-02", "23:59")."""
    naive = datetime.datetime.fromisoformat(f"{day}T{clock}")
    return timezone.make_aware(naive)


def _common(connection) -> dict:
    n = next(_ids)
    return {"connection": connection, "psa_id": n, "synced_at": SYNCED}


def member(connection, identifier: str, capacity: float | None = 8.0) -> Member:
    return Member.objects.create(
        **_common(connection),
        identifier=identifier,
        display_name=identifier,
        daily_capacity=capacity,
    )


def time_entry(connection, member: str, day: str, hours: float, option: str, **fields):
    billed = fields.pop("billed", hours if option == "Billable" else 0.0)
    return TimeEntry.objects.create(
        **_common(connection),
        member_identifier=member,
        member_name=member,
        work_date=datetime.date.fromisoformat(day),
        time_start=at(day),
        actual_hours=hours,
        hours_billed=billed,
        billable_option=option,
        **fields,
    )


def ticket(
    connection, entered: datetime.datetime, closed: datetime.datetime | None = None, **fields
):
    return Ticket.objects.create(
        **_common(connection),
        date_entered=entered,
        closed_date=closed,
        closed_flag=closed is not None and fields.pop("closed_flag", True),
        **fields,
    )


def opportunity(connection, status: str, total: str, **fields):
    return Opportunity.objects.create(
        **_common(connection), status_name=status, total_sales=Decimal(total), **fields
    )


def expense(connection, member: str, day: str, amount: str, billable: bool, **fields):
    return ExpenseEntry.objects.create(
        **_common(connection),
        member_identifier=member,
        expense_date=datetime.date.fromisoformat(day),
        amount=Decimal(amount),
        billable=billable,
        billable_option="Billable" if billable else "DoNotBill",
        **fields,
    )
