"""Connections over real HTTP: ensure, long-poll, the consent pages, and every state."""

import time

import httpx
import pytest

from psaportal.membrane import BadRequestError, NotFoundError

APP_URL = "https://www.connectwise.com/platform/business-management/psa"
DOCUMENTED_FIELDS = {
    "id", "name", "key", "state", "connected", "disconnected", "isDefunct", "errors",
    "integrationId", "connectorId", "externalAppId", "createdAt", "updatedAt", "retryAttempts",
}  # fmt: skip
#: What membrane-api.md calls an error body; connection errors carry the same shape.
ERROR_BODY_FIELDS = {"type", "key", "message", "data"}


def ensure_and_wait(client):
    """Ensure the connection, then long-poll until it asks the person to act."""
    connection = client.ensure_connection(app_url=APP_URL)
    connection = client.get_connection(connection["id"], wait=True, timeout=10)
    assert connection["state"] == "CLIENT_ACTION_REQUIRED", connection
    return connection


def submit(ui_url, step, data=None):
    """What the person's browser does: POST the form, follow the redirect."""
    return httpx.post(f"{ui_url}/{step}", data=data, follow_redirects=True)


def test_ensure_creates_a_building_connection_with_all_fields(clean_sandbox, membrane_client):
    connection = membrane_client.ensure_connection(app_url=APP_URL, name="Our PSA")
    assert connection["state"] == "BUILDING"
    assert connection["buildingAgentSessionId"]
    assert "clientAction" not in connection
    assert DOCUMENTED_FIELDS <= connection.keys()
    # No retry is scheduled; the SDK's schema has the field as an optional string, not null.
    assert "nextRetryTimestamp" not in connection
    assert connection["name"] == "Our PSA"
    assert connection["connected"] is False and connection["disconnected"] is True


def test_ensure_finds_the_existing_connection(clean_sandbox, membrane_client):
    first = membrane_client.ensure_connection(app_url=APP_URL)
    again = membrane_client.ensure_connection(app_url="myconnectwise.net")
    assert again["id"] == first["id"]


@pytest.mark.parametrize("app_url", ["", "not a url", "https://10.0.0.1/psa", "localhost"])
def test_ensure_needs_a_domain(clean_sandbox, membrane_client, app_url):
    with pytest.raises(BadRequestError) as caught:
        membrane_client.ensure_connection(app_url=app_url)
    assert caught.value.status == 400 and caught.value.type == "bad_request"


def test_ensure_refuses_apps_the_sandbox_does_not_simulate(clean_sandbox, membrane_client):
    with pytest.raises(BadRequestError, match="only simulates ConnectWise"):
        membrane_client.ensure_connection(app_url="https://www.hubspot.com")


def test_long_poll_returns_as_soon_as_building_ends(clean_sandbox):
    clean_sandbox.set_settings(build_seconds=0.5)
    headers = {"Authorization": f"Bearer {clean_sandbox.token}"}
    # The read timeout (15 s) is far below the poll's own (60 s): only an answer given when
    # building ends arrives in time.
    with httpx.Client(base_url=clean_sandbox.url, headers=headers, timeout=15) as http:
        connection = http.post("/connections/ensure", json={"appUrl": APP_URL}).json()
        assert connection["state"] == "BUILDING"
        waited = http.get(
            f"/connections/{connection['id']}", params={"wait": "true", "timeout": 60}
        ).json()
    assert waited["state"] == "CLIENT_ACTION_REQUIRED"
    assert "buildingAgentSessionId" not in waited and waited["clientAction"]["uiUrl"]


def test_long_poll_returns_after_its_timeout_while_still_building(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(build_seconds=120)
    connection = membrane_client.ensure_connection(app_url=APP_URL)
    started = time.monotonic()
    # The client allows the poll's timeout plus a grace period, not the 120 s build.
    connection = membrane_client.get_connection(connection["id"], wait=True, timeout=1)
    assert connection["state"] == "BUILDING" and connection["buildingAgentSessionId"]
    assert time.monotonic() - started >= 1  # it did wait


def test_without_wait_the_state_is_answered_at_once(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(build_seconds=120)
    connection = membrane_client.ensure_connection(app_url=APP_URL)
    assert membrane_client.get_connection(connection["id"])["state"] == "BUILDING"


@pytest.mark.parametrize("timeout", [0, 61])
def test_long_poll_timeout_must_be_1_to_60(clean_sandbox, membrane_client, timeout):
    connection = membrane_client.ensure_connection(app_url=APP_URL)
    with pytest.raises(BadRequestError, match="timeout"):
        membrane_client.get_connection(connection["id"], wait=True, timeout=timeout)


def test_authorize_on_the_consent_page_makes_the_connection_ready(clean_sandbox, membrane_client):
    connection = ensure_and_wait(membrane_client)
    action = connection["clientAction"]
    assert action["type"] == "connect"
    assert action["description"] and action["agentInstructions"]
    assert action["uiUrl"] == f"{clean_sandbox.url}/ui/connect/{connection['id']}"

    page = httpx.get(action["uiUrl"])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'action="/ui/connect/' in page.text and ">Authorize</button>" in page.text
    assert submit(action["uiUrl"], "authorize").status_code == 200

    connection = membrane_client.get_connection(connection["id"])
    assert connection["state"] == "READY"
    assert connection["connected"] is True and connection["isDefunct"] is False
    assert "clientAction" not in connection and connection["lastActiveAt"]


def test_deny_on_the_consent_page_fails_the_setup(clean_sandbox, membrane_client):
    connection = ensure_and_wait(membrane_client)
    submit(connection["clientAction"]["uiUrl"], "deny")
    connection = membrane_client.get_connection(connection["id"])
    assert connection["state"] == "SETUP_FAILED"
    assert connection["errors"][0]["key"] == "access_denied"
    assert connection["errors"][0]["message"]
    assert connection["errors"][0].keys() == ERROR_BODY_FIELDS
    assert connection["requestError"] == connection["errors"][0]
    assert "clientAction" not in connection


def test_ensure_after_a_failed_setup_asks_again(clean_sandbox, membrane_client):
    connection = ensure_and_wait(membrane_client)
    submit(connection["clientAction"]["uiUrl"], "deny")
    again = membrane_client.ensure_connection(app_url=APP_URL)
    assert again["state"] == "CLIENT_ACTION_REQUIRED" and again["retryAttempts"] == 1


def test_provide_input_asks_for_site_and_company_then_connects(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(connect_flow="provide-input")
    connection = ensure_and_wait(membrane_client)
    action = connection["clientAction"]
    assert action["type"] == "provide-input"
    assert 'name="site"' in httpx.get(action["uiUrl"]).text

    refused = submit(action["uiUrl"], "input", {"site": "not a site", "company_id": "acme"})
    assert refused.status_code == 400 and "valid domain" in refused.text

    submit(action["uiUrl"], "input", {"site": "api-na.myconnectwise.net", "company_id": "acme"})
    connection = membrane_client.get_connection(connection["id"])
    assert connection["clientAction"]["type"] == "connect"
    assert connection["connectorParameters"] == {
        "site": "api-na.myconnectwise.net",
        "companyId": "acme",
    }
    submit(action["uiUrl"], "authorize")
    assert membrane_client.get_connection(connection["id"])["state"] == "READY"


def test_disconnect_and_reconnect(clean_sandbox, membrane_client, ready_connection):
    clean_sandbox.connection_step(ready_connection["id"], "disconnect")
    connection = membrane_client.get_connection(ready_connection["id"])
    assert connection["state"] == "CLIENT_ACTION_REQUIRED"
    assert connection["connected"] is False and connection["isDefunct"] is True
    assert connection["clientAction"]["type"] == "connect"
    assert "Reconnect" in connection["clientAction"]["description"]
    assert [error.keys() for error in connection["errors"]] == [ERROR_BODY_FIELDS]

    submit(connection["clientAction"]["uiUrl"], "authorize")
    connection = membrane_client.get_connection(ready_connection["id"])
    assert connection["state"] == "READY" and connection["errors"] == []


def test_list_follows_the_cursor(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(build_seconds=0)
    for index in range(5):
        request = membrane_client.create_connection_request(
            integrationKey="connectwise-psa", name=f"PSA {index}"
        )
        submit(request["url"], "authorize")
    names = [connection["name"] for connection in membrane_client.list_connections(limit=2)]
    assert sorted(names) == [f"PSA {index}" for index in range(5)]


def test_update_rename(clean_sandbox, membrane_client, ready_connection):
    updated = membrane_client.update_connection(ready_connection["id"], name="Main PSA")
    assert updated["name"] == "Main PSA"
    with pytest.raises(BadRequestError, match="Cannot change state"):
        membrane_client.update_connection(ready_connection["id"], state="READY")


def test_archive_hides_the_connection(clean_sandbox, membrane_client, ready_connection):
    assert membrane_client.archive_connection(ready_connection["id"]) is None
    assert list(membrane_client.list_connections()) == []
    assert membrane_client.get_connection(ready_connection["id"])["archivedAt"]
    archived = list(membrane_client.list_connections(includeArchived=True))
    assert [connection["id"] for connection in archived] == [ready_connection["id"]]


def test_refresh_credentials(clean_sandbox, membrane_client, ready_connection):
    refreshed = membrane_client.refresh_credentials(ready_connection["id"])
    assert refreshed["state"] == "READY"


def test_unknown_connection_is_not_found(clean_sandbox, membrane_client):
    with pytest.raises(NotFoundError, match="was not found"):
        membrane_client.get_connection("nope")


def test_connection_request_to_reconnect(clean_sandbox, membrane_client, ready_connection):
    clean_sandbox.connection_step(ready_connection["id"], "disconnect")
    request = membrane_client.create_connection_request(connectionId=ready_connection["id"])
    assert request["status"] == "pending" and request["url"].startswith(clean_sandbox.url)
    submit(request["url"], "authorize")
    request = membrane_client.get_connection_request(request["requestId"])
    assert request["status"] == "success"
    assert request["resultConnectionId"] == ready_connection["id"]
    assert membrane_client.get_connection(ready_connection["id"])["state"] == "READY"


def test_connection_request_denied(clean_sandbox, membrane_client):
    request = membrane_client.create_connection_request(integrationKey="connectwise-psa")
    submit(request["url"], "deny")
    request = membrane_client.get_connection_request(request["requestId"])
    assert request["status"] == "cancelled" and request["resultError"]["message"]
    assert request["resultError"].keys() == ERROR_BODY_FIELDS


def test_connection_request_needs_a_target(clean_sandbox, membrane_client):
    with pytest.raises(BadRequestError, match="connectorId"):
        membrane_client.create_connection_request(name="x")


def test_refresh_credentials_needs_a_ready_connection(clean_sandbox, membrane_client):
    connection = ensure_and_wait(membrane_client)
    with pytest.raises(BadRequestError) as caught:
        membrane_client.refresh_credentials(connection["id"])
    assert caught.value.type == "connection" and caught.value.key == "connection_not_ready"


def test_an_archived_connection_cannot_reach_the_psa(
    clean_sandbox, membrane_client, ready_connection
):
    membrane_client.archive_connection(ready_connection["id"])
    with pytest.raises(BadRequestError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    assert caught.value.key == "connection_is_archived"
    fresh = membrane_client.ensure_connection(app_url=APP_URL)
    assert fresh["id"] != ready_connection["id"] and fresh["state"] == "BUILDING"


def test_deny_in_the_provide_input_flow(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(connect_flow="provide-input")
    connection = ensure_and_wait(membrane_client)
    submit(connection["clientAction"]["uiUrl"], "deny")
    assert membrane_client.get_connection(connection["id"])["state"] == "SETUP_FAILED"


def test_the_consent_page_after_the_decision(clean_sandbox, membrane_client):
    connection = ensure_and_wait(membrane_client)
    ui_url = connection["clientAction"]["uiUrl"]
    submit(ui_url, "authorize")
    page = httpx.get(ui_url)
    assert page.status_code == 200 and "is connected" in page.text
    again = submit(ui_url, "authorize")
    assert again.status_code == 400 and "nothing to authorize" in again.text
    assert httpx.get(f"{clean_sandbox.url}/ui/connect/nope").status_code == 404


def test_a_connection_request_for_a_new_connection(clean_sandbox, membrane_client):
    request = membrane_client.create_connection_request(
        connectorId=membrane_client_connector_id(clean_sandbox, membrane_client), name="Via request"
    )
    assert request["status"] == "pending" and "resultConnectionId" not in request
    assert ">Authorize</button>" in httpx.get(request["url"]).text
    submit(request["url"], "authorize")
    request = membrane_client.get_connection_request(request["requestId"])
    connection = membrane_client.get_connection(request["resultConnectionId"])
    assert connection["state"] == "READY" and connection["name"] == "Via request"
    assert "is connected" in httpx.get(request["url"]).text


def membrane_client_connector_id(sandbox, client):
    """The connector id as a client learns it: from a connection the sandbox made."""
    sandbox.set_settings(build_seconds=0)
    probe = client.ensure_connection(app_url=APP_URL)
    connector_id = probe["connectorId"]
    client.archive_connection(probe["id"])
    return connector_id


@pytest.mark.parametrize(
    "body",
    [
        {"integrationKey": "hubspot"},
        {"integrationKey": "connectwise-psa", "colour": "red"},
        {"connectionId": "nope"},
    ],
)
def test_connection_request_validation(clean_sandbox, membrane_client, body):
    with pytest.raises((BadRequestError, NotFoundError)):
        membrane_client.create_connection_request(**body)


def test_unknown_connection_request_is_not_found(clean_sandbox, membrane_client):
    with pytest.raises(NotFoundError):
        membrane_client.get_connection_request("nope")
