"""Migration 0009 fills the reports' new columns (a member's daily capacity, a ticket's
first response and item) of records already mirrored, from their stored PSA JSON."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("records", "0008_mirror_without_foreign_key_checks")]
AFTER = [("records", "0009_report_columns")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_new_columns_are_filled_from_the_stored_documents():
    old = migrate(BEFORE)
    try:
        psa = old.get_model("connections", "Connection").objects.create(membrane_id="m-1")
        Document = old.get_model("records", "RecordDocument")
        synced = "2026-12-01T10:00:00Z"
        old.get_model("records", "Ticket").objects.create(
            connection=psa, psa_id=7, synced_at=synced
        )
        old.get_model("records", "Ticket").objects.create(
            connection=psa, psa_id=8, synced_at=synced
        )
        old.get_model("records", "Member").objects.create(
            connection=psa, psa_id=3, synced_at=synced
        )
        Document.objects.create(
            connection=psa,
            kind="tickets",
            psa_id=7,
            data={"id": 7, "dateResponded": "2026-03-02T08:30:00Z", "item": {"name": "Server"}},
        )
        Document.objects.create(
            connection=psa, kind="members", psa_id=3, data={"id": 3, "dailyCapacity": 7.5}
        )

        new = migrate(AFTER)

        Ticket = new.get_model("records", "Ticket")
        responded = Ticket.objects.get(psa_id=7)
        assert responded.date_responded == datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.UTC)
        assert responded.item_name == "Server"
        untouched = Ticket.objects.get(psa_id=8)  # no document: stays empty
        assert (untouched.date_responded, untouched.item_name) == (None, "")
        assert new.get_model("records", "Member").objects.get(psa_id=3).daily_capacity == 7.5
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
