"""Free text PostgreSQL cannot store (a NUL, a lone surrogate) in what the PSA sends back to
the consoles: taken out of an action run's output and a proxy answer's body, as the sync
does for records, so the run succeeds instead of failing on the save."""

import json

import pytest
from django.urls import reverse

from psaportal.actions.models import ActionRun, ProxyRequest

pytestmark = pytest.mark.django_db
#: A summary as the PSA sends it: JSON escapes of a NUL and of a lone surrogate.
ESCAPED_SUMMARY = b"Printer\\u0000 jam \\ud800"


@pytest.fixture
def odd_ticket(membrane_client, ready_connection) -> dict:
    """A ticket whose summary holds a NUL and a lone surrogate, in the sandbox's PSA."""
    cid = ready_connection["id"]
    [company] = membrane_client.proxy(
        cid, "GET", "/company/companies", query={"pageSize": 1}
    ).json()
    body = b'{"summary": "%s", "company": {"id": %d}}' % (ESCAPED_SUMMARY, company["id"])
    created = membrane_client.proxy(
        cid, "POST", "/service/tickets", content=body, headers={"Content-Type": "application/json"}
    )
    assert ESCAPED_SUMMARY in created.content  # the PSA keeps and sends back what it was given
    return created.json()


def test_an_action_output_with_a_nul_and_a_lone_surrogate_is_stored_clean(
    console, known_action, odd_ticket, django_capture_on_commit_callbacks
):
    action = known_action("list-tickets")
    data = {"mode": "form", "step": "run", "input.conditions": f"id = {odd_ticket['id']}",
            "input.pageSize": "5", "input.page": "1"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("actions:run", args=[action.pk]), data)

    run = ActionRun.objects.get()
    assert run.status == "succeeded", run.error
    run.refresh_from_db()  # as PostgreSQL stored it
    [ticket] = run.output if isinstance(run.output, list) else run.output["records"]
    assert ticket["summary"] == "Printer jam "
    output = console.get(reverse("actions:run-output", args=[run.pk]))
    assert output.status_code == 200


def test_a_proxy_answer_with_a_nul_and_a_lone_surrogate_is_stored(
    console, odd_ticket, django_capture_on_commit_callbacks
):
    data = {"method": "GET", "path": f"/service/tickets/{odd_ticket['id']}"}
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("api_console:send"), data)

    sent = ProxyRequest.objects.get()
    assert sent.status == "succeeded", sent.error
    sent.refresh_from_db()
    assert "\x00" not in sent.response_body
    assert json.loads(sent.response_body)["id"] == odd_ticket["id"]
    page = console.get(reverse("api_console:detail", args=[sent.pk]))
    assert page.status_code == 200
