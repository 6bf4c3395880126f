"""A ticket edit is sent with the connector's ``update-ticket`` action (found by intent, run
with the id and the JSON Patch operations of the changed fields); the sandbox's counters and
its PSA data show what reached it."""

import pytest
from django.urls import reverse

from psaportal.records.changes import services
from psaportal.records.models import PendingChange, Priority, RecordDocument
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status


@pytest.fixture
def ticket(psa_connection, live_ticket, membrane_client, ready_connection):
    priorities = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/priorities", query={"pageSize": 100}
    ).json()
    mirror(psa_connection, "priorities", priorities)
    mirror(psa_connection, "tickets", [live_ticket])
    return live_ticket


def psa_ticket(membrane_client, ready_connection, ticket_id: int) -> dict:
    path = f"/service/tickets/{ticket_id}"
    return membrane_client.proxy(ready_connection["id"], "GET", path).json()


def edit(client, capture, ticket, **changes):
    url = reverse("records:edit", args=["tickets", ticket["id"]])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    with capture(execute=True):
        return client.post(url, data | changes)


def test_a_ticket_edit_runs_update_ticket_and_not_a_proxy_patch(
    technician_client, ticket, sandbox, membrane_client, ready_connection,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    priority = Priority.objects.exclude(psa_id=ticket["priority"]["id"]).first()
    before = sandbox.stats()

    edit(
        technician_client, django_capture_on_commit_callbacks, ticket,
        priority=str(priority.psa_id),
    )  # fmt: skip

    after = sandbox.stats()
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    assert after["action_runs"] - before["action_runs"] == 1
    # One proxy request: reading the ticket before the change; the change itself is the action.
    assert after["proxy_requests"] - before["proxy_requests"] == 1
    now = psa_ticket(membrane_client, ready_connection, ticket["id"])
    assert now["priority"]["id"] == priority.psa_id
    assert now["summary"] == ticket["summary"]  # only the changed field was sent
    assert now["_info"]["lastUpdated"] > ticket["_info"]["lastUpdated"]
    mirrored = RecordDocument.objects.get(kind="tickets", psa_id=ticket["id"]).data
    assert mirrored["_info"]["lastUpdated"] == now["_info"]["lastUpdated"]


def test_the_action_is_found_by_intent_with_its_input_schema(membrane_client, ready_connection):
    action = services._action(membrane_client, ready_connection["id"], "update-ticket")
    assert action["key"] == "update-ticket"
    assert set(action["inputSchema"]["required"]) == set(services.UPDATE_INPUT)


def test_the_psas_refusal_through_the_action_lands_on_the_field(
    ticket, psa_connection, membrane_client, ready_connection
):
    change = services.pending_change_create(
        connection=psa_connection,
        kind=services.registry.get_kind("tickets"),
        psa_id=ticket["id"],
        changes={"status": 99999},
        seen={"status": ticket["status"]["id"]},
        idempotency_key="unknown-status",
        user=None,
    )
    with pytest.raises(services.ChangeProblem):
        services.pending_change_apply(change_id=change.pk)

    change.refresh_from_db()
    assert change.status == Status.FAILED
    assert change.field_errors == {"status": "status id 99999 was not found"}
    assert "99999" in change.error
    now = psa_ticket(membrane_client, ready_connection, ticket["id"])
    assert now["status"]["id"] == ticket["status"]["id"]
    assert now["_info"]["lastUpdated"] == ticket["_info"]["lastUpdated"]  # nothing written


def test_a_ticket_gone_from_the_psa_fails_the_change_in_words(
    ticket, psa_connection, membrane_client, ready_connection
):
    change = services.pending_change_create(
        connection=psa_connection,
        kind=services.registry.get_kind("tickets"),
        psa_id=ticket["id"],
        changes={"summary": "Too late"},
        seen={"summary": ticket["summary"]},
        idempotency_key="gone",
        user=None,
    )
    membrane_client.proxy(ready_connection["id"], "DELETE", f"/service/tickets/{ticket['id']}")
    with pytest.raises(services.ChangeProblem):
        services.pending_change_apply(change_id=change.pk)
    change.refresh_from_db()
    assert change.status == Status.FAILED
    assert change.error == "This ticket no longer exists in the PSA."


def test_an_update_action_asking_for_other_input_is_refused_not_guessed(
    technician_client, ticket, psa_connection, sandbox, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # As if the connector's update-ticket had been rebuilt with another input.
    action = {"id": "act-1", "key": "update-ticket", "inputSchema": {
        "type": "object", "required": ["ticketId", "patch"],
        "properties": {"ticketId": {"type": "integer"}, "patch": {"type": "array"}},
    }}  # fmt: skip
    monkeypatch.setitem(services._ACTIONS, (psa_connection.membrane_id, "update-ticket"), action)
    before = sandbox.stats()

    edit(technician_client, django_capture_on_commit_callbacks, ticket, summary="Not sent")

    change = PendingChange.objects.get()
    assert change.status == Status.FAILED
    assert "asks for input this portal does not know (patch, ticketId)" in change.error
    assert sandbox.stats()["action_runs"] == before["action_runs"]
