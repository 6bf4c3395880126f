"""Action search, lookup and runs over real HTTP."""

import pytest

from psaportal.membrane import ActionRunError, BadRequestError, NotFoundError

ACTION_KEYS = {
    "list-tickets", "list-companies", "list-contacts", "list-projects", "list-opportunities",
    "list-time-entries", "list-products", "list-expense-entries", "list-configurations",
    "get-ticket", "get-company", "get-contact", "get-project", "get-opportunity",
    "get-time-entry", "get-product", "get-expense-entry", "get-configuration",
    "create-ticket", "update-ticket",
}  # fmt: skip


def search(client, connection, intent, limit=10):
    found = client.search_actions(connection_id=connection["id"], intent=intent, limit=limit)
    return [action["key"] for action in found]


def test_the_twenty_actions_with_schemas(membrane_client, ready_connection):
    actions = membrane_client.search_actions(
        connection_id=ready_connection["id"], intent="", limit=100
    )
    assert {action["key"] for action in actions} == ACTION_KEYS
    for action in actions:
        assert action["inputSchema"]["type"] == "object"
        assert action["outputSchema"]["type"] == "object"
        assert action["id"] and action["name"] and action["description"]
        assert action["state"] == "READY"
    list_tickets = next(action for action in actions if action["key"] == "list-tickets")
    assert list_tickets["inputSchema"]["properties"]["pageSize"]["maximum"] == 1000


@pytest.mark.parametrize(
    ("intent", "best"),
    [
        ("find open tickets for a company", "list-tickets"),
        ("log hours", "list-time-entries"),
        ("change ticket status", "update-ticket"),
        ("open a new ticket", "create-ticket"),
        ("get company by id", "get-company"),
        ("which assets does a client have", "list-configurations"),
    ],
)
def test_search_ranks_the_fitting_action_first(membrane_client, ready_connection, intent, best):
    assert search(membrane_client, ready_connection, intent)[0] == best


def test_search_respects_limit(membrane_client, ready_connection):
    assert len(search(membrane_client, ready_connection, "tickets", limit=2)) == 2


@pytest.mark.parametrize("params", [{"intent": "x" * 201}, {"intent": "tickets", "limit": 1001}])
def test_search_validates_intent_and_limit(membrane_client, ready_connection, params):
    with pytest.raises(BadRequestError):
        membrane_client.search_actions(connection_id=ready_connection["id"], **params)


def test_get_action_by_id(membrane_client, ready_connection):
    [found] = membrane_client.search_actions(
        connection_id=ready_connection["id"], intent="list tickets", limit=1
    )
    assert membrane_client.get_action(found["id"])["key"] == "list-tickets"
    with pytest.raises(NotFoundError):
        membrane_client.get_action("no-such-action")


def test_run_list_tickets_with_paging(membrane_client, ready_connection):
    first = membrane_client.run_action(
        "list-tickets", connection_id=ready_connection["id"], input={"pageSize": 2}
    )
    assert first["actionRunId"]
    records = first["output"]["records"]
    assert len(records) == 2 and all("summary" in record for record in records)
    second = membrane_client.run_action(
        "list-tickets",
        connection_id=ready_connection["id"],
        input={"pageSize": 2, "cursor": first["output"]["cursor"]},
    )
    assert {r["id"] for r in second["output"]["records"]}.isdisjoint({r["id"] for r in records})


def test_run_get_ticket(membrane_client, ready_connection):
    listed = membrane_client.run_action(
        "list-tickets", connection_id=ready_connection["id"], input={"pageSize": 1}
    )
    ticket_id = listed["output"]["records"][0]["id"]
    result = membrane_client.run_action(
        "get-ticket", connection_id=ready_connection["id"], input={"id": ticket_id}
    )
    assert result["output"]["id"] == ticket_id


@pytest.mark.parametrize(
    ("action", "action_input", "message"),
    [
        ("list-tickets", {"pageSize": 1001}, "input.pageSize must be at most 1000"),
        ("list-tickets", {"pagesize": 10}, "input.pagesize is not a known field"),
        ("get-ticket", {}, "input.id is required"),
        ("get-ticket", {"id": "12"}, "input.id must be an integer"),
        ("create-ticket", {"summary": "x"}, "input.company is required"),
        ("update-ticket", {"id": 1, "operations": []}, "at least 1 item"),
        ("update-ticket", {"id": 1, "operations": [{"op": "move", "path": "x"}]}, "op must be"),
    ],
)
def test_run_validates_input_against_the_schema(
    membrane_client, ready_connection, action, action_input, message
):
    with pytest.raises(BadRequestError, match=message) as caught:
        membrane_client.run_action(action, connection_id=ready_connection["id"], input=action_input)
    assert caught.value.key == "invalid_input"


def test_missing_record_is_an_action_run_error_with_the_psa_error(
    membrane_client, ready_connection
):
    with pytest.raises(ActionRunError) as caught:
        membrane_client.run_action(
            "get-ticket", connection_id=ready_connection["id"], input={"id": 99_999_999}
        )
    assert caught.value.status == 404 and caught.value.retryable is False
    assert caught.value.psa_error["code"] == "NotFound"


def test_create_and_update_ticket(membrane_client, ready_connection):
    company = membrane_client.run_action(
        "list-companies", connection_id=ready_connection["id"], input={"pageSize": 1}
    )["output"]["records"][0]
    created = membrane_client.run_action(
        "create-ticket",
        connection_id=ready_connection["id"],
        input={"summary": "Printer on fire", "company": {"id": company["id"]}},
    )["output"]
    assert created["summary"] == "Printer on fire" and created["id"]
    updated = membrane_client.run_action(
        "update-ticket",
        connection_id=ready_connection["id"],
        input={
            "id": created["id"],
            "operations": [{"op": "replace", "path": "summary", "value": "Printer fixed"}],
        },
    )["output"]
    assert updated["summary"] == "Printer fixed"


def test_invalid_patch_is_an_action_run_error_with_field_errors(membrane_client, ready_connection):
    listed = membrane_client.run_action(
        "list-tickets", connection_id=ready_connection["id"], input={"pageSize": 1}
    )
    ticket_id = listed["output"]["records"][0]["id"]
    with pytest.raises(ActionRunError) as caught:
        membrane_client.run_action(
            "update-ticket",
            connection_id=ready_connection["id"],
            input={"id": ticket_id, "operations": [{"op": "replace", "path": "summary",
                                                    "value": ""}]},
        )  # fmt: skip
    assert caught.value.status == 400
    assert caught.value.psa_error["code"] == "InvalidObject"


def test_actions_need_a_ready_connection(clean_sandbox, membrane_client):
    clean_sandbox.set_settings(build_seconds=5)
    connection = membrane_client.ensure_connection(app_url="connectwise.com")
    with pytest.raises(BadRequestError) as caught:
        membrane_client.run_action("list-tickets", connection_id=connection["id"], input={})
    assert caught.value.type == "connection" and caught.value.key == "connection_not_ready"


def test_actions_on_a_disconnected_connection_are_defunct(
    clean_sandbox, membrane_client, ready_connection
):
    clean_sandbox.connection_step(ready_connection["id"], "disconnect")
    with pytest.raises(BadRequestError) as caught:
        membrane_client.run_action("list-tickets", connection_id=ready_connection["id"])
    assert caught.value.key == "connection_is_defunct"
