"""What the load run's users do, written down from the mirror before it starts: a logged-in
session per user and role, and the tickets, companies, filter values, searches and edits
they pick from. Needs Django set up; the locustfile reads the plan as JSON."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.test import Client

from psaportal.accounts import roles
from psaportal.records import registry
from psaportal.records.changes.forms import TicketRowForm
from psaportal.records.forms import ListQueryForm
from psaportal.records.models import Company, RecordDocument, Ticket
from psaportal.reports.catalog import REPORTS

SAMPLE = 200  # records of each kind the users open


def _choices(form, name: str) -> list[str]:
    return [str(value) for value, _ in form.fields[name].choices if value][:20]


def _session(user) -> str:
    # Logged in as the login page would, without the password hash's CPU in the measurement.
    client = Client()
    client.force_login(user, backend="psaportal.accounts.backends.PermissionsBackend")
    return client.cookies["sessionid"].value


def _row_edit(connection, psa_id: int) -> dict | None:
    """The inline row edit of a ticket as its form draws it, and the priorities to set."""
    document = RecordDocument.objects.filter(
        connection=connection, kind="tickets", psa_id=psa_id
    ).first()
    if document is None:
        return None
    form = TicketRowForm(record=document.data, connection=connection)
    fields = {name: form.initial.get(name) for name in TicketRowForm.paths}
    priorities = _choices(form, "priority")
    if len(priorities) < 2 or None in fields.values():
        return None
    return {"psa_id": psa_id, "fields": {k: str(v) for k, v in fields.items()},
            "priorities": priorities}  # fmt: skip


def load_plan(*, connection, sessions_per_role: int) -> dict:
    users = get_user_model().objects
    sessions = {}
    for role in roles.ROLES:
        sessions[role] = []
        for number in range(sessions_per_role):
            user, _ = users.get_or_create(username=f"load-{role}-{number}")
            roles.set_role(user, role)
            sessions[role].append(_session(user))
    tickets = list(
        Ticket.objects.filter(connection=connection)
        .order_by("-psa_id")
        .values_list("psa_id", "summary")[:SAMPLE]
    )
    form = ListQueryForm({}, connection=connection, kind=registry.get_kind("tickets"))
    edits = [edit for psa_id, _ in tickets[:50] if (edit := _row_edit(connection, psa_id))]
    return {
        "sessions": sessions,
        "csrf_token": uuid.uuid4().hex,  # any 32 characters; posted back as the cookie's
        "tickets": [psa_id for psa_id, _ in tickets],
        "companies": list(
            Company.objects.filter(connection=connection)
            .order_by("psa_id")
            .values_list("psa_id", flat=True)[:SAMPLE]
        ),
        "searches": sorted({summary.split()[0] for _, summary in tickets if summary})[:30],
        "filters": {name: _choices(form, name) for name in ("board", "status", "priority")},
        "edits": edits,
        "reports": list(REPORTS),
    }
