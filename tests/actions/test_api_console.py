"""The PSA API console: a request through Membrane's proxy in a job, the PSA's answer shown
readably, paging by the Link header, writes confirmed and audit-logged."""

import pytest
from django.urls import reverse

from psaportal.accounts.models import AuditEntry
from psaportal.actions.models import ProxyRequest

pytestmark = pytest.mark.django_db


def send(console, data, capture, **headers):
    with capture(execute=True):
        return console.post(reverse("api_console:send"), data, **headers)


def answer_page(console, sent) -> str:
    return console.get(reverse("api_console:detail", args=[sent.pk])).content.decode()


def test_a_get_with_conditions_pages_on_by_the_link_header(
    console, django_capture_on_commit_callbacks
):
    data = {"method": "GET", "path": "/service/tickets",
            "conditions": 'status/name != "Closed"', "orderBy": "id asc", "pageSize": "3",
            "fields": "id,summary,status"}  # fmt: skip
    response = send(console, data, django_capture_on_commit_callbacks, HTTP_HX_REQUEST="true")
    sent = ProxyRequest.objects.get()
    assert sent.status == "succeeded", sent.error
    assert sent.response_status == 200
    assert sent.query == [["conditions", 'status/name != "Closed"'], ["orderBy", "id asc"],
                          ["fields", "id,summary,status"], ["pageSize", "3"]]  # fmt: skip
    assert f'id="job-{sent.job_id}"' in response.content.decode()
    fragment = console.get(reverse("api_console:response", args=[sent.pk]),
                           HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "<html" not in fragment
    assert "200 OK" in fragment
    assert "Next page" in fragment and "<dt>link</dt>" in fragment
    assert fragment.count("<tr>") == 1 + 3  # a table of the three tickets

    with django_capture_on_commit_callbacks(execute=True):
        console.post(reverse("api_console:follow", args=[sent.pk]), {"rel": "next"})
    following = ProxyRequest.objects.exclude(pk=sent.pk).get()
    assert following.method == "GET" and following.path == "/service/tickets"
    assert ["page", "2"] in following.query
    assert ["conditions", 'status/name != "Closed"'] in following.query
    first_ids = [row["id"] for row in __import__("json").loads(sent.response_body)]
    next_ids = [row["id"] for row in __import__("json").loads(following.response_body)]
    assert min(next_ids) > max(first_ids)


def test_a_patch_asks_for_confirmation_then_is_sent_and_audited(
    console, django_capture_on_commit_callbacks, membrane_client, ready_connection
):
    ticket = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 1}
    ).json()[0]
    path = f"/service/tickets/{ticket['id']}"
    body = '[{"op": "replace", "path": "summary", "value": "Renamed from the console"}]'
    data = {"method": "PATCH", "path": path, "body": body}
    asked = send(console, data, django_capture_on_commit_callbacks).content.decode()
    assert f"Send PATCH {path}?" in asked
    assert f"Yes, send PATCH {path}" in asked
    assert not ProxyRequest.objects.exists() and not AuditEntry.objects.exists()

    send(console, data | {"confirmed": "on"}, django_capture_on_commit_callbacks)
    sent = ProxyRequest.objects.get()
    assert sent.response_status == 200, sent.response_body
    live = membrane_client.proxy(ready_connection["id"], "GET", path).json()
    assert live["summary"] == "Renamed from the console"
    entry = AuditEntry.objects.get()
    assert entry.action == "psa_api.request" and entry.summary.startswith(f"PATCH {path}")
    assert entry.after["body"] == [
        {"op": "replace", "path": "summary", "value": "Renamed from the console"}
    ]


def test_a_get_is_not_audited_and_needs_no_confirmation(
    console, django_capture_on_commit_callbacks
):
    send(console, {"method": "GET", "path": "/service/priorities"},
         django_capture_on_commit_callbacks)  # fmt: skip
    assert ProxyRequest.objects.get().response_status == 200
    assert not AuditEntry.objects.exists()


def test_a_400_is_shown_with_the_psas_message(console, django_capture_on_commit_callbacks):
    send(console, {"method": "GET", "path": "/service/tickets", "conditions": "summary ==="},
         django_capture_on_commit_callbacks)  # fmt: skip
    sent = ProxyRequest.objects.get()
    assert sent.status == "succeeded" and sent.response_status == 400
    page = answer_page(console, sent)
    assert "400 Bad Request" in page
    assert "ConnectWise PSA rejected the request." in page


def test_a_404_is_shown_readably(console, django_capture_on_commit_callbacks):
    send(console, {"method": "GET", "path": "/service/tickets/99999999"},
         django_capture_on_commit_callbacks)  # fmt: skip
    page = answer_page(console, ProxyRequest.objects.get())
    assert "404 Not Found" in page
    assert "ConnectWise PSA has nothing at /service/tickets/99999999" in page


def test_a_429_is_shown_with_when_to_try_again(
    console, django_capture_on_commit_callbacks, sandbox_faults
):
    sandbox_faults(psa_rate_limit_per_minute=1)
    for _ in range(2):
        send(console, {"method": "GET", "path": "/service/priorities"},
             django_capture_on_commit_callbacks)  # fmt: skip
    throttled = ProxyRequest.objects.order_by("pk").last()
    assert throttled.response_status == 429
    page = answer_page(console, throttled)
    assert "429 Too Many Requests" in page
    assert "ConnectWise PSA is throttling requests. Send it again after" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "GET", "path": "/service/../system/members"}, "Use a path like"),
        ({"method": "GET", "path": "https://evil.example/x"}, "full addresses are only"),
        ({"method": "GET", "path": "/service/tickets", "body": "{}"}, "carries no body"),
        ({"method": "POST", "path": "/service/tickets", "body": "{nope"}, "not valid JSON"),
        ({"method": "GET", "path": "/service/tickets", "pageSize": "5000"}, "less than or equal"),
        ({"method": "TRACE", "path": "/service/tickets"}, "Select a valid choice"),
        ({"method": "GET", "path": "/x", "params": "no-equals-sign"}, "name=value"),
    ],
)
def test_bad_input_is_shown_on_the_form(console, data, message):
    response = console.post(reverse("api_console:send"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProxyRequest.objects.exists()


def test_an_authorization_header_is_refused_and_not_shown_again(console):
    secret = "Basic c2VjcmV0LXZhbHVlLW5vdC10by1zaG93"
    response = console.post(
        reverse("api_console:send"),
        {"method": "GET", "path": "/service/tickets",
         "headers": f"Authorization: {secret}\npagination-type: forward-only"},
    )  # fmt: skip
    body = response.content.decode()
    assert "Removed, not sent: Authorization (Membrane adds the PSA&#x27;s credentials" in body
    assert secret not in body and "c2VjcmV0" not in body
    assert "pagination-type: forward-only" in body
    assert not ProxyRequest.objects.exists()


def test_a_full_psa_url_is_read_as_its_path_and_query(console, django_capture_on_commit_callbacks):
    url = "https://sandbox-psa.invalid/v4_6_release/apis/3.0/service/tickets?page=2&pageSize=2"
    send(console, {"method": "GET", "path": url}, django_capture_on_commit_callbacks)
    sent = ProxyRequest.objects.get()
    assert sent.path == "/service/tickets"
    assert sent.query == [["page", "2"], ["pageSize", "2"]]
