"""Migration 0006 moves each mirrored record's JSON into RecordDocument and rewrites its
search text as words, on the database the suite runs on."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("records", "0005_mirror_connection_index"), ("connections", "0003_last_ready_at")]
AFTER = [("records", "0006_mirror_documents")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_documents_and_search_words_survive_the_migration():
    old = migrate(BEFORE)
    try:
        Connection = old.get_model("connections", "Connection")
        Ticket = old.get_model("records", "Ticket")
        Board = old.get_model("records", "Board")
        psa = Connection.objects.create(membrane_id="m-1", name="PSA")
        record = {"id": 7, "summary": "Printer offline: GRANIT-APP01", "board": {"id": 1}}
        Ticket.objects.create(
            connection=psa,
            psa_id=7,
            data=record,
            search_text="7 printer offline: granit-app01 printer",
            synced_at="2026-12-01T10:00:00Z",
        )
        Board.objects.create(
            connection=psa,
            psa_id=3,
            data={"id": 3, "name": "Service Desk"},
            search_text="service desk",
            synced_at="2026-12-01T10:00:00Z",
        )

        new = migrate(AFTER)

        Document = new.get_model("records", "RecordDocument")
        documents = {
            (row.kind, row.psa_id): row.data for row in Document.objects.filter(connection=psa.pk)
        }
        assert documents == {
            ("tickets", 7): record,
            ("boards", 3): {"id": 3, "name": "Service Desk"},
        }
        ticket = new.get_model("records", "Ticket").objects.get(psa_id=7)
        assert ticket.search_text == "7 printer offline granit app01"
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
