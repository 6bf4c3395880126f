"""Running every ConnectWise action over real HTTP: lists with filters and cursors to the end,
every get-*, and errors from the PSA surfaced as action_run errors."""

import pytest

from psaportal.membrane import ActionRunError, BadRequestError, NotFoundError

KINDS = [
    "ticket", "company", "contact", "project", "opportunity", "time-entry", "product",
    "expense-entry", "configuration",
]  # fmt: skip
LIST_KEYS = {
    "company": "list-companies",
    "opportunity": "list-opportunities",
    "time-entry": "list-time-entries",
    "expense-entry": "list-expense-entries",
}


def list_key(kind):
    return LIST_KEYS.get(kind, f"list-{kind}s")


@pytest.fixture
def run(membrane_client, ready_connection):
    def call(action, **action_input):
        result = membrane_client.run_action(
            action, connection_id=ready_connection["id"], input=action_input
        )
        assert result["actionRunId"]
        return result["output"]

    return call


@pytest.mark.parametrize("kind", KINDS)
def test_list_then_get_every_kind(run, kind):
    listed = run(list_key(kind), pageSize=3)
    assert len(listed["records"]) == 3 and listed["cursor"] == "2"
    first = listed["records"][0]
    assert run(f"get-{kind}", id=first["id"]) == first


def test_a_list_cursor_walks_to_the_last_page(run, membrane_client, ready_connection):
    total = membrane_client.proxy(ready_connection["id"], "GET", "/sales/opportunities/count")
    total = total.json()["count"]
    seen, output, pages = [], run("list-opportunities", pageSize=40), 1
    seen += [record["id"] for record in output["records"]]
    while "cursor" in output:
        output = run("list-opportunities", pageSize=40, cursor=output["cursor"])
        seen += [record["id"] for record in output["records"]]
        pages += 1
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 40)


def test_list_with_conditions_order_and_fields(run):
    output = run(
        "list-tickets",
        conditions="closedFlag = false",
        orderBy="id desc",
        fields="id,closedFlag",
        pageSize=1000,
    )
    records = output["records"]
    assert records and all(
        record == {"id": record["id"], "closedFlag": False} for record in records
    )
    assert [record["id"] for record in records] == sorted(
        (record["id"] for record in records), reverse=True
    )


def test_get_with_fields(run):
    ticket_id = run("list-tickets", pageSize=1)["records"][0]["id"]
    assert set(run("get-ticket", id=ticket_id, fields="id,summary")) == {"id", "summary"}


def test_malformed_conditions_are_an_action_run_error(run):
    with pytest.raises(ActionRunError) as caught:
        run("list-tickets", conditions='summary = "unterminated')
    error = caught.value
    assert error.status == 400 and error.type == "action_run"
    assert error.psa_error["code"] == "BadRequest"
    assert "unterminated string" in error.psa_error["message"]


def test_create_validation_is_an_action_run_error_with_field_errors(run):
    with pytest.raises(ActionRunError) as caught:
        run("create-ticket", summary="x", company={"id": 99_999_999}, owner={"id": 99_999})
    fields = {item["field"] for item in caught.value.psa_error["errors"]}
    assert fields == {"company", "owner"}
    assert caught.value.status == 400 and caught.value.retryable is False


def test_a_bad_cursor_is_invalid_input(run):
    with pytest.raises(BadRequestError) as caught:
        run("list-tickets", cursor="abc")
    assert caught.value.key == "invalid_input"


def test_unknown_actions_and_connections(membrane_client, ready_connection):
    with pytest.raises(NotFoundError):
        membrane_client.run_action("delete-everything", connection_id=ready_connection["id"])
    with pytest.raises(NotFoundError):
        membrane_client.run_action("list-tickets", connection_id="no-such-connection")
    with pytest.raises(NotFoundError):
        membrane_client.search_actions(connection_id="no-such-connection", intent="tickets")


def test_an_action_is_found_by_id_or_key(membrane_client, ready_connection):
    [action] = membrane_client.search_actions(
        connection_id=ready_connection["id"], intent="update a ticket", limit=1
    )
    assert action["key"] == "update-ticket"
    by_id = membrane_client.get_action(action["id"], wait=True, timeout=5)
    assert by_id == membrane_client.get_action("update-ticket")
    assert by_id["inputSchema"]["required"] == ["id", "operations"]


@pytest.fixture
def fresh_psa(sandbox, ready_connection):
    """The PSA's data as seeded (an earlier test may have changed a ticket)."""
    sandbox.reset(connections=False, psa=True)


def test_update_ticket_patches_only_the_given_fields_and_bumps_last_updated(run, fresh_psa):
    [before] = run("list-tickets", pageSize=1, orderBy="id asc")["records"]
    updated = run(
        "update-ticket",
        id=before["id"],
        operations=[{"op": "replace", "path": "summary", "value": "Patched by the action"}],
    )
    assert updated["summary"] == "Patched by the action"
    assert updated["status"] == before["status"] and updated["priority"] == before["priority"]
    assert updated["_info"]["lastUpdated"] > before["_info"]["lastUpdated"]
    assert run("get-ticket", id=before["id"]) == updated


def test_update_ticket_refusals_name_the_field(run, fresh_psa):
    [ticket] = run("list-tickets", pageSize=1, orderBy="id asc")["records"]
    with pytest.raises(ActionRunError) as caught:
        run("update-ticket", id=ticket["id"],
            operations=[{"op": "replace", "path": "status", "value": {"id": 99999}}])  # fmt: skip
    assert caught.value.status == 400 and caught.value.retryable is False
    assert caught.value.psa_error["code"] == "InvalidObject"
    assert [item["field"] for item in caught.value.psa_error["errors"]] == ["status"]
    assert run("get-ticket", id=ticket["id"]) == ticket  # nothing written
    with pytest.raises(ActionRunError) as missing:
        run("update-ticket", id=987654,
            operations=[{"op": "replace", "path": "summary", "value": "x"}])  # fmt: skip
    assert missing.value.status == 404
