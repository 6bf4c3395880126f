"""The request shapes Membrane's official JavaScript SDK (@membranehq/sdk) sends, over real
HTTP: our own client keeps to the documented main forms, so these go out by hand."""

import httpx
import pytest

from psaportal.sandbox.catalog import ACTIONS, INTEGRATION_ID


@pytest.fixture
def call(sandbox):
    def send(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        return httpx.request(method, f"{sandbox.url}{path}", headers=headers, timeout=10, **kwargs)

    return send


def test_find_all_pages_actions_with_limit_1000_from_cursor_0(call, ready_connection):
    response = call("GET", "/actions", params={"limit": 1000, "cursor": "0"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [action["key"] for action in body["items"]] == [action.key for action in ACTIONS]
    assert "cursor" not in body  # one page holds them all


def test_a_limit_above_1000_is_refused(call, ready_connection):
    response = call("GET", "/actions", params={"limit": 1001})
    assert response.status_code == 400
    assert "limit" in response.json()["message"]


def test_action_pages_follow_the_cursor(call, ready_connection):
    path = f"/connections/{ready_connection['id']}/actions"
    first = call("GET", path, params={"limit": 15}).json()
    rest = call("GET", path, params={"limit": 15, "cursor": first["cursor"]}).json()
    keys = [action["key"] for action in first["items"] + rest["items"]]
    assert keys == [action.key for action in ACTIONS] and "cursor" not in rest


def test_a_connections_actions(call, ready_connection):
    response = call("GET", f"/connections/{ready_connection['id']}/actions")
    assert response.status_code == 200, response.text
    keys = {action["key"] for action in response.json()["items"]}
    assert {"list-tickets", "get-ticket", "create-ticket", "update-ticket"} <= keys


def test_actions_of_an_unknown_connection_are_404(call, clean_sandbox):
    response = call("GET", "/connections/nope/actions")
    assert response.status_code == 404 and response.json()["key"] == "not_found"


def test_a_connection_level_run_takes_the_input_as_the_body(call, ready_connection):
    path = f"/connections/{ready_connection['id']}/actions/get-ticket/run"
    response = call("POST", path, json={"id": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["output"]["id"] == 3 and body["actionRunId"]


def test_a_connection_level_run_validates_its_input(call, ready_connection):
    path = f"/connections/{ready_connection['id']}/actions/get-ticket/run"
    response = call("POST", path, json={"input": {"id": 3}})  # the other form's wrapping
    assert response.status_code == 400
    assert response.json()["key"] == "invalid_input"
    not_object = call("POST", path, json=[1, 2])
    assert not_object.status_code == 400 and "JSON object" in not_object.json()["message"]


def test_the_selector_form_runs_an_action_by_key(call, ready_connection):
    params = {
        "key": "list-tickets",
        "integrationId": INTEGRATION_ID,
        "connectionId": ready_connection["id"],
    }
    response = call("POST", "/action/run", params=params, json={"input": {"pageSize": 2}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["output"]["records"]) == 2 and body["actionRunId"]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"integrationId": INTEGRATION_ID}, 400, "Name the action"),
        ({"key": "no-such-action"}, 404, "no-such-action"),
        ({"key": "list-tickets", "integrationId": "elsewhere"}, 404, "elsewhere"),
        ({"key": "list-tickets", "connectionId": None}, 400, "connectionId is required"),
    ],
)
def test_the_selector_form_says_what_is_wrong(call, ready_connection, params, status, words):
    query = {"connectionId": ready_connection["id"], **params}
    query = {name: value for name, value in query.items() if value is not None}
    response = call("POST", "/action/run", params=query, json={"input": {}})
    assert response.status_code == status
    assert words in response.json()["message"]
