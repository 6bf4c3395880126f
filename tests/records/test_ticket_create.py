"""Creating a ticket through the outbox with the create-ticket action, against the sandbox."""

import pytest
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.changes import services
from psaportal.records.models import PendingChange, Ticket
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status
NEW = reverse("records:ticket_create")


@pytest.fixture
def lookups(psa_connection, membrane_client, ready_connection):
    """The PSA's companies, contacts and priorities, mirrored; returns (company, its contact)."""

    def psa(path):
        return membrane_client.proxy(
            ready_connection["id"], "GET", path, query={"pageSize": 1000}
        ).json()

    companies, contacts = psa("/company/companies"), psa("/company/contacts")
    mirror(psa_connection, "companies", companies)
    mirror(psa_connection, "contacts", contacts)
    mirror(psa_connection, "priorities", psa("/service/priorities"))
    contact = next(row for row in contacts if row.get("company"))
    company = next(row for row in companies if row["id"] == contact["company"]["id"])
    return company, contact


def psa_tickets_named(membrane_client, ready_connection, summary) -> list[dict]:
    rows = membrane_client.proxy(
        ready_connection["id"],
        "GET",
        "/service/tickets",
        query={"conditions": f'summary = "{summary}"', "pageSize": 100},
    ).json()
    return rows


def new_ticket_form(client, company, contact, summary) -> dict:
    form = client.get(NEW).context["form"]
    return {
        "idempotency_key": form["idempotency_key"].value(),
        "summary": summary,
        "company": company["id"],
        "contact": contact["id"],
        "initial_description": "Spotted by the night shift.",
    }


def test_a_new_ticket_is_created_once_in_the_psa_and_the_mirror(
    technician_client,
    lookups,
    membrane_client,
    ready_connection,
    django_capture_on_commit_callbacks,
):
    company, contact = lookups
    data = new_ticket_form(technician_client, company, contact, "Server room too warm")

    with django_capture_on_commit_callbacks(execute=True):
        first = technician_client.post(NEW, data)
    with django_capture_on_commit_callbacks(execute=True):
        again = technician_client.post(NEW, data)  # a double click, a browser retry

    assert first.status_code == again.status_code == 302
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    created = psa_tickets_named(membrane_client, ready_connection, "Server room too warm")
    assert [row["id"] for row in created] == [change.psa_id]
    assert created[0]["company"]["id"] == company["id"]
    assert created[0]["contact"]["id"] == contact["id"]
    assert Ticket.objects.get(psa_id=change.psa_id).summary == "Server room too warm"
    page = technician_client.get(reverse("records:changes")).content.decode()
    assert reverse("records:detail", args=["tickets", change.psa_id]) in page


def test_a_retry_after_an_answer_was_lost_finds_the_ticket_instead_of_creating_another(
    lookups, psa_connection, membrane_client, ready_connection
):
    company, _ = lookups
    change = services.record_create(
        connection=psa_connection,
        kind=registry.get_kind("tickets"),
        summary="",
        action_input={"summary": "Lost answer", "company": {"id": company["id"]}},
        idempotency_key="lost-answer",
        user=None,
    )
    # The first try reached the PSA, but its answer never came back.
    membrane_client.run_action(
        "create-ticket",
        connection_id=ready_connection["id"],
        input={"summary": "Lost answer", "company": {"id": company["id"]}},
    )
    PendingChange.objects.filter(pk=change.pk).update(attempts=1)

    services.pending_change_apply(change_id=change.pk)

    change.refresh_from_db()
    created = psa_tickets_named(membrane_client, ready_connection, "Lost answer")
    assert len(created) == 1
    assert (change.status, change.psa_id) == (Status.APPLIED, created[0]["id"])


def test_the_contacts_are_narrowed_to_the_chosen_company(technician_client, lookups):
    company, contact = lookups
    fragment = technician_client.get(
        reverse("records:ticket_create_contacts"), {"company": company["id"]}
    ).content.decode()
    assert 'id="contact-field"' in fragment and "<html" not in fragment
    assert f'value="{contact["id"]}"' in fragment
    other = technician_client.get(reverse("records:ticket_create_contacts"), {"company": "x"})
    assert "Choose a company first" in other.content.decode()


def test_bad_input_is_refused_on_the_form_and_nothing_is_stored(technician_client, lookups):
    response = technician_client.post(
        NEW, {"idempotency_key": "k", "summary": "", "company": "999999999", "contact": "x"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"summary", "company", "contact"}
    assert not PendingChange.objects.exists()


def test_an_input_membrane_refuses_fails_the_change_with_the_reason(
    lookups, psa_connection, django_capture_on_commit_callbacks
):
    company, _ = lookups
    with django_capture_on_commit_callbacks(execute=True):
        change = services.record_create(
            connection=psa_connection,
            kind=registry.get_kind("tickets"),
            summary="",
            action_input={"summary": "x" * 150, "company": {"id": company["id"]}},
            idempotency_key="too-long",
            user=None,
        )
    change.refresh_from_db()
    assert change.status == Status.FAILED
    assert "summary" in change.error and change.changes["summary"] == "x" * 150
