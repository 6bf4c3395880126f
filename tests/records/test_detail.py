"""Detail pages: the record's fields grouped by the registry, and its related records."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psaportal.records import display, registry, selectors
from psaportal.records.models import PendingChange
from tests.records.mirror_rows import mirror, mirror_samples, sample_record

pytestmark = pytest.mark.django_db


def url(kind_key: str, psa_id: int) -> str:
    return reverse("records:detail", args=[kind_key, psa_id])


@pytest.mark.parametrize("kind", registry.record_kinds(), ids=lambda kind: kind.key)
def test_each_kind_shows_its_sections(technician_client, connection, kind):
    mirror_samples(connection, kind.key, 3)
    response = technician_client.get(url(kind.key, 2))
    assert response.status_code == 200
    content = response.content.decode()
    titles = [section["title"] for section in response.context["sections"]]
    assert titles and set(titles) <= set(kind.detail_sections)
    assert "History" in titles
    for title in titles:
        assert f"<h2>{title}</h2>" in content
    assert f"#{2}" in content


def test_ticket_fields_are_grouped_and_readable(technician_client, connection):
    mirror_samples(connection, "tickets", 3)
    response = technician_client.get(url("tickets", 3))
    sections = {s["title"]: dict(s["fields"]) for s in response.context["sections"]}
    assert sections["Ticket"]["Summary"] == "Backup job failed on FS01 #3"
    assert sections["Ticket"]["Status"] == "Closed"
    assert sections["Ticket"]["Board"] == "Service Desk"
    assert sections["Customer"]["Company"] == "Acme Dental Group"
    assert sections["Work"]["Closed"] is True
    assert sections["History"]["Entered by"] == "admin"
    content = response.content.decode()
    assert "<h1>Backup job failed on FS01 #3" in content
    assert "<dt>Closed date</dt><dd>2026-03-06 09:00</dd>" in content
    assert "<dt>Closed</dt><dd>Yes</dd>" in content


def test_missing_fields_are_left_out(technician_client, connection):
    mirror(connection, "tickets", [{"id": 7, "summary": "Bare ticket"}])
    response = technician_client.get(url("tickets", 7))
    assert response.status_code == 200
    assert response.context["sections"] == [
        {"title": "Ticket", "fields": [("Summary", "Bare ticket")]}
    ]


def test_contact_communication_items_read_as_text(technician_client, connection):
    mirror_samples(connection, "contacts", 2)
    content = technician_client.get(url("contacts", 1)).content.decode()
    assert "Email: carlos1@example.com (default)" in content
    assert "Direct: 555-0201" in content


def related(response, label: str) -> dict:
    return next(group for group in response.context["related"] if group["label"] == label)


def related_ids(group) -> list[int]:
    return [row["psa_id"] for row in group["rows"]]


def test_company_shows_its_tickets_contacts_configurations_projects_and_opportunities(
    technician_client, connection
):
    company = sample_record("companies", 2)  # Blue Ridge: company id 2
    company["id"] = 2
    mirror(connection, "companies", [company])
    for kind in ("tickets", "contacts", "configurations", "projects", "opportunities"):
        mirror_samples(connection, kind, 9)

    response = technician_client.get(url("companies", 2))

    labels = [group["label"] for group in response.context["related"]]
    assert labels == ["Tickets", "Contacts", "Configurations", "Projects", "Opportunities"]
    # Samples cycle through three companies: n % 3 == 1 belongs to company 2.
    for label in labels:
        assert sorted(related_ids(related(response, label))) == [1, 4, 7], label
    content = response.content.decode()
    assert f'href="{url("contacts", 4)}"' in content
    assert f'href="{url("configurations", 7)}"' in content
    assert f'href="{url("opportunities", 1)}"' in content


def test_ticket_shows_its_time_entries_and_products(technician_client, connection):
    mirror_samples(connection, "tickets", 4)
    mirror_samples(connection, "time_entries", 12)
    mirror_samples(connection, "products", 12)

    response = technician_client.get(url("tickets", 3))

    # Time entries n charge ticket n % 4 + 1 (none when n % 3 == 0); products when n is even.
    assert sorted(related_ids(related(response, "Time entries"))) == [2, 10]
    assert sorted(related_ids(related(response, "Products"))) == [2, 6, 10]
    assert related(response, "Expenses")["rows"] == []
    assert "None." in response.content.decode()


def test_many_related_records_show_the_newest_and_link_to_the_list(technician_client, connection):
    company = {"id": 1, "name": "Acme Dental Group", "identifier": "ACME"}
    mirror(connection, "companies", [company])
    mirror_samples(connection, "tickets", 60)  # twenty of them are Acme's
    response = technician_client.get(url("companies", 1))
    tickets = related(response, "Tickets")
    assert tickets["more"] and tickets["shown"] == selectors.RELATED_ROWS
    assert related_ids(tickets) == list(range(60, 29, -3))[: selectors.RELATED_ROWS]
    list_url = reverse("records:list", args=["tickets"])
    assert tickets["more_url"] == f"{list_url}?company=Acme+Dental+Group"
    assert "See all tickets" in response.content.decode()


def test_related_records_of_another_connection_stay_out(technician_client, connection):
    from psaportal.connections.models import Connection

    other = Connection.objects.create(membrane_id="other", state="READY", connected=True)
    Connection.objects.filter(pk=other.pk).update(
        created_at=connection.created_at.replace(year=2000)
    )
    mirror(connection, "companies", [{"id": 1, "name": "Acme Dental Group"}])
    mirror_samples(other, "tickets", 6)
    response = technician_client.get(url("companies", 1))
    assert related(response, "Tickets")["rows"] == []


def test_htmx_request_gets_only_the_record_section(technician_client, connection):
    mirror_samples(connection, "tickets", 2)
    response = technician_client.get(url("tickets", 1), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'class="record-body"' in content
    assert "Refresh from PSA" not in content


def test_the_page_offers_a_refresh_from_the_psa(technician_client, connection):
    mirror_samples(connection, "tickets", 2)
    content = technician_client.get(url("tickets", 1)).content.decode()
    refresh = reverse("records:detail_refresh", args=["tickets", 1])
    assert f'hx-post="{refresh}"' in content
    assert f'action="{refresh}"' in content


def test_a_record_not_in_the_mirror_is_not_found(technician_client, connection):
    mirror_samples(connection, "tickets", 2)
    assert technician_client.get(url("tickets", 3)).status_code == 404
    assert technician_client.get(url("nonsense", 1)).status_code == 404
    assert technician_client.get(url("members", 1)).status_code == 404


def test_a_record_gone_while_open_says_so_to_htmx(technician_client, connection):
    response = technician_client.get(url("tickets", 3), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "no longer in the mirror" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("_info/dateEntered", "Date entered"),
        ("status/name", "Status"),
        ("catalogItem/identifier", "Catalog item"),
        ("ticket/summary", "Ticket"),
        ("closedFlag", "Closed"),
        ("ipAddress", "IP address"),
        ("contactEmailAddress", "Contact email address"),
    ],
)
def test_field_labels(path, label):
    assert display.field_label(path) == label


def test_a_ticket_page_lists_its_open_changes_and_outbox_notes_in_one_query(
    technician_client, technician, connection
):
    mirror_samples(connection, "tickets", 3)

    def change(key: str, **fields):
        return PendingChange.objects.create(
            connection=connection, seen={}, author=technician, idempotency_key=key, **fields
        )

    edit = change("edit-2", kind="tickets", psa_id=2, changes={"summary": "Mine"})
    note = change("note-2", kind="ticket_notes", operation="create",
                  changes={"ticketId": 2, "text": "A note on its way"})  # fmt: skip
    change("edit-3", kind="tickets", psa_id=3, changes={"summary": "Another ticket's"})
    change("note-3", kind="ticket_notes", operation="create",
           changes={"ticketId": 3, "text": "Another ticket's note"})  # fmt: skip
    change("sent-2", kind="tickets", psa_id=2, changes={"summary": "Sent"}, status="applied")

    with CaptureQueriesContext(db_connection) as queries:
        response = technician_client.get(url("tickets", 2))

    outbox_reads = [q for q in queries.captured_queries if "records_pendingchange" in q["sql"]]
    assert len(outbox_reads) == 1
    assert [row["change"] for row in response.context["changes"]] == [edit]
    assert [row["change"] for row in response.context["pending_note_rows"]] == [note]
    content = response.content.decode()
    assert "A note on its way" in content and "Another ticket" not in content
