"""The edit form of a record kind, built from the registry's ``editable_fields``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django import forms
from django.core.cache import cache
from django.utils import timezone

from psaportal.records import registry
from psaportal.records.changes import fields as field_values
from psaportal.records.changes import services
from psaportal.records.generations import mirror_generations
from psaportal.records.models import BoardStatus, Company, Contact, Member, PendingChange

NUMBER_MAX = 10**9
#: The lookups' rows are read once per mirror generation; kept this long at most.
LOOKUP_ROWS_CACHE_SECONDS = 300


def lookup_rows(*, connection, lookups) -> dict[str, list[tuple]]:
    """Each lookup's mirrored records as (psa_id, name, board_id, board_name) rows, in the
    order the choices show them (statuses by board), cached under the lookups' mirror
    generations: a sync or sweep that writes one reads it again at once. The generations
    are read first, so a write committed meanwhile is at worst already in the rows."""
    lookups = tuple(sorted(set(lookups)))
    generations = mirror_generations(connection_id=connection.pk, kinds=lookups)
    key = "records:lookup-rows:{}:{}:{}".format(
        connection.pk, ",".join(lookups), ",".join(map(str, generations))
    )
    found = cache.get(key)
    if found is None:
        found = {name: _read_lookup_rows(connection=connection, lookup=name) for name in lookups}
        cache.set(key, found, LOOKUP_ROWS_CACHE_SECONDS)
    return found


def _read_lookup_rows(*, connection, lookup: str) -> list[tuple]:
    model = registry.get_kind(lookup).model
    rows = model.objects.filter(connection=connection)
    if model is BoardStatus:
        rows = rows.order_by("board_name", "sort_order", "name")
        return list(rows.values_list("psa_id", "display_name", "board_id", "board_name"))
    rows = rows.order_by("display_name").values_list("psa_id", "display_name")
    return [(psa_id, name, None, None) for psa_id, name in rows]


def _choices(
    *,
    field: registry.EditableField,
    record: dict,
    rows: dict[str, list[tuple]],
    board_id: int | None = None,
) -> list:
    """The mirrored lookup's records (``rows``, from lookup_rows) as choices (statuses
    grouped by their board; only ``board_id``'s when given), and the record's own value
    even when the lookup is not mirrored yet: keeping it is always valid."""
    if registry.get_kind(field.lookup).model is BoardStatus:
        grouped: dict[str, list] = {}
        for psa_id, name, status_board_id, board_name in rows[field.lookup]:
            if board_id is None or status_board_id == board_id:
                grouped.setdefault(board_name or "Other", []).append((psa_id, name))
        choices = [("", "—"), *grouped.items()]
        known = {psa_id for group in grouped.values() for psa_id, _ in group}
    else:
        choices = [("", "—"), *((psa_id, name) for psa_id, name, _, _ in rows[field.lookup])]
        known = {value for value, _ in choices}
    current = field_values.value_in(record, field)
    if current is not None and current not in known:
        reference = record.get(field.path) or {}
        name = reference.get("name") or reference.get("identifier") or f"#{current}"
        choices.insert(1, (current, f"{name} (current)"))
    return choices


def _form_field(
    *,
    field: registry.EditableField,
    record: dict,
    rows: dict[str, list[tuple]],
    board_id: int | None = None,
) -> forms.Field:
    common = {"label": field.label, "required": field.required}
    if field.widget == "reference":
        return forms.TypedChoiceField(
            coerce=int, empty_value=None,
            choices=_choices(field=field, record=record, rows=rows, board_id=board_id),
            **common,
        )  # fmt: skip
    if field.widget == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.widget == "number":
        return forms.DecimalField(min_value=0, max_value=NUMBER_MAX, decimal_places=2, **common)
    if field.widget == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=True, **common)
    return forms.CharField(max_length=255, strip=True, **common)


class RecordEditForm(forms.Form):
    """The editable fields of one record, with the values the user saw kept beside them.

    ``seen`` (the record's values when the form was drawn) and the idempotency key travel
    as hidden fields, so a change is compared with what this person saw, and submitting
    the same form twice stores one change.
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    #: The editable fields this form shows (their paths); None: every one of the kind.
    paths: tuple[str, ...] | None = None

    def __init__(
        self,
        data=None,
        *,
        kind: registry.RecordKind,
        record: dict,
        connection,
        initial=None,
        auto_id="id_%s",
    ):
        self.kind = kind
        self.connection = connection
        self.editable = [
            field
            for field in kind.editable_fields
            if self.paths is None or field.path in self.paths
        ]
        paths = [field.path for field in self.editable]
        self.seen_values = _posted_seen(data, paths) or {
            field.path: field_values.value_in(record, field) for field in self.editable
        }
        drawn = {path: self.seen_values[path] for path in paths}
        hidden = {"idempotency_key": uuid.uuid4().hex, "seen": json.dumps(self.seen_values)}
        super().__init__(data, initial=drawn | hidden | (initial or {}), auto_id=auto_id)
        # A status belongs to its board: where the board is not edited too, only its own.
        board_id = None if "board" in paths else (record.get("board") or {}).get("id")
        rows = lookup_rows(
            connection=connection,
            lookups=[field.lookup for field in self.editable if field.widget == "reference"],
        )
        for field in self.editable:
            self.fields[field.path] = _form_field(
                field=field, record=record, rows=rows, board_id=board_id
            )

    def changes(self) -> dict:
        """JSON path → the new value, for the fields whose value differs from what was seen."""
        wanted = {
            field.path: field_values.from_form(self.cleaned_data.get(field.path), field)
            for field in self.editable
        }
        return {path: value for path, value in wanted.items() if value != self.seen_values[path]}

    def save_change(self, *, psa_id: int, user) -> PendingChange | None:
        """Store this valid form's change in the outbox, on its way to the PSA; None when
        nothing was changed."""
        changes = self.changes()
        if not changes:
            return None
        return services.pending_change_create(
            connection=self.connection,
            kind=self.kind,
            psa_id=psa_id,
            changes=changes,
            seen=self.seen_values,
            idempotency_key=self.cleaned_data["idempotency_key"],
            user=user,
        )

    def add_psa_errors(self, field_errors: dict[str, str]) -> None:
        """The PSA's own messages on the fields it named (the rest on the form)."""
        for path, message in field_errors.items():
            self.add_error(path if path in self.fields else None, message)


class TicketRowForm(RecordEditForm):
    """Status, priority and owner of one ticket, edited in its row of the list. The row is
    not a form element, so the fields name theirs (``form="row-form-<id>"``)."""

    paths = ("status", "priority", "owner")

    def __init__(self, data=None, *, record: dict, connection):
        psa_id = int(record["id"])
        super().__init__(
            data,
            kind=registry.get_kind("tickets"),
            record=record,
            connection=connection,
            auto_id=f"row{psa_id}_%s",
        )
        self.form_id = f"row-form-{psa_id}"
        for position, path in enumerate(self.paths):
            attrs = {"form": self.form_id, "aria-label": f"{self.fields[path].label} of #{psa_id}"}
            if position == 0:
                attrs["autofocus"] = True
            self.fields[path].widget.attrs.update(attrs)
        for name in ("idempotency_key", "seen"):
            self.fields[name].widget.attrs["form"] = self.form_id


def _posted_seen(data, paths: list[str]) -> dict | None:
    """The values the form was drawn with, as it posts them back (None if unreadable)."""
    try:
        seen = json.loads((data or {}).get("seen") or "null")
    except ValueError:
        return None
    if not isinstance(seen, dict) or set(seen) != set(paths):
        return None
    return seen


class TicketCreateForm(forms.Form):
    """A new ticket: the fields of the ``create-ticket`` action's input, choices from the
    mirror; the contact list is narrowed to the chosen company."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    summary = forms.CharField(max_length=100, strip=True)
    company = forms.TypedChoiceField(coerce=int, empty_value=None)
    contact = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    initial_description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    REFERENCES = ("board", "status", "priority", "owner")

    def __init__(self, data=None, *, connection):
        super().__init__(data, initial={"idempotency_key": uuid.uuid4().hex})
        companies = Company.objects.filter(connection=connection).order_by("name")
        self.fields["company"].choices = [
            ("", "Choose a company"),
            *companies.values_list("psa_id", "name"),
        ]
        self.fields["contact"].choices = contact_choices(
            connection=connection, company_id=_int_or_none((data or {}).get("company"))
        )
        ticket_fields = {
            field.path: field for field in registry.get_kind("tickets").editable_fields
        }
        rows = lookup_rows(
            connection=connection, lookups=[ticket_fields[path].lookup for path in self.REFERENCES]
        )
        for path in self.REFERENCES:
            field = ticket_fields[path]
            self.fields[path] = forms.TypedChoiceField(
                label=field.label, coerce=int, empty_value=None, required=False,
                choices=_choices(field=field, record={}, rows=rows),
            )  # fmt: skip
        self.order_fields(["summary", "company", "contact", *self.REFERENCES])

    def action_input(self) -> dict:
        """The ``create-ticket`` input: references as ``{"id": N}``, empty ones left out."""
        data = self.cleaned_data
        action_input = {"summary": data["summary"], "company": {"id": data["company"]}}
        for name in ("contact", *self.REFERENCES):
            if data.get(name) is not None:
                action_input[name] = {"id": data[name]}
        if data.get("initial_description"):
            action_input["initialDescription"] = data["initial_description"]
        return action_input


def contact_choices(*, connection, company_id: int | None) -> list:
    """The company's contacts (none until a company is chosen)."""
    if company_id is None:
        return [("", "Choose a company first")]
    contacts = Contact.objects.filter(connection=connection, company_id=company_id)
    return [("", "—"), *contacts.order_by("display_name").values_list("psa_id", "display_name")]


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


BILLABLE_OPTIONS = [
    ("Billable", "Billable"),
    ("DoNotBill", "Do not bill"),
    ("NoCharge", "No charge"),
    ("NoDefault", "No default"),
]


class TimeEntryForm(forms.Form):
    """Time worked on a ticket: who, when (start and end, or start and hours), how it is
    billed, and the notes, with where on the ticket the notes also appear."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    member = forms.TypedChoiceField(coerce=int, empty_value=None)
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    hours = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_value=24, decimal_places=2,
        help_text="Instead of an end time.",
    )  # fmt: skip
    billable_option = forms.ChoiceField(label="Billing", choices=BILLABLE_OPTIONS)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=True)
    add_to_detail = forms.BooleanField(label="Also add the notes to the discussion", required=False)
    add_to_internal = forms.BooleanField(label="… to the internal analysis", required=False)
    add_to_resolution = forms.BooleanField(label="… to the resolution", required=False)

    def __init__(self, data=None, *, connection):
        initial = {
            "idempotency_key": uuid.uuid4().hex,
            "day": timezone.localdate(),
            "billable_option": "Billable",
        }
        super().__init__(data, initial=initial)
        members = Member.objects.filter(connection=connection, inactive_flag=False)
        self.fields["member"].choices = [
            ("", "Who worked"),
            *members.order_by("display_name").values_list("psa_id", "display_name"),
        ]

    def clean(self):
        data = super().clean()
        start, end, hours = data.get("start"), data.get("end"), data.get("hours")
        if start and not end and hours is None:
            self.add_error("end", "Give an end time or the hours worked.")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        return data

    def time_entry(self, *, ticket_id: int) -> dict:
        """The PSA's time entry for these values, charged to the ticket (times in UTC)."""
        data = self.cleaned_data
        entry = {
            "chargeToId": ticket_id,
            "chargeToType": "ServiceTicket",
            "member": {"id": data["member"]},
            "timeStart": _utc(data["day"], data["start"]),
            "billableOption": data["billable_option"],
            "notes": data["notes"],
            "addToDetailDescriptionFlag": data["add_to_detail"],
            "addToInternalAnalysisFlag": data["add_to_internal"],
            "addToResolutionFlag": data["add_to_resolution"],
        }
        if data.get("end"):
            entry["timeEnd"] = _utc(data["day"], data["end"])
        else:
            entry["actualHours"] = float(data["hours"])
        return entry


def _utc(day, time_of_day) -> str:
    local = timezone.make_aware(datetime.combine(day, time_of_day))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IdListField(forms.Field):
    """Record ids ticked in a list (``ids`` repeated); any that is not a number is refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(
                "The selection holds something that is not a record."
            ) from error
        return ids


class BulkEditForm(forms.Form):
    """A change of status, priority, owner or board for many tickets: those ticked on the
    page, or every one the list's filter matches (the list state comes as ``query``)."""

    SCOPES = [("selected", "The selected tickets"), ("matching", "Every ticket this list matches")]
    FIELDS = ("board", "status", "priority", "owner")

    scope = forms.ChoiceField(choices=SCOPES, initial="selected", widget=forms.RadioSelect)
    ids = IdListField(required=False)

    def __init__(self, data=None, *, connection):
        super().__init__(data, auto_id="bulk_%s")  # the list page has its own "status" etc.
        ticket_fields = {
            field.path: field for field in registry.get_kind("tickets").editable_fields
        }
        rows = lookup_rows(
            connection=connection, lookups=[ticket_fields[path].lookup for path in self.FIELDS]
        )
        for path in self.FIELDS:
            field = ticket_fields[path]
            choices = _choices(field=field, record={}, rows=rows)
            choices[0] = ("", "— keep as it is —")
            self.fields[path] = forms.TypedChoiceField(
                label=f"Set {field.label.lower()}",
                coerce=int,
                empty_value=None,
                required=False,
                choices=choices,
            )

    def clean(self):
        data = super().clean()
        if not self.changes():
            raise forms.ValidationError("Choose at least one value to set.")
        if data.get("scope") == "selected" and not data.get("ids"):
            raise forms.ValidationError("Select at least one ticket, or choose every matching one.")
        return data

    def changes(self) -> dict:
        """JSON path → the value to set, for the fields given."""
        return {
            path: self.cleaned_data[path]
            for path in self.FIELDS
            if self.cleaned_data.get(path) is not None
        }
