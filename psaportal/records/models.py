"""The local mirror of PSA records, and the history of the syncs that fill it.

Each mirrored record keeps the typed, indexed columns that lists, filters and reports read;
``psa_values(record)`` on each model is the one place that maps a PSA record to them. The
full PSA JSON lives beside it in ``RecordDocument``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import models

# -- reading PSA JSON ---------------------------------------------------------------


#: The integer columns' bounds: PostgreSQL's integer and bigint hold -bound <= n < bound.
INTEGER_BOUND = 2**31
BIGINT_BOUND = 2**63


def whole(value: Any, bound: int = BIGINT_BOUND) -> int | None:
    """``value`` when it is a whole number its column can hold, else None (the document
    keeps what was sent): the binary COPY would refuse a whole batch for one such value."""
    if isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound:
        return value
    return None


def ref_id(record: dict, name: str) -> int | None:
    """The ``id`` of a reference object such as ``company``, or None when there is none or
    it is no whole number a bigint holds."""
    value = record.get(name)
    return whole(value.get("id")) if isinstance(value, dict) else None


def ref_text(record: dict, name: str, member: str = "name", max_length: int = 100) -> str:
    """A member (``name``/``identifier``) of a reference object, or ""."""
    value = record.get(name)
    if isinstance(value, dict):
        text = value.get(member)
        return str(text)[:max_length] if text is not None else ""
    return ""


def text(record: dict, name: str, max_length: int = 255) -> str:
    value = record.get(name)
    return str(value)[:max_length] if value is not None else ""


def parse_datetime(value: Any) -> datetime | None:
    """A PSA ISO-8601 timestamp (``2026-01-01T10:00:00Z``) as an aware datetime, or None."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def datetime_field(record: dict, name: str) -> datetime | None:
    return parse_datetime(record.get(name))


def date_field(record: dict, name: str) -> date | None:
    parsed = parse_datetime(record.get(name))
    return parsed.date() if parsed else None


def number(record: dict, name: str) -> float | None:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def money(record: dict, name: str) -> Decimal | None:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def flag(record: dict, name: str) -> bool:
    return bool(record.get(name))


def last_updated(record: dict) -> datetime | None:
    info = record.get("_info")
    return parse_datetime(info.get("lastUpdated")) if isinstance(info, dict) else None


def date_entered(record: dict) -> datetime | None:
    info = record.get("_info")
    return parse_datetime(info.get("dateEntered")) if isinstance(info, dict) else None


def member_name(record: dict) -> str:
    return " ".join(filter(None, [text(record, "firstName"), text(record, "lastName")]))


MONEY = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}


# -- the mirror -----------------------------------------------------------------------

# No foreign key constraint: mirror rows and documents point at their connection without
# a database foreign key. A sync writes them in bulk, and PostgreSQL checks a foreign key
# row by row at commit: about 10 µs of the ~250 µs a record costs to sync, per table.
# Only the sync writes these rows, for a connection it has just read; deleting a
# connection still deletes them, through Django's CASCADE.


class MirrorRecord(models.Model):
    """One PSA record as last seen by a sync. Unique per (connection, psa_id) per kind."""

    # No index of its own: the unique (connection, psa_id) constraint's index serves it.
    # No foreign key constraint either: see above.
    connection = models.ForeignKey(
        "connections.Connection",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    psa_id = models.BigIntegerField()
    display_name = models.CharField(max_length=255, blank=True)
    search_text = models.TextField(
        blank=True, help_text="The words of the registry's search fields (search.search_text)."
    )
    last_updated = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="The PSA's _info/lastUpdated."
    )
    synced_at = models.DateTimeField(help_text="When a sync last saw this record.")

    class Meta:
        abstract = True
        ordering = ["-psa_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "psa_id"], name="%(app_label)s_%(class)s_unique_psa_id"
            )
        ]

    def __str__(self):
        return self.display_name or f"#{self.psa_id}"

    @classmethod
    def psa_values(cls, record: dict) -> dict[str, Any]:
        """Typed column values from a PSA record; each kind adds its own."""
        return {"display_name": text(record, "name")}

    @classmethod
    def typed_field_names(cls) -> list[str]:
        """Every column a sync writes (what an upsert updates on conflict)."""
        skip = {"id", "connection", "psa_id"}
        return [f.name for f in cls._meta.concrete_fields if f.name not in skip]


class Ticket(MirrorRecord):
    # No index of its own: every query of the mirror names its connection, so tk_updated
    # (connection, last_updated, psa_id) serves it, and each index costs a sync's COPY.
    last_updated = models.DateTimeField(
        null=True, blank=True, help_text="The PSA's _info/lastUpdated."
    )
    summary = models.CharField(max_length=255, blank=True)
    record_type = models.CharField(max_length=32, blank=True)
    board_id = models.BigIntegerField(null=True, blank=True)
    board_name = models.CharField(max_length=100, blank=True)
    status_id = models.BigIntegerField(null=True, blank=True)
    status_name = models.CharField(max_length=100, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_identifier = models.CharField(max_length=100, blank=True)
    company_name = models.CharField(max_length=100, blank=True)
    contact_id = models.BigIntegerField(null=True, blank=True)
    contact_name = models.CharField(max_length=100, blank=True)
    owner_identifier = models.CharField(max_length=100, blank=True)
    owner_name = models.CharField(max_length=100, blank=True)
    priority_id = models.BigIntegerField(null=True, blank=True)
    priority_name = models.CharField(max_length=100, blank=True)
    type_name = models.CharField(max_length=100, blank=True)
    item_name = models.CharField(max_length=100, blank=True)
    severity = models.CharField(max_length=16, blank=True)
    impact = models.CharField(max_length=16, blank=True)
    closed_flag = models.BooleanField(default=False)
    # No index of its own either: tk_entered (connection, date_entered, psa_id) serves it.
    date_entered = models.DateTimeField(null=True, blank=True)
    closed_date = models.DateTimeField(null=True, blank=True)
    date_responded = models.DateTimeField(
        null=True, blank=True, help_text="The PSA's dateResponded: the first response."
    )
    required_date = models.DateTimeField(null=True, blank=True)
    actual_hours = models.FloatField(null=True, blank=True)
    budget_hours = models.FloatField(null=True, blank=True)

    class Meta(MirrorRecord.Meta):
        indexes = [
            # The list's filters and sorts (see paging.py for when a list walks one). Each
            # ends in psa_id, the list's tie-break, so a walk is in the page's exact order:
            # a filter with a psa_id sort, a sort by the column, or open/closed with a date.
            models.Index(
                fields=["connection", "closed_flag", "last_updated", "psa_id"], name="tk_open_upd"
            ),
            models.Index(
                fields=["connection", "closed_flag", "date_entered", "psa_id"],
                name="tk_open_entered",
            ),
            models.Index(fields=["connection", "closed_flag", "psa_id"], name="tk_open_id"),
            models.Index(fields=["connection", "last_updated", "psa_id"], name="tk_updated"),
            models.Index(fields=["connection", "date_entered", "psa_id"], name="tk_entered"),
            models.Index(fields=["connection", "status_name", "psa_id"], name="tk_status"),
            models.Index(fields=["connection", "board_name", "psa_id"], name="tk_board"),
            models.Index(fields=["connection", "priority_name", "psa_id"], name="tk_priority"),
            models.Index(fields=["connection", "owner_identifier", "psa_id"], name="tk_owner"),
            models.Index(fields=["connection", "company_name", "psa_id"], name="tk_company"),
            # Reports count tickets in the period they closed in.
            models.Index(fields=["connection", "closed_date"], name="tk_closed"),
        ]

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "summary"),
            "summary": text(record, "summary"),
            "record_type": text(record, "recordType", 32),
            "board_id": ref_id(record, "board"),
            "board_name": ref_text(record, "board"),
            "status_id": ref_id(record, "status"),
            "status_name": ref_text(record, "status"),
            "company_id": ref_id(record, "company"),
            "company_identifier": ref_text(record, "company", "identifier"),
            "company_name": ref_text(record, "company"),
            "contact_id": ref_id(record, "contact"),
            "contact_name": ref_text(record, "contact") or text(record, "contactName", 100),
            "owner_identifier": ref_text(record, "owner", "identifier"),
            "owner_name": ref_text(record, "owner"),
            "priority_id": ref_id(record, "priority"),
            "priority_name": ref_text(record, "priority"),
            "type_name": ref_text(record, "type"),
            "item_name": ref_text(record, "item"),
            "severity": text(record, "severity", 16),
            "impact": text(record, "impact", 16),
            "closed_flag": flag(record, "closedFlag"),
            "date_entered": date_entered(record),
            "closed_date": datetime_field(record, "closedDate"),
            "date_responded": datetime_field(record, "dateResponded"),
            "required_date": datetime_field(record, "requiredDate"),
            "actual_hours": number(record, "actualHours"),
            "budget_hours": number(record, "budgetHours"),
        }


class Company(MirrorRecord):
    identifier = models.CharField(max_length=100, blank=True, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    status_name = models.CharField(max_length=100, blank=True)
    type_names = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=50, blank=True)
    website = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    territory_name = models.CharField(max_length=100, blank=True)
    market_name = models.CharField(max_length=100, blank=True)
    deleted_flag = models.BooleanField(default=False)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "companies"
        indexes = [
            models.Index(fields=["connection", "name"], name="co_name"),
            models.Index(fields=["connection", "status_name"], name="co_status"),
        ]

    @classmethod
    def psa_values(cls, record):
        types = record.get("types") if isinstance(record.get("types"), list) else []
        return {
            "display_name": text(record, "name"),
            "identifier": text(record, "identifier", 100),
            "name": text(record, "name"),
            "status_name": ref_text(record, "status"),
            "type_names": ", ".join(
                str(item.get("name")) for item in types if isinstance(item, dict)
            )[:255],
            "phone_number": text(record, "phoneNumber", 50),
            "website": text(record, "website"),
            "city": text(record, "city", 100),
            "state": text(record, "state", 100),
            "territory_name": ref_text(record, "territory"),
            "market_name": ref_text(record, "market"),
            "deleted_flag": flag(record, "deletedFlag"),
        }


def _communication(record: dict, kind: str) -> str:
    """The default (or first) email/phone value of a contact."""
    items = record.get("communicationItems")
    if not isinstance(items, list):
        return ""
    matching = [
        item
        for item in items
        if isinstance(item, dict) and item.get("communicationType") == kind and item.get("value")
    ]
    matching.sort(key=lambda item: not item.get("defaultFlag"))
    return str(matching[0]["value"])[:250] if matching else ""


class Contact(MirrorRecord):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=250, blank=True)
    phone = models.CharField(max_length=250, blank=True)
    inactive_flag = models.BooleanField(default=False)

    class Meta(MirrorRecord.Meta):
        indexes = [
            models.Index(fields=["connection", "last_name", "first_name"], name="ct_name"),
        ]

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": member_name(record),
            "first_name": text(record, "firstName", 100),
            "last_name": text(record, "lastName", 100),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "title": text(record, "title", 100),
            "email": _communication(record, "Email"),
            "phone": _communication(record, "Phone"),
            "inactive_flag": flag(record, "inactiveFlag"),
        }


class Project(MirrorRecord):
    name = models.CharField(max_length=255, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    board_name = models.CharField(max_length=100, blank=True)
    status_name = models.CharField(max_length=100, blank=True)
    type_name = models.CharField(max_length=100, blank=True)
    manager_identifier = models.CharField(max_length=100, blank=True)
    manager_name = models.CharField(max_length=100, blank=True)
    billing_method = models.CharField(max_length=32, blank=True)
    estimated_start = models.DateTimeField(null=True, blank=True)
    estimated_end = models.DateTimeField(null=True, blank=True)
    actual_hours = models.FloatField(null=True, blank=True)
    budget_hours = models.FloatField(null=True, blank=True)
    percent_complete = models.FloatField(null=True, blank=True)
    closed_flag = models.BooleanField(default=False)

    class Meta(MirrorRecord.Meta):
        indexes = [
            models.Index(fields=["connection", "closed_flag", "last_updated"], name="pj_open_upd"),
        ]

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name"),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "board_name": ref_text(record, "board"),
            "status_name": ref_text(record, "status"),
            "type_name": ref_text(record, "type"),
            "manager_identifier": ref_text(record, "manager", "identifier"),
            "manager_name": ref_text(record, "manager"),
            "billing_method": text(record, "billingMethod", 32),
            "estimated_start": datetime_field(record, "estimatedStart"),
            "estimated_end": datetime_field(record, "estimatedEnd"),
            "actual_hours": number(record, "actualHours"),
            "budget_hours": number(record, "budgetHours"),
            "percent_complete": number(record, "percentComplete"),
            "closed_flag": flag(record, "closedFlag"),
        }


class Opportunity(MirrorRecord):
    name = models.CharField(max_length=255, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    stage_name = models.CharField(max_length=100, blank=True)
    status_name = models.CharField(max_length=100, blank=True)
    probability_name = models.CharField(max_length=100, blank=True)
    type_name = models.CharField(max_length=100, blank=True)
    sales_rep_identifier = models.CharField(max_length=100, blank=True)
    sales_rep_name = models.CharField(max_length=100, blank=True)
    expected_close_date = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_date = models.DateTimeField(null=True, blank=True)
    total_sales = models.DecimalField(**MONEY)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["connection", "status_name"], name="op_status"),
        ]

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name"),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "stage_name": ref_text(record, "stage"),
            "status_name": ref_text(record, "status"),
            "probability_name": ref_text(record, "probability"),
            "type_name": ref_text(record, "type"),
            "sales_rep_identifier": ref_text(record, "primarySalesRep", "identifier"),
            "sales_rep_name": ref_text(record, "primarySalesRep"),
            "expected_close_date": datetime_field(record, "expectedCloseDate"),
            "closed_date": datetime_field(record, "closedDate"),
            "total_sales": money(record, "totalSales"),
        }


class TimeEntry(MirrorRecord):
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    charge_to_id = models.BigIntegerField(null=True, blank=True)
    charge_to_type = models.CharField(max_length=32, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    member_identifier = models.CharField(max_length=100, blank=True)
    member_name = models.CharField(max_length=100, blank=True)
    work_type_name = models.CharField(max_length=100, blank=True)
    time_start = models.DateTimeField(null=True, blank=True)
    work_date = models.DateField(null=True, blank=True, help_text="The date of time_start.")
    time_end = models.DateTimeField(null=True, blank=True)
    actual_hours = models.FloatField(null=True, blank=True)
    hours_billed = models.FloatField(null=True, blank=True)
    billable_option = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=32, blank=True)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "time entries"
        indexes = [
            # The time report reads only these columns of a period's entries: it answers
            # from the index alone (an index-only scan), not from the wide rows.
            models.Index(
                fields=["connection", "work_date"],
                include=[
                    "member_identifier",
                    "member_name",
                    "company_name",
                    "billable_option",
                    "actual_hours",
                    "hours_billed",
                ],
                name="te_date_report",
            ),
            models.Index(fields=["connection", "member_identifier", "work_date"], name="te_member"),
            # Who worked on each ticket, and how often (service desk: single technician and
            # first-touch resolution), from the index alone.
            models.Index(
                fields=["connection", "ticket_id"],
                include=["member_identifier"],
                name="te_ticket_work",
            ),
            models.Index(fields=["connection", "charge_to_type", "charge_to_id"], name="te_charge"),
        ]

    @classmethod
    def psa_values(cls, record):
        member = ref_text(record, "member")
        start = datetime_field(record, "timeStart")
        hours = number(record, "actualHours")
        return {
            "display_name": f"{member or 'Time'} {start.date() if start else ''} {hours or ''}h"[
                :255
            ],
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "charge_to_id": whole(record.get("chargeToId")),
            "charge_to_type": text(record, "chargeToType", 32),
            "ticket_id": ref_id(record, "ticket"),
            "project_id": ref_id(record, "project"),
            "member_identifier": ref_text(record, "member", "identifier"),
            "member_name": member,
            "work_type_name": ref_text(record, "workType"),
            "time_start": start,
            "work_date": start.date() if start else None,
            "time_end": datetime_field(record, "timeEnd"),
            "actual_hours": hours,
            "hours_billed": number(record, "hoursBilled"),
            "billable_option": text(record, "billableOption", 16),
            "status": text(record, "status", 32),
        }


class Product(MirrorRecord):
    catalog_identifier = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.FloatField(null=True, blank=True)
    price = models.DecimalField(**MONEY)
    cost = models.DecimalField(**MONEY)
    billable_option = models.CharField(max_length=16, blank=True)
    product_class = models.CharField(max_length=32, blank=True)
    charge_to_id = models.BigIntegerField(null=True, blank=True)
    charge_to_type = models.CharField(max_length=32, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    opportunity_id = models.BigIntegerField(null=True, blank=True)
    cancelled_flag = models.BooleanField(default=False)
    purchase_date = models.DateTimeField(null=True, blank=True)

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "description")
            or ref_text(record, "catalogItem", "identifier"),
            "catalog_identifier": ref_text(record, "catalogItem", "identifier"),
            "description": text(record, "description"),
            "quantity": number(record, "quantity"),
            "price": money(record, "price"),
            "cost": money(record, "cost"),
            "billable_option": text(record, "billableOption", 16),
            "product_class": text(record, "productClass", 32),
            "charge_to_id": whole(record.get("chargeToId")),
            "charge_to_type": text(record, "chargeToType", 32),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "ticket_id": ref_id(record, "ticket"),
            "project_id": ref_id(record, "project"),
            "opportunity_id": ref_id(record, "opportunity"),
            "cancelled_flag": flag(record, "cancelledFlag"),
            "purchase_date": datetime_field(record, "purchaseDate"),
        }


class ExpenseEntry(MirrorRecord):
    member_identifier = models.CharField(max_length=100, blank=True)
    member_name = models.CharField(max_length=100, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    charge_to_id = models.BigIntegerField(null=True, blank=True)
    charge_to_type = models.CharField(max_length=32, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    type_name = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(**MONEY)
    bill_amount = models.DecimalField(**MONEY)
    billable_option = models.CharField(max_length=16, blank=True)
    billable = models.BooleanField(default=False, help_text="billableOption is Billable.")
    expense_date = models.DateField(null=True, blank=True)
    payment_method_name = models.CharField(max_length=100, blank=True)
    classification_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, blank=True)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "expense entries"
        indexes = [
            models.Index(fields=["connection", "expense_date"], name="ex_date"),
        ]

    @classmethod
    def psa_values(cls, record):
        billable_option = text(record, "billableOption", 16)
        amount = money(record, "amount")
        type_name = ref_text(record, "type")
        return {
            "display_name": f"{type_name or 'Expense'} {amount if amount is not None else ''}",
            "member_identifier": ref_text(record, "member", "identifier"),
            "member_name": ref_text(record, "member"),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "charge_to_id": whole(record.get("chargeToId")),
            "charge_to_type": text(record, "chargeToType", 32),
            "ticket_id": ref_id(record, "ticket"),
            "type_name": type_name,
            "amount": amount,
            "bill_amount": money(record, "billAmount"),
            "billable_option": billable_option,
            "billable": billable_option == "Billable",
            "expense_date": date_field(record, "date"),
            "payment_method_name": ref_text(record, "paymentMethod"),
            "classification_name": ref_text(record, "classification"),
            "status": text(record, "status", 32),
        }


class Configuration(MirrorRecord):
    name = models.CharField(max_length=255, blank=True)
    type_name = models.CharField(max_length=100, blank=True)
    status_name = models.CharField(max_length=100, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    company_name = models.CharField(max_length=100, blank=True)
    contact_id = models.BigIntegerField(null=True, blank=True)
    contact_name = models.CharField(max_length=100, blank=True)
    manufacturer_name = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=250, blank=True)
    model_number = models.CharField(max_length=100, blank=True)
    tag_number = models.CharField(max_length=100, blank=True)
    ip_address = models.CharField(max_length=100, blank=True)
    os_type = models.CharField(max_length=250, blank=True)
    last_login_name = models.CharField(max_length=100, blank=True)
    installation_date = models.DateTimeField(null=True, blank=True)
    warranty_expiration_date = models.DateTimeField(null=True, blank=True, db_index=True)
    active_flag = models.BooleanField(default=False)

    class Meta(MirrorRecord.Meta):
        indexes = [
            models.Index(fields=["connection", "type_name"], name="cf_type"),
        ]

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name"),
            "type_name": ref_text(record, "type"),
            "status_name": ref_text(record, "status"),
            "company_id": ref_id(record, "company"),
            "company_name": ref_text(record, "company"),
            "contact_id": ref_id(record, "contact"),
            "contact_name": ref_text(record, "contact"),
            "manufacturer_name": ref_text(record, "manufacturer"),
            "serial_number": text(record, "serialNumber", 250),
            "model_number": text(record, "modelNumber", 100),
            "tag_number": text(record, "tagNumber", 100),
            "ip_address": text(record, "ipAddress", 100),
            "os_type": text(record, "osType", 250),
            "last_login_name": text(record, "lastLoginName", 100),
            "installation_date": datetime_field(record, "installationDate"),
            "warranty_expiration_date": datetime_field(record, "warrantyExpirationDate"),
            "active_flag": flag(record, "activeFlag"),
        }


# -- lookups the lists need ------------------------------------------------------------


class Member(MirrorRecord):
    identifier = models.CharField(max_length=100, blank=True, db_index=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=250, blank=True)
    inactive_flag = models.BooleanField(default=False)
    daily_capacity = models.FloatField(
        null=True, blank=True, help_text="Hours a day the member can work (utilization)."
    )

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": member_name(record) or text(record, "identifier"),
            "identifier": text(record, "identifier", 100),
            "first_name": text(record, "firstName", 100),
            "last_name": text(record, "lastName", 100),
            "email": text(record, "officeEmail", 250),
            "inactive_flag": flag(record, "inactiveFlag"),
            "daily_capacity": number(record, "dailyCapacity"),
        }


class Board(MirrorRecord):
    name = models.CharField(max_length=100, blank=True)
    inactive_flag = models.BooleanField(default=False)
    project_flag = models.BooleanField(default=False)

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name", 100),
            "inactive_flag": flag(record, "inactiveFlag"),
            "project_flag": flag(record, "projectFlag"),
        }


class BoardStatus(MirrorRecord):
    name = models.CharField(max_length=100, blank=True)
    board_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    board_name = models.CharField(max_length=100, blank=True)
    closed_status = models.BooleanField(default=False)
    default_flag = models.BooleanField(default=False)
    inactive = models.BooleanField(default=False)
    sort_order = models.IntegerField(null=True, blank=True)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "board statuses"

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name", 100),
            "board_id": ref_id(record, "board"),
            "board_name": ref_text(record, "board"),
            "closed_status": flag(record, "closedStatus"),
            "default_flag": flag(record, "defaultFlag"),
            "inactive": flag(record, "inactive"),
            "sort_order": whole(record.get("sortOrder"), INTEGER_BOUND),
        }


class Priority(MirrorRecord):
    name = models.CharField(max_length=100, blank=True)
    color = models.CharField(max_length=32, blank=True)
    sort_order = models.IntegerField(null=True, blank=True)

    class Meta(MirrorRecord.Meta):
        verbose_name_plural = "priorities"

    @classmethod
    def psa_values(cls, record):
        return {
            "display_name": text(record, "name"),
            "name": text(record, "name", 100),
            "color": text(record, "color", 32),
            "sort_order": whole(record.get("sortOrder"), INTEGER_BOUND),
        }


# -- the full PSA records -------------------------------------------------------------


class RecordDocument(models.Model):
    """The full PSA record as JSON, for the detail page.

    It lives apart from the mirror tables so that their rows stay narrow: a ticket's JSON
    is three times the size of its typed columns, and lists read many rows of those.
    """

    connection = models.ForeignKey(
        "connections.Connection",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,  # see "No foreign key constraint" above MirrorRecord
    )
    kind = models.CharField(max_length=32, help_text="The registry key of the record kind.")
    psa_id = models.BigIntegerField()
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "psa_id"], name="records_document_unique"
            )
        ]

    def __str__(self):
        return f"{self.kind} #{self.psa_id}"


# -- sync bookkeeping ----------------------------------------------------------------


class SyncRun(models.Model):
    """One full or incremental sync of one record kind, or an id sweep of it (only ids, to
    notice deletions between full syncs): progress, counts and errors."""

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"
        SWEEP = "sweep", "Id sweep"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHING = "finishing", "Finishing"
        REVIEW = "review", "Deletions held for review"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="sync_runs"
    )
    kind = models.CharField(max_length=32, help_text="Registry key, e.g. 'tickets'.")
    mode = models.CharField(max_length=16, choices=Mode.choices)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_total = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A full sync: the PSA's count at its start; an id sweep: the mirror's.",
    )
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    pages_failed = models.PositiveIntegerField(default=0)
    records_seen = models.PositiveIntegerField(default=0)
    records_upserted = models.PositiveIntegerField(default=0)
    records_deleted = models.PositiveIntegerField(default=0)
    records_held = models.PositiveIntegerField(
        default=0,
        help_text="Mirrored records the PSA no longer listed, kept because deleting so many "
        "needs an admin's review (the mass-deletion guard).",
    )
    requests = models.PositiveIntegerField(default=0, help_text="PSA requests made.")
    error = models.TextField(blank=True)
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="Newest lastUpdated seen by this run."
    )
    since = models.DateTimeField(
        null=True, blank=True, help_text="Incremental: asks for records updated after this."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "kind", "-created_at"], name="sr_history")]

    def __str__(self):
        return f"{self.mode} sync of {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.REVIEW)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncPage(models.Model):
    """One page of a sync run; finishing it twice counts once (tasks may run twice)."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    after_id = models.BigIntegerField(
        default=0, help_text="Forward-only paging: this page holds the ids above this one."
    )
    parent_id = models.BigIntegerField(
        null=True, blank=True, help_text="For nested kinds (board statuses): the parent's id."
    )
    done = models.BooleanField(default=False)
    failed = models.BooleanField(default=False)
    records = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    missing = models.PositiveIntegerField(
        default=0, help_text="An id sweep: mirrored ids in this page's range the PSA did not list."
    )
    missing_ids = models.JSONField(
        default=list, blank=True, help_text="Those ids, unless more than the guard allows."
    )

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="records_syncpage_unique")
        ]

    def __str__(self):
        return f"page {self.number} of run {self.run_id}"


class SyncState(models.Model):
    """Where syncing a kind stands for a connection: the incremental watermark."""

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="sync_states"
    )
    kind = models.CharField(max_length=32)
    watermark = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Max _info/lastUpdated seen; incremental syncs ask for newer records.",
    )
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    last_incremental_at = models.DateTimeField(null=True, blank=True)
    mirror_generation = models.PositiveBigIntegerField(
        default=0,
        help_text="Counts the writes to this kind's mirror (records.generations); what is "
        "cached from the mirror is keyed on it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind"], name="records_syncstate_unique")
        ]

    def __str__(self):
        return f"{self.kind}: {self.watermark}"

    @property
    def last_synced_at(self):
        times = [t for t in (self.last_full_sync_at, self.last_incremental_at) if t]
        return max(times) if times else None


# -- list views a user keeps -----------------------------------------------------------


class SavedView(models.Model):
    """A named list view (filters, search, sort, page size) one user keeps for one kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    kind = models.CharField(max_length=32, help_text="Registry key, e.g. 'tickets'.")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True, help_text="The list URL's query.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "name"], name="records_savedview_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.kind})"


# -- ticket notes ----------------------------------------------------------------------


class TicketNote(models.Model):
    """One note on a ticket as the PSA's ``/service/tickets/{id}/allNotes`` lists it: the
    ticket's own notes and the notes of the time entries charged to it. Kept with the
    ticket page (refreshed from it), not synced as a kind of its own."""

    class Source(models.TextChoices):
        TICKET = "ticket", "Ticket note"
        TIME_ENTRY = "time_entry", "Time entry note"

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="+"
    )
    ticket_psa_id = models.BigIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    psa_id = models.BigIntegerField(help_text="The note's id; a time entry note: the entry's.")
    text = models.TextField(blank=True)
    detail_description_flag = models.BooleanField(default=False)
    internal_analysis_flag = models.BooleanField(default=False)
    resolution_flag = models.BooleanField(default=False)
    member_identifier = models.CharField(max_length=100, blank=True)
    member_name = models.CharField(max_length=255, blank=True)
    created_by = models.CharField(max_length=100, blank=True)
    date_created = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_created", "-psa_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "source", "psa_id"], name="records_ticketnote_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["connection", "ticket_psa_id", "date_created"],
                name="records_ticketnote_ticket",
            )
        ]

    def __str__(self):
        return f"{self.get_source_display()} #{self.psa_id} on ticket #{self.ticket_psa_id}"

    @property
    def author(self) -> str:
        return self.member_name or self.member_identifier or self.created_by


# -- the outbox ------------------------------------------------------------------------


class PendingChange(models.Model):
    """An edit of one PSA record, stored before it is sent, so nothing typed is lost.

    ``changes`` holds the wanted value of each changed field and ``seen`` the value the
    user saw (by JSON path, references as ids); a task applies it through Membrane. If the
    PSA's value moved away from ``seen`` meanwhile, the change stops as a conflict instead
    of overwriting a colleague's edit.
    """

    class Operation(models.TextChoices):
        UPDATE = "update", "Edit"
        CREATE = "create", "New record"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        CONFLICT = "conflict", "Conflict"
        DISCARDED = "discarded", "Discarded"

    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, help_text="The registry key of the record kind.")
    operation = models.CharField(max_length=16, choices=Operation.choices, default=Operation.UPDATE)
    psa_id = models.BigIntegerField(
        null=True, blank=True, help_text="The record; for a new one, its id once created."
    )
    changes = models.JSONField(
        help_text="JSON path → the wanted value (a new record: the action's input)."
    )
    seen = models.JSONField(help_text="JSON path → the value the user saw.")
    seen_updated = models.DateTimeField(
        null=True, blank=True, help_text="The record's _info/lastUpdated as the user saw it."
    )
    current = models.JSONField(
        null=True, blank=True, help_text="On a conflict: JSON path → the PSA's value now."
    )
    force = models.BooleanField(default=False, help_text="Apply even over a conflict.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    field_errors = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    OPEN = (Status.PENDING, Status.APPLYING, Status.FAILED, Status.CONFLICT)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "kind", "psa_id"], name="records_change_record"),
            models.Index(fields=["author", "status"], name="records_change_author"),
            # Whether a kind has any open change, asked by every list page: only the open
            # ones, however many applied changes the table keeps.
            models.Index(
                fields=["connection", "kind"],
                condition=models.Q(status__in=["pending", "applying", "failed", "conflict"]),
                name="records_change_open",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.psa_id}: {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
