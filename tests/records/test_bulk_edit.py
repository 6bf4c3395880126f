"""Changing many tickets at once: one change per ticket in one job, against the sandbox."""

import pytest
from django.urls import reverse

from psaportal.jobs.models import Job
from psaportal.records.models import PendingChange, Priority, Ticket
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
BULK = reverse("records:bulk_edit")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def tickets(psa_connection, membrane_client, ready_connection) -> list[dict]:
    """The PSA's first 30 tickets and its priorities, mirrored."""

    def psa(path, **query):
        return membrane_client.proxy(ready_connection["id"], "GET", path, query=query).json()

    mirror(psa_connection, "priorities", psa("/service/priorities", pageSize=100))
    rows = psa("/service/tickets", pageSize=30, orderBy="id asc")
    mirror(psa_connection, "tickets", rows)
    return rows


@pytest.fixture
def psa_priorities(membrane_client, ready_connection, tickets):
    """``psa_priorities(ids)``: each ticket's priority id as the PSA has it now."""

    def read(ids):
        rows = membrane_client.proxy(
            ready_connection["id"],
            "GET",
            "/service/tickets",
            query={"conditions": f"id in ({', '.join(map(str, ids))})", "pageSize": 100},
        ).json()
        return {row["id"]: row["priority"]["id"] for row in rows}

    return read


def bulk(client, capture, data):
    with capture(execute=True):
        return client.post(BULK, data, headers=HTMX)


def test_the_ticked_tickets_are_changed_and_the_rest_left_alone(
    technician_client, tickets, psa_priorities, django_capture_on_commit_callbacks
):
    priority = Priority.objects.order_by("-psa_id").first()
    chosen = [row["id"] for row in tickets[:10]]
    others = [row["id"] for row in tickets[10:]]
    before = psa_priorities(others)

    response = bulk(
        technician_client,
        django_capture_on_commit_callbacks,
        {"scope": "selected", "ids": chosen, "priority": priority.psa_id, "query": ""},
    )

    job = Job.objects.get()
    assert f'id="job-{job.pk}"' in response.content.decode()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.summary == "10 applied."
    assert (job.progress_done, job.progress_total) == (10, 10)
    assert set(psa_priorities(chosen).values()) == {priority.psa_id}
    assert psa_priorities(others) == before
    mirrored = Ticket.objects.filter(psa_id__in=chosen).values_list("priority_id", flat=True)
    assert set(mirrored) == {priority.psa_id}


def test_every_ticket_the_filter_matches_can_be_changed(
    technician_client, tickets, psa_priorities, django_capture_on_commit_callbacks
):
    priority = Priority.objects.order_by("-psa_id").first()
    board = tickets[0]["board"]["name"]
    matching = [row["id"] for row in tickets if row["board"]["name"] == board]

    bulk(
        technician_client,
        django_capture_on_commit_callbacks,
        {"scope": "matching", "priority": priority.psa_id, "query": f"board={board}"},
    )

    assert sorted(PendingChange.objects.values_list("psa_id", flat=True)) == sorted(matching)
    assert set(psa_priorities(matching).values()) == {priority.psa_id}


def test_a_filter_the_list_would_not_take_is_never_widened_to_every_ticket(
    technician_client, tickets
):
    priority = Priority.objects.first()
    response = technician_client.post(
        BULK,
        {"scope": "matching", "priority": priority.psa_id, "query": "board=No+such+board"},
        headers=HTMX,
    )
    assert "The list&#x27;s filters changed meanwhile" in response.content.decode()
    assert not PendingChange.objects.exists() and not Job.objects.exists()


def test_a_ticket_changed_meanwhile_is_a_conflict_and_the_others_go_on(
    technician_client,
    tickets,
    psa_priorities,
    membrane_client,
    ready_connection,
    django_capture_on_commit_callbacks,
):
    wanted, colleagues = Priority.objects.order_by("-psa_id")[:2]
    chosen = [row["id"] for row in tickets[:5]]
    membrane_client.proxy(
        ready_connection["id"],
        "PATCH",
        f"/service/tickets/{chosen[0]}",
        json=[{"op": "replace", "path": "priority", "value": {"id": colleagues.psa_id}}],
    )

    bulk(
        technician_client,
        django_capture_on_commit_callbacks,
        {"scope": "selected", "ids": chosen, "priority": wanted.psa_id, "query": ""},
    )

    assert Job.objects.get().summary == "4 applied, 1 in conflict."
    conflict = PendingChange.objects.get(status=PendingChange.Status.CONFLICT)
    assert conflict.psa_id == chosen[0]
    assert psa_priorities(chosen) == {chosen[0]: colleagues.psa_id} | {
        psa_id: wanted.psa_id for psa_id in chosen[1:]
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "selected", "ids": ["1"]}, "Choose at least one value to set."),
        ({"scope": "selected", "priority": "PRIORITY"}, "Select at least one ticket"),
        ({"scope": "selected", "ids": ["x"], "priority": "PRIORITY"}, "not a record"),
        ({"scope": "everything", "ids": ["1"], "priority": "PRIORITY"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_words_and_changes_nothing(
    technician_client, tickets, data, message
):
    priority = str(Priority.objects.first().psa_id)
    data = {key: (priority if value == "PRIORITY" else value) for key, value in data.items()}
    response = technician_client.post(BULK, data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    fragment = technician_client.post(BULK, data, headers=HTMX).content.decode()
    assert message in fragment and "<html" not in fragment
    assert not PendingChange.objects.exists() and not Job.objects.exists()


def test_the_list_offers_the_checkboxes_to_editors_only(
    technician_client, client, django_user_model, tickets
):
    page = technician_client.get(reverse("records:list", args=["tickets"])).content.decode()
    assert 'id="bulk-form"' in page
    assert f'name="ids" value="{tickets[0]["id"]}" form="bulk-form"' in page
    client.force_login(django_user_model.objects.create_user("outsider", password="x" * 20))
    assert client.post(BULK, {"scope": "matching", "priority": "1"}).status_code == 403
