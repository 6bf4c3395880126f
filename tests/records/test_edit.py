"""Editing a ticket through the outbox, against the sandbox's PSA over HTTP.

Each test opens the edit form as a person would (so the form carries what they saw), posts
it, and runs the queued task in-process when the request commits.
"""

import time
from datetime import timedelta

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.jobs.models import Job
from psaportal.records.changes import services
from psaportal.records.models import PendingChange, Priority, Ticket
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db
Status = PendingChange.Status


@pytest.fixture
def ticket(psa_connection, live_ticket, membrane_client, ready_connection):
    """The live ticket and the PSA's priorities, mirrored."""
    priorities = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/priorities", query={"pageSize": 100}
    ).json()
    mirror(psa_connection, "priorities", priorities)
    mirror(psa_connection, "tickets", [live_ticket])
    return live_ticket


@pytest.fixture
def psa_ticket(membrane_client, ready_connection, ticket):
    """The ticket as the PSA has it now; ``psa_ticket(patch=[...])`` changes it there first,
    as a colleague working in ConnectWise would."""

    def read(patch=None):
        path = f"/service/tickets/{ticket['id']}"
        if patch:
            membrane_client.proxy(ready_connection["id"], "PATCH", path, json=patch)
        return membrane_client.proxy(ready_connection["id"], "GET", path).json()

    return read


def edit_url(ticket) -> str:
    return reverse("records:edit", args=["tickets", ticket["id"]])


def opened_form(client, ticket) -> dict:
    """The edit form's fields as the page drew them (hidden ones included)."""
    form = client.get(edit_url(ticket)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in data.items()}


def save(client, capture, ticket, data):
    with capture(execute=True):
        return client.post(edit_url(ticket), data)


def other_priority(ticket) -> Priority:
    return Priority.objects.exclude(psa_id=ticket["priority"]["id"]).order_by("psa_id").first()


def test_an_edit_reaches_the_psa_and_the_mirror(
    technician_client, technician, ticket, psa_ticket, django_capture_on_commit_callbacks
):
    data = opened_form(technician_client, ticket)
    assert data["summary"] == ticket["summary"]
    priority = other_priority(ticket)

    response = save(
        technician_client,
        django_capture_on_commit_callbacks,
        ticket,
        data | {"summary": "Printer on fire, 2nd floor", "priority": str(priority.psa_id)},
    )

    assert response.status_code == 302
    change = PendingChange.objects.get()
    assert change.status == Status.APPLIED, change.error
    assert change.changes == {"summary": "Printer on fire, 2nd floor", "priority": priority.psa_id}
    now = psa_ticket()
    assert (now["summary"], now["priority"]["id"]) == (
        "Printer on fire, 2nd floor",
        priority.psa_id,
    )
    mirrored = Ticket.objects.get(psa_id=ticket["id"])
    assert (mirrored.summary, mirrored.priority_id) == (now["summary"], priority.psa_id)
    assert Job.objects.get().status == Job.Status.SUCCEEDED
    assert AuditEntry.objects.filter(action="record.change", user=technician).exists()


def test_only_the_changed_fields_are_sent(
    technician_client, ticket, psa_ticket, django_capture_on_commit_callbacks, sandbox
):
    data = opened_form(technician_client, ticket)
    save(
        technician_client,
        django_capture_on_commit_callbacks,
        ticket,
        data | {"summary": "Only this"},
    )
    assert PendingChange.objects.get().changes == {"summary": "Only this"}
    assert psa_ticket()["priority"] == ticket["priority"]


def test_the_same_form_sent_twice_stores_one_change(
    technician_client, ticket, django_capture_on_commit_callbacks
):
    data = opened_form(technician_client, ticket) | {"summary": "Sent twice"}
    first = save(technician_client, django_capture_on_commit_callbacks, ticket, data)
    second = save(technician_client, django_capture_on_commit_callbacks, ticket, data)
    assert first.status_code == second.status_code == 302
    assert PendingChange.objects.count() == 1 and Job.objects.count() == 1


@pytest.fixture
def conflict(technician_client, ticket, psa_ticket, django_capture_on_commit_callbacks):
    """My summary, saved after a colleague changed the summary in the PSA: a conflict."""
    data = opened_form(technician_client, ticket)
    psa_ticket(patch=[{"op": "replace", "path": "summary", "value": "Colleague's words"}])
    save(technician_client, django_capture_on_commit_callbacks, ticket, data | {"summary": "Mine"})
    return PendingChange.objects.get()


def test_a_colleagues_edit_of_the_same_field_stops_as_a_conflict_then_mine_wins(
    technician_client, ticket, conflict, psa_ticket, django_capture_on_commit_callbacks
):
    assert conflict.status == Status.CONFLICT
    assert conflict.current == {"summary": "Colleague's words"}
    assert psa_ticket()["summary"] == "Colleague's words"  # nothing overwritten
    page = technician_client.get(reverse("records:detail", args=["tickets", ticket["id"]]))
    content = page.content.decode()
    for version in (ticket["summary"], "Colleague&#x27;s words", "Mine"):
        assert version in content  # saw, now, want side by side
    assert "Apply mine anyway" in content

    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(reverse("records:change_apply_anyway", args=[conflict.pk]))
    conflict.refresh_from_db()
    assert conflict.status == Status.APPLIED
    assert psa_ticket()["summary"] == "Mine"


def test_a_conflict_can_be_discarded(technician_client, conflict, psa_ticket):
    technician_client.post(reverse("records:change_discard", args=[conflict.pk]))
    conflict.refresh_from_db()
    assert conflict.status == Status.DISCARDED
    assert psa_ticket()["summary"] == "Colleague's words"


def test_edits_of_different_fields_merge_without_asking(
    technician_client, ticket, psa_ticket, django_capture_on_commit_callbacks
):
    data = opened_form(technician_client, ticket)
    priority = other_priority(ticket)
    psa_ticket(patch=[{"op": "replace", "path": "priority", "value": {"id": priority.psa_id}}])

    save(technician_client, django_capture_on_commit_callbacks, ticket, data | {"summary": "Mine"})

    assert PendingChange.objects.get().status == Status.APPLIED
    now = psa_ticket()
    assert (now["summary"], now["priority"]["id"]) == ("Mine", priority.psa_id)


def test_the_psas_refusal_is_kept_on_the_field_with_what_was_typed(
    technician_client, ticket, psa_ticket, django_capture_on_commit_callbacks
):
    data = opened_form(technician_client, ticket)
    too_long = "x" * 150  # the PSA allows 100 characters; the form lets it through

    save(
        technician_client, django_capture_on_commit_callbacks, ticket, data | {"summary": too_long}
    )

    change = PendingChange.objects.get()
    assert change.status == Status.FAILED
    assert "summary" in change.field_errors
    assert change.changes["summary"] == too_long  # nothing typed is lost
    assert psa_ticket()["summary"] == ticket["summary"]
    again = technician_client.get(edit_url(ticket), {"change": change.pk})
    assert again.context["form"]["summary"].value() == too_long
    assert change.field_errors["summary"] in again.content.decode()


def test_membrane_down_keeps_the_change_then_it_applies_when_back(
    technician_client,
    ticket,
    psa_ticket,
    sandbox,
    sandbox_faults,
    django_capture_on_commit_callbacks,
    run_deferred,
):
    data = opened_form(technician_client, ticket)
    sandbox_faults(error_every=1, error_status=503, scope="psa")

    save(technician_client, django_capture_on_commit_callbacks, ticket, data | {"summary": "Later"})

    change = PendingChange.objects.get()
    assert change.status == Status.APPLYING and change.attempts == 1
    assert "Trying again" in Job.objects.get().summary
    sandbox.clear_faults()
    run_deferred()
    change.refresh_from_db()
    assert change.status == Status.APPLIED and change.attempts == 2
    assert psa_ticket()["summary"] == "Later"


@pytest.fixture
def waiting_change(
    technician_client,
    ticket,
    sandbox,
    sandbox_faults,
    django_capture_on_commit_callbacks,
    run_deferred,
):
    """A change whose tries ran out while the PSA answered 503; the PSA is back after."""
    data = opened_form(technician_client, ticket)
    sandbox_faults(error_every=1, error_status=503, scope="psa")
    save(technician_client, django_capture_on_commit_callbacks, ticket, data | {"summary": "Later"})
    run_deferred()
    sandbox.clear_faults()
    return PendingChange.objects.get()


def test_when_the_tries_run_out_the_change_waits_and_the_sweep_sends_it(
    waiting_change, psa_ticket, django_capture_on_commit_callbacks
):
    change = waiting_change
    assert change.status == Status.PENDING and "gave up after 6 tries" in change.error
    assert "sent again in the background" in change.error
    assert services.pending_change_resend_stalled() == 0  # not stalled long enough yet

    with django_capture_on_commit_callbacks(execute=True):
        assert services.pending_change_resend_stalled(older_than=timedelta(0)) == 1
    change.refresh_from_db()
    assert change.status == Status.APPLIED and change.error == ""
    assert psa_ticket()["summary"] == "Later"


def test_a_waiting_change_can_be_sent_again_at_once(
    technician_client, waiting_change, psa_ticket, django_capture_on_commit_callbacks
):
    page = technician_client.get(reverse("records:changes")).content.decode()
    assert "Try again" in page and "sent again in the background" in page

    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(reverse("records:change_retry", args=[waiting_change.pk]))
    waiting_change.refresh_from_db()
    assert waiting_change.status == Status.APPLIED
    assert psa_ticket()["summary"] == "Later"


def test_nothing_changed_is_said_and_nothing_is_stored(technician_client, ticket):
    response = technician_client.post(edit_url(ticket), opened_form(technician_client, ticket))
    assert response.status_code == 200
    assert "Nothing was changed." in response.content.decode()
    assert not PendingChange.objects.exists()


def test_a_blank_required_field_is_refused_on_the_form(technician_client, ticket):
    data = opened_form(technician_client, ticket) | {"summary": "  ", "priority": "nonsense"}
    response = technician_client.post(edit_url(ticket), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"summary", "priority"}
    assert not PendingChange.objects.exists()


def test_someone_elses_change_is_not_theirs_to_discard(technician_client, make_member, conflict):
    technician_client.force_login(make_member("technician", username="other"))
    answer = technician_client.post(reverse("records:change_discard", args=[conflict.pk]))
    assert answer.status_code == 404
    assert PendingChange.objects.get().status == Status.CONFLICT


def test_a_user_without_a_role_cannot_edit(client, django_user_model, ticket):
    client.force_login(django_user_model.objects.create_user("outsider", password="x" * 20))
    assert client.get(edit_url(ticket)).status_code == 403
    assert client.post(edit_url(ticket), {"summary": "No"}).status_code == 403


def test_my_changes_lists_mine(technician_client, ticket, django_capture_on_commit_callbacks):
    data = opened_form(technician_client, ticket) | {"summary": "Mine to see"}
    save(technician_client, django_capture_on_commit_callbacks, ticket, data)
    content = technician_client.get(reverse("records:changes")).content.decode()
    assert "Mine to see" in content and f"Ticket #{ticket['id']}" in content


def test_my_changes_names_references_in_a_fixed_number_of_queries(
    technician_client, technician, ticket, psa_connection, django_assert_max_num_queries
):
    """The page's queries do not grow with the number of changes shown."""
    priorities = list(Priority.objects.order_by("psa_id").values_list("psa_id", "display_name"))

    def add_changes(count):
        for n in range(count):
            psa_id, _ = priorities[n % len(priorities)]
            PendingChange.objects.create(
                connection=psa_connection,
                kind="tickets",
                psa_id=ticket["id"] + n,
                changes={"priority": psa_id},
                seen={"priority": ticket["priority"]["id"]},
                status=Status.FAILED,
                idempotency_key=f"names-{PendingChange.objects.count()}",
                author=technician,
            )

    add_changes(2)
    with django_assert_max_num_queries(20) as few:
        technician_client.get(reverse("records:changes"))
    add_changes(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = technician_client.get(reverse("records:changes")).content.decode()
    assert all(name in content for _, name in priorities[:3])


@pytest.mark.worker
def test_on_a_real_worker_an_edit_rides_out_faults_and_is_applied(
    technician_client, ticket, psa_ticket, sandbox, celery_worker
):
    """A 429 with Retry-After, then a 503, then a dropped connection, then the PSA is back."""
    data = opened_form(technician_client, ticket)
    sandbox.set_faults(rate_limit_every=1, retry_after=1, scope="psa")
    technician_client.post(edit_url(ticket), data | {"summary": "Through the storm"})
    for fault, then in (
        ("rate_limit", {"error_every": 1, "error_status": 503}),
        ("error", {"drop_every": 1}),
        ("drop", None),
    ):
        wait_until(lambda fault=fault: sandbox.stats()["faults_injected"].get(fault))
        if then:
            sandbox.set_faults(scope="psa", **then)
        else:
            sandbox.clear_faults()

    change = PendingChange.objects.get()
    wait_until(lambda: PendingChange.objects.get().status == Status.APPLIED)
    change.refresh_from_db()
    assert change.attempts >= 4 and change.error == ""
    assert psa_ticket()["summary"] == "Through the storm"
    assert Ticket.objects.get(psa_id=ticket["id"]).summary == "Through the storm"


def wait_until(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {seconds} s")
        time.sleep(0.05)


def test_the_edit_form_stores_only_what_changed_and_nothing_when_nothing_did(
    psa_connection, ticket, technician
):
    from psaportal.records import registry
    from psaportal.records.changes.forms import RecordEditForm, TicketRowForm

    def posted(form_class, **values):
        drawn = form_class(**form_args(form_class))
        data = {name: drawn[name].value() for name in drawn.fields} | values
        return form_class(
            {k: "" if v is None else v for k, v in data.items()}, **form_args(form_class)
        )

    def form_args(form_class):
        args = {"record": ticket, "connection": psa_connection}
        if form_class is RecordEditForm:
            args["kind"] = registry.get_kind("tickets")
        return args

    for form_class in (RecordEditForm, TicketRowForm):
        unchanged = posted(form_class)
        assert unchanged.is_valid(), unchanged.errors
        assert unchanged.save_change(psa_id=ticket["id"], user=technician) is None
    assert not PendingChange.objects.exists()

    edited = posted(RecordEditForm, summary="Printer fixed")
    assert edited.is_valid(), edited.errors
    change = edited.save_change(psa_id=ticket["id"], user=technician)
    assert change.changes == {"summary": "Printer fixed"}
    assert change.seen == {"summary": ticket["summary"]}
    assert (change.author, change.psa_id) == (technician, ticket["id"])
