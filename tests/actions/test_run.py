"""Running an action from its generated form (or raw JSON): checked against the schema on
the server, run in a job against the sandbox, output shown as a table or as JSON."""

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.actions.models import ActionRun
from psaportal.jobs.models import Job

pytestmark = pytest.mark.django_db


def run(console, action, data, capture, **headers):
    with capture(execute=True):
        return console.post(reverse("actions:run", args=[action.pk]), data, **headers)


def test_the_create_ticket_form_shows_each_kind_of_field(console, known_action):
    action = known_action("create-ticket")
    page = console.get(reverse("actions:detail", args=[action.pk])).content.decode()
    assert 'name="input.summary"' in page and 'maxlength="100"' in page
    assert '<legend>company <span aria-hidden="true">*</span></legend>' in page
    assert 'name="input.company.id"' in page and 'type="number"' in page
    assert '<select name="input.severity"' in page
    assert '<option value="&quot;ServiceTicket&quot;" selected>' in page  # the default
    assert 'type="datetime-local"' in page
    assert '<select name="input.closedFlag"' in page  # optional boolean: yes / no / not given
    assert "Add an item to customFields" in page
    assert "Create the ticket already closed" in page  # descriptions are help text


def test_list_tickets_runs_and_shows_a_table_linking_to_ticket_pages(
    console, known_action, django_capture_on_commit_callbacks
):
    action = known_action("list-tickets")
    data = {"mode": "form", "step": "run", "input.conditions": 'status/name != "Closed"',
            "input.orderBy": "id asc", "input.pageSize": "5", "input.page": "1"}  # fmt: skip
    response = run(console, action, data, django_capture_on_commit_callbacks,
                   HTTP_HX_REQUEST="true")  # fmt: skip
    the_run = ActionRun.objects.get()
    assert the_run.status == "succeeded", the_run.error
    assert the_run.input == {"conditions": 'status/name != "Closed"', "orderBy": "id asc",
                             "pageSize": 5, "page": 1}  # fmt: skip
    assert the_run.membrane_run_id and the_run.output_size > 0 and the_run.duration_ms >= 0
    # The form stays as typed; the job's progress appears below it (out of band).
    body = response.content.decode()
    assert 'id="run-form"' in body and 'hx-swap-oob="true"' in body
    assert f'id="job-{the_run.job_id}"' in body
    output = console.get(reverse("actions:run-output", args=[the_run.pk]),
                         HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    records = the_run.output["records"]
    assert len(records) == 5
    first = records[0]["id"]
    assert f'<a href="{reverse("records:detail", args=["tickets", first])}">{first}</a>' in output
    assert '<th scope="col">summary</th>' in output
    assert "ids open the portal's tickets pages" in output
    assert "Copy JSON" in output and reverse("actions:run-download", args=[the_run.pk, "output"])


def test_a_single_record_is_shown_as_json_with_a_link(
    console, known_action, django_capture_on_commit_callbacks, membrane_client, ready_connection
):
    ticket = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 1}
    ).json()[0]
    action = known_action("get-ticket")
    run(console, action, {"mode": "form", "input.id": str(ticket["id"])},
        django_capture_on_commit_callbacks)  # fmt: skip
    the_run = ActionRun.objects.get()
    page = console.get(reverse("actions:run-detail", args=[the_run.pk])).content.decode()
    assert "Open this record in the portal" in page
    assert 'class="json-tree"' in page and "<details" in page
    assert ticket["summary"].replace("'", "&#x27;") in page


def test_every_run_is_audit_logged_with_its_input_and_a_refused_one_is_not(
    console, known_action, django_capture_on_commit_callbacks
):
    action = known_action("get-ticket")
    console.post(reverse("actions:run", args=[action.pk]), {"mode": "form", "input.id": "x"})
    assert not AuditEntry.objects.filter(action="action.run").exists()
    run(console, action, {"mode": "form", "input.id": "1"}, django_capture_on_commit_callbacks)
    the_run = ActionRun.objects.get()
    entry = AuditEntry.objects.get(action="action.run")
    assert (entry.username, entry.target_type, entry.target_id) == (
        "admin",
        "action_run",
        str(the_run.pk),
    )
    assert entry.after == {"action": "get-ticket", "input": {"id": 1}}
    assert "get" in entry.summary.lower()


def test_schema_errors_are_shown_on_the_fields_and_nothing_runs(console, known_action):
    action = known_action("update-ticket")
    # Every operation removed (a hand-made post): the schema needs at least one.
    response = console.post(
        reverse("actions:run", args=[action.pk]),
        {"mode": "form", "input.id": "0", "input.operations.__count__": "0"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in body
    assert not ActionRun.objects.exists()
    response = console.post(
        reverse("actions:run", args=[action.pk]),
        {"mode": "form", "input.id": "5", "input.operations.__count__": "0"},
    )
    body = response.content.decode()
    assert "Needs at least 1 item." in body
    assert not ActionRun.objects.exists() and not Job.objects.exists()


def test_raw_json_input_is_checked_against_the_schema(console, known_action):
    action = known_action("get-ticket")
    url = reverse("actions:run", args=[action.pk])
    bad = console.post(url, {"mode": "json", "raw": '{"id": 0, "colour": "red"}'})
    body = bad.content.decode()
    assert "id: Must be at least 1." in body
    assert "Additional properties are not allowed (&#x27;colour&#x27; was unexpected)." in body
    broken = console.post(url, {"mode": "json", "raw": '{"id": '}).content.decode()
    assert "The input is not valid JSON" in broken
    assert not ActionRun.objects.exists()


def test_json_mode_runs_and_switches_back_to_the_form(
    console, known_action, django_capture_on_commit_callbacks
):
    action = known_action("list-companies")
    url = reverse("actions:run", args=[action.pk])
    switched = console.post(url, {"mode": "json", "step": "to-form",
                                  "raw": '{"pageSize": 3, "orderBy": "name"}'})  # fmt: skip
    body = switched.content.decode()
    assert 'name="input.pageSize"' in body and 'value="3"' in body
    assert 'id="id_input.orderBy">\nname</textarea>' in body
    to_json = console.post(url, {"mode": "form", "step": "to-json", "input.pageSize": "4"})
    assert "&quot;pageSize&quot;: 4" in to_json.content.decode()
    run(console, action, {"mode": "json", "raw": '{"pageSize": 2}'},
        django_capture_on_commit_callbacks)  # fmt: skip
    assert len(ActionRun.objects.get().output["records"]) == 2


def test_adding_an_array_item_rerenders_the_form_without_errors(console, known_action):
    action = known_action("create-ticket")
    response = console.post(
        reverse("actions:run", args=[action.pk]),
        {"mode": "form", "add": "input.customFields", "input.summary": "Kept"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'name="input.customFields.0.id"' in body
    assert 'value="Kept"' in body
    assert "field-error" not in body
    assert "<html" not in body


def test_a_failed_run_says_why(console, known_action, django_capture_on_commit_callbacks):
    action = known_action("get-ticket")
    run(console, action, {"mode": "form", "input.id": "999999"},
        django_capture_on_commit_callbacks)  # fmt: skip
    the_run = ActionRun.objects.get()
    assert the_run.status == "failed"
    assert the_run.job.status == "failed"
    page = console.get(reverse("actions:run-detail", args=[the_run.pk])).content.decode()
    assert "The run failed:" in page and "999999" in page
