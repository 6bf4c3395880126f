"""Who may use the consoles, the history with re-runs, long answers kept for download, and
no secret on any page, history row, audit entry or log line."""

import logging

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.actions.models import ActionRun, ProxyRequest
from psaportal.connections.models import Connection

pytestmark = pytest.mark.django_db

PAGES = [
    ("actions:console", []),
    ("actions:runs", []),
    ("api_console:console", []),
    ("api_console:history", []),
]
POSTS = [("actions:search-start", []), ("api_console:send", [])]


@pytest.mark.parametrize("role", ["technician", "manager"])
def test_only_admins_may_use_the_consoles(role, request, client_for):
    client = client_for(request.getfixturevalue(role))
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name, args in POSTS:
        assert client.post(reverse(name, args=args)).status_code == 403, name
    assert reverse("api_console:console") not in client.get(reverse("home")).content.decode()


def test_admins_see_the_console_links(admin_client):
    home = admin_client.get(reverse("home")).content.decode()
    assert reverse("actions:console") in home and reverse("api_console:console") in home


def test_without_a_ready_connection_the_consoles_send_the_admin_to_connect(admin_client):
    Connection.objects.create(membrane_id="c-1", state="BUILDING")
    for name, args in PAGES:
        page = admin_client.get(reverse(name, args=args)).content.decode()
        assert "Connect ConnectWise PSA first" in page, name


def test_post_only_views_refuse_get(console):
    assert console.get(reverse("actions:search-start")).status_code == 405
    assert console.get(reverse("api_console:send")).status_code == 405


def test_unknown_ids_are_404(console):
    for name in ("actions:detail", "actions:run-detail", "api_console:detail"):
        assert console.get(reverse(name, args=[424242])).status_code == 404


def test_first_visit_pages_explain_themselves(console):
    page = console.get(reverse("actions:console")).content.decode()
    assert "Describe what you want to do in ConnectWise PSA" in page
    assert "No action has been run yet" in console.get(reverse("actions:runs")).content.decode()
    history = console.get(reverse("api_console:history")).content.decode()
    assert "No request has been sent yet" in history
    api = console.get(reverse("api_console:console")).content.decode()
    assert "Relative to the PSA API root" in api and "conditions" in api


def test_history_lists_runs_and_runs_one_again_with_the_same_input(
    console, known_action, django_capture_on_commit_callbacks
):
    action = known_action("list-contacts")
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("actions:run", args=[action.pk]),
                     {"mode": "form", "input.pageSize": "2"})  # fmt: skip
    first = ActionRun.objects.get()
    history = console.get(reverse("actions:runs")).content.decode()
    assert "list-contacts" in history and "admin" in history
    assert first.membrane_run_id in history
    assert "Succeeded" in history and "ms</td>" in history

    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("actions:run-again", args=[first.pk]))
    again = ActionRun.objects.exclude(pk=first.pk).get()
    assert again.input == first.input == {"pageSize": 2}
    assert again.status == "succeeded" and again.membrane_run_id != first.membrane_run_id

    detail = console.get(reverse("actions:run-detail", args=[first.pk])).content.decode()
    assert "Run again with this input" in detail and "&quot;pageSize&quot;: 2" in detail
    edit = console.get(reverse("actions:detail", args=[action.pk]) + f"?from_run={first.pk}")
    assert 'value="2"' in edit.content.decode()
    download = console.get(reverse("actions:run-download", args=[first.pk, "output"]))
    assert (
        download["Content-Disposition"]
        == f'attachment; filename="action-run-{first.pk}-output.json"'
    )


def test_api_requests_have_a_history_and_can_be_sent_again(
    console, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("api_console:send"),
                     {"method": "GET", "path": "/service/boards", "pageSize": "2"})  # fmt: skip
    sent = ProxyRequest.objects.get()
    history = console.get(reverse("api_console:history")).content.decode()
    assert "GET /service/boards" in history and "<td>200</td>" in history
    again = console.get(reverse("api_console:console") + f"?from={sent.pk}").content.decode()
    assert 'value="/service/boards"' in again and 'value="2"' in again


def test_long_outputs_are_kept_for_download_instead_of_shown(
    console, known_action, django_capture_on_commit_callbacks, settings
):
    settings.CONSOLE_DISPLAY_LIMIT_BYTES = 2048
    action = known_action("list-tickets")
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("actions:run", args=[action.pk]),
                     {"mode": "form", "input.pageSize": "50"})  # fmt: skip
    run = ActionRun.objects.get()
    assert run.output_size > 2048
    output = console.get(reverse("actions:run-output", args=[run.pk])).content.decode()
    assert "more than the 2.0 KB shown on a page" in output
    assert "<table" not in output and "json-tree" not in output
    download = console.get(reverse("actions:run-download", args=[run.pk, "output"]))
    assert len(download.content) >= run.output_size

    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("api_console:send"),
                     {"method": "GET", "path": "/service/tickets", "pageSize": "50"})  # fmt: skip
    sent = ProxyRequest.objects.get()
    page = console.get(reverse("api_console:detail", args=[sent.pk])).content.decode()
    assert "more than the 2.0 KB shown on a page" in page
    answer = console.get(reverse("api_console:download", args=[sent.pk]))
    assert answer["Content-Type"] == "application/json"
    assert len(answer.content) == sent.response_size


def test_no_secret_appears_on_pages_history_audit_or_logs(
    console, known_action, django_capture_on_commit_callbacks, settings, sandbox, caplog
):
    caplog.set_level(logging.DEBUG)
    secrets = [sandbox.token]
    pages = []
    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("actions:search-start"), {"intent": "list tickets"})
        action = known_action("create-ticket")
        ticket = {"mode": "form", "input.summary": "From console", "input.company.id": "1"}
        console.post(reverse("actions:run", args=[action.pk]), ticket)
        console.post(reverse("api_console:send"),
                     {"method": "POST", "path": "/service/tickets", "confirmed": "on",
                      "body": '{"summary": "Raw", "company": {"id": 1}}'})  # fmt: skip
    run, sent = ActionRun.objects.get(), ProxyRequest.objects.get()
    assert run.status == "succeeded", run.error
    assert sent.response_status == 201
    for url in [reverse("actions:console"), reverse("actions:runs"),
                reverse("actions:run-detail", args=[run.pk]),
                reverse("actions:detail", args=[action.pk]),
                reverse("api_console:history"), reverse("api_console:detail", args=[sent.pk]),
                reverse("api_console:console") + f"?from={sent.pk}",
                reverse("jobs:list"), reverse("accounts:audit_log")]:  # fmt: skip
        pages.append(console.get(url).content.decode())
    stored = [str(list(ActionRun.objects.values())), str(list(ProxyRequest.objects.values())),
              str(list(AuditEntry.objects.values()))]  # fmt: skip
    everything = "\n".join(pages + stored + [caplog.text])
    for secret in secrets:
        assert secret and secret not in everything
    assert "authorization" not in str(sent.headers).lower()
    assert "authorization" not in str(sent.response_headers).lower()
