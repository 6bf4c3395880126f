"""CSV export: every row of the current filter, in the list's order, streamed."""

import csv
import io

import pytest
from django.db import connection as db_connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psaportal.records import export, registry
from tests.records.mirror_rows import mirror, mirror_samples, sample_record

pytestmark = pytest.mark.django_db


def export_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def url(kind_key: str) -> str:
    return reverse("records:export", args=[kind_key])


@pytest.mark.parametrize("kind", registry.record_kinds(), ids=lambda kind: kind.key)
def test_each_kind_exports_its_columns(technician_client, connection, kind):
    mirror_samples(connection, kind.key, 5)
    response = technician_client.get(url(kind.key))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{kind.key}-')
    rows = export_rows(response)
    labels = [column.label for column in kind.columns if column.name != "psa_id"]
    assert rows[0] == ["PSA id", *labels]
    assert sorted(int(row[0]) for row in rows[1:]) == [1, 2, 3, 4, 5]
    assert all(len(row) == len(rows[0]) for row in rows)


def test_ticket_export_follows_the_filter_search_and_sort(technician_client, connection):
    mirror_samples(connection, "tickets", 40)
    rows = export_rows(
        technician_client.get(url("tickets"), {"q": "printer", "open": "open", "sort": "psa_id"})
    )
    header, body = rows[0], rows[1:]
    assert header == [
        "PSA id",
        "Summary",
        "Company",
        "Board",
        "Status",
        "Priority",
        "Owner",
        "Entered",
        "Updated",
    ]
    # Printer tickets are every fifth; every fourth ticket is closed.
    assert [int(row[0]) for row in body] == [n for n in range(5, 41, 5) if n % 4 != 3]
    ticket = dict(zip(header, body[0], strict=True))
    assert ticket == {
        "PSA id": "5",
        "Summary": "Printer offline on second floor #5",
        "Company": "Cascade Manufacturing",
        "Board": "Projects",
        "Status": "In Progress",
        "Priority": "Priority 4 - Low",
        "Owner": "jsmith",
        "Entered": "2026-03-06T09:00:00Z",
        "Updated": "2026-03-06T14:00:00Z",
    }


def test_export_ignores_paging(technician_client, connection):
    mirror_samples(connection, "tickets", 60)
    rows = export_rows(technician_client.get(url("tickets"), {"page": 2, "page_size": 25}))
    assert len(rows) == 61


def test_cells_a_spreadsheet_would_run_are_quoted_as_text(technician_client, connection):
    record = sample_record("tickets", 1)
    record["summary"] = '=HYPERLINK("http://evil.example","x")'
    record["company"]["name"] = "+SUM(1,2)"
    mirror(connection, "tickets", [record])
    [_, row] = export_rows(technician_client.get(url("tickets")))
    assert row[1] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[2] == "'+SUM(1,2)"


def test_commas_quotes_and_newlines_survive(technician_client, connection):
    record = sample_record("tickets", 1)
    record["summary"] = 'Printer, "the big one"\nsecond line'
    mirror(connection, "tickets", [record])
    [_, row] = export_rows(technician_client.get(url("tickets")))
    assert row[1] == 'Printer, "the big one"\nsecond line'


def test_values_read_plainly(technician_client, connection):
    mirror_samples(connection, "companies", 5)
    rows = export_rows(technician_client.get(url("opportunities")))
    assert rows == [rows[0]]
    mirror_samples(connection, "opportunities", 2)
    header, *body = export_rows(technician_client.get(url("opportunities"), {"sort": "psa_id"}))
    first = dict(zip(header, body[0], strict=True))
    assert first["Total"] == "1250.00"
    assert first["Expected close"] == "2026-03-12T09:00:00Z"


def test_a_large_export_is_read_in_chunks_not_all_at_once(
    technician_client, connection, monkeypatch
):
    mirror_samples(connection, "tickets", 250)
    monkeypatch.setattr(export, "CHUNK_SIZE", 100)
    response = technician_client.get(url("tickets"), {"sort": "psa_id"})
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(db_connection) as queries:
        header = next(stream)
        first = next(stream)
    assert header.startswith(b"PSA id,Summary")
    assert first.startswith(b"1,")
    rest = list(stream)
    assert len(rest) == 249
    assert rest[-1].startswith(b"250,")
    # Nothing was read before the first row was asked for, and the rows came by cursor.
    assert len(queries.captured_queries) <= 2


def test_export_needs_a_ready_connection(technician_client):
    response = technician_client.get(url("tickets"))
    assert "Connect ConnectWise PSA first" in response.content.decode()
