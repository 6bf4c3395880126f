"""The edit forms' choices (statuses, priorities, owners, boards) are read once per mirror
generation and cached: a sync's write or a deletion shows in the next form at once, and one
connection's lookups never show in another's forms."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from psaportal.connections.models import Connection
from psaportal.records import registry
from psaportal.records.changes.forms import BulkEditForm, TicketRowForm
from psaportal.records.sync import store
from tests.records.mirror_rows import mirror, sample_record

STATUS = {"id": 90, "name": "Escalated", "board": {"id": 1, "name": "Service Desk"}}


def status_choices(form) -> dict:
    """Board name → status names, as the form's status field offers them."""
    return {
        group: [name for _, name in options]
        for group, options in form.fields["status"].choices
        if isinstance(options, list)
    }


@pytest.fixture
def lookups(connection):
    mirror(connection, "statuses", [STATUS])
    mirror(connection, "priorities", [{"id": 3, "name": "Priority 3 - Normal"}])
    mirror(connection, "boards", [{"id": 1, "name": "Service Desk"}])
    return connection


def test_a_new_status_from_a_sync_is_offered_at_once(lookups):
    assert status_choices(BulkEditForm(connection=lookups)) == {"Service Desk": ["Escalated"]}
    mirror(lookups, "statuses", [STATUS, {**STATUS, "id": 91, "name": "On Hold"}])
    assert status_choices(BulkEditForm(connection=lookups)) == {
        "Service Desk": ["Escalated", "On Hold"]
    }


def test_a_renamed_or_deleted_status_is_gone_at_once(lookups):
    BulkEditForm(connection=lookups)  # cached
    mirror(lookups, "statuses", [{**STATUS, "name": "Escalated to L2"}])
    assert status_choices(BulkEditForm(connection=lookups)) == {"Service Desk": ["Escalated to L2"]}
    store.delete_record(
        connection_id=lookups.pk, kind=registry.get_kind("statuses"), psa_id=STATUS["id"]
    )
    assert status_choices(BulkEditForm(connection=lookups)) == {}


def test_the_second_form_reads_no_lookup_again(lookups):
    BulkEditForm(connection=lookups)
    with CaptureQueriesContext(db_connection) as queries:
        form = BulkEditForm(connection=lookups)
    assert len(queries) == 1  # the generations
    assert [name for _, name in form.fields["priority"].choices] == [
        "— keep as it is —",
        "Priority 3 - Normal",
    ]


def test_another_connections_lookups_are_never_offered(lookups):
    other = Connection.objects.create(
        membrane_id="conn-other", name="Other PSA", state=Connection.State.READY, connected=True
    )
    BulkEditForm(connection=lookups)
    assert status_choices(BulkEditForm(connection=other)) == {}
    ticket = sample_record("tickets", 1)
    row = TicketRowForm(record=ticket, connection=other)
    # Only the ticket's own status, kept as its current value.
    assert [name for _, name in row.fields["status"].choices[1:]] == [
        f"{ticket['status']['name']} (current)"
    ]
