"""Validating PSA writes: build_record (POST/PUT bodies) and apply_patch (JSON Patch).

The record store is a real, small PsaSimulator (SQLite), so references resolve against
seeded records the way they do behind the sandbox's proxy.
"""

import json

import pytest

from psaportal.sandbox.psa import PsaSimulator, SeedScale
from psaportal.sandbox.psa.errors import PsaError
from psaportal.sandbox.psa.records import API_MEMBER, apply_patch, build_record
from psaportal.sandbox.psa.schema import KINDS, status_id

TICKET, COMPANY, CONTACT = KINDS["ticket"], KINDS["company"], KINDS["contact"]
TIME_ENTRY = KINDS["timeEntry"]
SMALL = SeedScale(
    members=4,
    companies=6,
    contacts=12,
    tickets=20,
    projects=3,
    opportunities=3,
    time_entries=10,
    products=5,
    expense_entries=5,
    configurations=5,
)


@pytest.fixture(scope="module")
def psa():
    simulator = PsaSimulator(SMALL)
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def company(psa):
    return psa.fetch("company", 1)


def invalid(call, *args, **kwargs):
    """The InvalidObject error a call raises, as {field: message}."""
    with pytest.raises(PsaError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert (error.status, error.code) == (400, "InvalidObject")
    return error


def field_errors(error):
    return {item["field"]: item["message"] for item in error.errors}


def new_ticket(psa, company, **fields):
    return build_record(psa, TICKET, {"summary": "Printer jammed", "company": {"id": 1}, **fields})


# ------------------------------------------------------------------ create: tickets


def test_a_minimal_ticket_gets_connectwise_defaults(psa, company):
    ticket = new_ticket(psa, company)
    assert ticket["summary"] == "Printer jammed"
    assert ticket["recordType"] == "ServiceTicket"
    assert (ticket["board"]["id"], ticket["board"]["name"]) == (1, "Service Desk")
    assert (ticket["status"]["id"], ticket["status"]["name"]) == (status_id(1, 0), "New")
    assert ticket["priority"]["id"] == 3
    assert ticket["closedFlag"] is False and "closedDate" not in ticket
    assert "id" not in ticket and "_info" not in ticket


def test_references_are_filled_in_from_the_stored_record(psa, company):
    ticket = new_ticket(psa, company)
    assert ticket["company"]["identifier"] == company["identifier"]
    assert ticket["company"]["name"] == company["name"]
    assert ticket["company"]["_info"]["company_href"].endswith("/company/companies/1")


def test_fields_follow_the_schema_order(psa, company):
    ticket = build_record(
        psa, TICKET, {"budgetHours": 2, "company": {"id": 1}, "summary": "Order matters"}
    )
    order = list(TICKET.fields)
    assert list(ticket) == sorted(ticket, key=order.index)


@pytest.mark.parametrize(
    "reference",
    [{"identifier": "OakridgeDentalGroup"}, {"identifier": "oakridgedentalgroup"}, {"id": 1}],
)
def test_company_by_id_or_identifier(psa, reference):
    ticket = build_record(psa, TICKET, {"summary": "x", "company": reference})
    assert ticket["company"]["id"] == 1


def test_lookups_resolve_by_name(psa):
    ticket = build_record(
        psa,
        TICKET,
        {"summary": "x", "company": {"id": 1}, "type": {"name": "problem"}, "item": {"id": 2}},
    )
    assert ticket["type"]["id"] == 3 and ticket["type"]["name"] == "Problem"
    assert ticket["item"]["name"] == "Server"


def test_keys_are_case_insensitive_and_nulls_are_skipped(psa):
    ticket = build_record(psa, TICKET, {"Summary": "x", "COMPANY": {"id": 1}, "budgetHours": None})
    assert ticket["summary"] == "x" and "budgetHours" not in ticket


def test_read_only_and_write_only_fields_are_not_stored(psa):
    ticket = build_record(
        psa,
        TICKET,
        {
            "id": 999,
            "_info": {"lastUpdated": "2000-01-01T00:00:00Z"},
            "summary": "x",
            "company": {"id": 1},
            "initialDescription": "First note",
        },
    )
    assert "id" not in ticket and "_info" not in ticket and "initialDescription" not in ticket


def test_choices_are_normalised_and_dates_become_utc(psa):
    ticket = new_ticket(
        psa, None, severity="high", impact="LOW", requiredDate="2026-03-01T09:30:00+01:00"
    )
    assert (ticket["severity"], ticket["impact"]) == ("High", "Low")
    assert ticket["requiredDate"] == "2026-03-01T08:30:00Z"


def test_integers_are_accepted_for_decimal_fields(psa):
    assert new_ticket(psa, None, budgetHours=3)["budgetHours"] == 3.0


def test_missing_required_fields_are_all_reported(psa):
    error = invalid(build_record, psa, TICKET, {})
    errors = field_errors(error)
    assert set(errors) == {"summary", "company"}
    assert {item["code"] for item in error.errors} == {"NullObject"}
    assert all(item["resource"] == "ticket" for item in error.errors)
    assert error.message.startswith("ticket object is invalid")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"summary": ""}, "summary", "cannot be null"),
        ({"summary": 5}, "summary", "must be a string"),
        ({"summary": "x" * 101}, "summary", "too long (101 characters, at most 100)"),
        ({"budgetHours": "two"}, "budgetHours", "must be a number"),
        ({"budgetHours": True}, "budgetHours", "must be a number"),
        ({"closedFlag": "yes"}, "closedFlag", "must be true or false"),
        ({"requiredDate": "tomorrow"}, "requiredDate", "ISO-8601"),
        ({"requiredDate": 20260101}, "requiredDate", "ISO-8601"),
        ({"severity": "Extreme"}, "severity", "must be one of Low, Medium, High"),
        ({"company": {"id": 99_999}}, "company", "id 99999 was not found"),
        ({"company": {"identifier": "NoSuchCo"}}, "company", "identifier 'NoSuchCo' was not found"),
        ({"company": 1}, "company", 'must be an object like {"id": 1}'),
        ({"company": {"id": "1"}}, "company", "company/id must be a whole number"),
        ({"company": {"id": True}}, "company", "company/id must be a whole number"),
        ({"company": {}}, "company", "needs an id"),
        ({"owner": {"id": 999}}, "owner", "was not found"),
        ({"type": {"name": "Nope"}}, "type", "'Nope' was not found"),
        ({"priority": {"id": 42}}, "priority", "was not found"),
        ({"board": {"id": 99}}, "board", "was not found"),
        ({"nonsense": 1}, "nonsense", "is not a field of ticket"),
        ({"status": {"name": "Sleeping"}}, "status", "'Sleeping' was not found"),
        ({"customFields": [{"caption": "x", "colour": "red"}]}, "customFields/0/colour", "known"),
        ({"customFields": {"caption": "x"}}, "customFields", "must be a list"),
    ],
)
def test_field_errors(psa, fields, field, message):
    body = {"summary": "Printer jammed", "company": {"id": 1}, **fields}
    errors = field_errors(invalid(build_record, psa, TICKET, body))
    assert field in errors, errors
    assert message in errors[field]


def test_several_bad_fields_are_reported_together(psa):
    error = invalid(
        build_record,
        psa,
        TICKET,
        {"summary": 1, "company": {"id": 99_999}, "budgetHours": "x", "bogus": True},
    )
    assert set(field_errors(error)) == {"summary", "company", "budgetHours", "bogus"}


def test_a_body_that_is_not_an_object_is_invalid(psa):
    error = invalid(build_record, psa, TICKET, ["summary"])
    assert "must be a JSON object" in error.message


# ------------------------------------------------------------------ tickets: status rules


def test_status_by_name_follows_the_board_and_closes_the_ticket(psa):
    ticket = new_ticket(psa, None, board={"id": 2}, status={"name": "closed"})
    assert ticket["status"]["id"] == status_id(2, 5)
    assert ticket["closedFlag"] is True
    assert ticket["closedDate"] == ticket["dateResolved"]
    assert ticket["closedBy"] == API_MEMBER


def test_a_status_of_another_board_is_refused(psa):
    errors = field_errors(
        invalid(new_ticket, psa, None, board={"id": 1}, status={"id": status_id(2, 0)})
    )
    assert "does not belong to board 1" in errors["status"]


def test_closed_flag_alone_moves_the_status(psa):
    opened = new_ticket(psa, None)
    closed = build_record(psa, TICKET, {**opened, "closedFlag": True}, existing=opened)
    assert closed["status"]["name"] == "Closed" and closed["closedFlag"] is True
    reopened = build_record(psa, TICKET, {**closed, "closedFlag": False}, existing=closed)
    assert reopened["status"]["name"] == "In Progress" and reopened["closedFlag"] is False
    assert "closedDate" not in reopened and "closedBy" not in reopened


def test_moving_board_keeps_the_status_name(psa):
    existing = new_ticket(psa, None, status={"name": "Waiting on Client"})
    moved = build_record(psa, TICKET, {**existing, "board": {"id": 3}}, existing=existing)
    assert moved["status"]["id"] == status_id(3, 2)
    assert moved["status"]["name"] == "Waiting on Client"


def test_contact_name_comes_from_the_contact(psa):
    contact = psa.fetch("contact", 1)
    ticket = new_ticket(psa, None, contact={"id": 1})
    assert ticket["contactName"] == f"{contact['firstName']} {contact['lastName']}"


# ------------------------------------------------------------------ other kinds


def test_company_defaults_and_identifier_rules(psa, company):
    created = build_record(psa, COMPANY, {"identifier": "NewCo", "name": "New Co"})
    assert created["status"]["name"] == "Active"
    assert [kind["name"] for kind in created["types"]] == ["Client"]
    assert created["deletedFlag"] is False

    taken = field_errors(
        invalid(build_record, psa, COMPANY, {"identifier": company["identifier"], "name": "x"})
    )
    assert "already in use" in taken["identifier"]
    spaced = field_errors(invalid(build_record, psa, COMPANY, {"identifier": "a b", "name": "x"}))
    assert "spaces" in spaced["identifier"]


def test_a_company_keeps_its_own_identifier_on_put(psa, company):
    body = {"identifier": company["identifier"], "name": "Renamed"}
    assert build_record(psa, COMPANY, body, existing=company)["name"] == "Renamed"


def test_company_types_are_references(psa):
    created = build_record(
        psa, COMPANY, {"identifier": "T2", "name": "T", "types": [{"id": 2}, {"name": "vendor"}]}
    )
    assert [kind["name"] for kind in created["types"]] == ["Prospect", "Vendor"]
    errors = field_errors(
        invalid(build_record, psa, COMPANY, {"identifier": "T3", "name": "T", "types": [{"id": 9}]})
    )
    assert "types/0" in errors


def test_contact_communication_items(psa):
    contact = build_record(
        psa,
        CONTACT,
        {
            "firstName": "Ann",
            "company": {"id": 1},
            "communicationItems": [
                {"type": {"name": "Email"}, "value": "ann@example.com", "defaultFlag": True},
                {"type": {"id": 3}, "value": "555-0100"},
            ],
        },
    )
    email, cell = contact["communicationItems"]
    assert (email["communicationType"], cell["communicationType"]) == ("Email", "Phone")
    assert cell["defaultFlag"] is False and {email["id"], cell["id"]} == {1, 2}
    assert contact["inactiveFlag"] is False


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"type": {"name": "Email"}, "value": "not-an-address"}, "/value", "not an email"),
        ({"value": "x@y.z"}, "/type", "cannot be null"),
        ({"type": {"id": 1}}, "/value", "cannot be empty"),
        ({"type": {"id": 1}, "value": "a@b.c", "color": "red"}, "/color", "not a known field"),
    ],
)
def test_contact_communication_item_errors(psa, item, field, message):
    body = {"firstName": "Ann", "communicationItems": [item]}
    errors = field_errors(invalid(build_record, psa, CONTACT, body))
    assert message in errors[f"communicationItems/0{field}"]


def test_time_entry_charged_to_a_ticket(psa):
    ticket = psa.fetch("ticket", 5)
    entry = build_record(
        psa,
        TIME_ENTRY,
        {
            "chargeToId": 5,
            "member": {"identifier": "adavis"},
            "timeStart": "2026-01-05T09:00:00Z",
            "timeEnd": "2026-01-05T10:30:00Z",
        },
    )
    assert entry["chargeToType"] == "ServiceTicket"
    assert entry["ticket"]["id"] == 5 and entry["ticket"]["summary"] == ticket["summary"]
    assert entry["company"]["id"] == ticket["company"]["id"]
    assert entry["actualHours"] == 1.5 and entry["hoursBilled"] == 1.5
    assert (entry["billableOption"], entry["status"]) == ("Billable", "Open")


def test_time_entry_that_is_not_billed(psa):
    entry = build_record(
        psa,
        TIME_ENTRY,
        {
            "company": {"id": 1},
            "chargeToType": "Activity",
            "member": {"id": 1},
            "timeStart": "2026-01-05T09:00:00Z",
            "timeEnd": "2026-01-05T09:15:00Z",
            "billableOption": "nocharge",
        },
    )
    assert entry["billableOption"] == "NoCharge"
    assert (entry["actualHours"], entry["hoursBilled"]) == (0.25, 0.0)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"timeEnd": "2026-01-05T08:00:00Z"}, "timeEnd", "must not be before timeStart"),
        ({"chargeToId": 99_999}, "chargeToId", "ticket 99999 was not found"),
        ({"member": None}, "member", "cannot be null"),
        ({"timeStart": None}, "timeStart", "cannot be null"),
        ({"chargeToType": "Lunch"}, "chargeToType", "must be one of"),
    ],
)
def test_time_entry_errors(psa, fields, field, message):
    body = {
        "chargeToId": 5,
        "member": {"id": 1},
        "timeStart": "2026-01-05T09:00:00Z",
        "timeEnd": "2026-01-05T10:00:00Z",
        **fields,
    }
    errors = field_errors(invalid(build_record, psa, TIME_ENTRY, body))
    assert message in errors[field], errors


# ------------------------------------------------------------------ JSON Patch


@pytest.fixture
def ticket(psa):
    return {"id": 7, **new_ticket(psa, None, budgetHours=2), "_info": {"lastUpdated": "x"}}


@pytest.mark.parametrize("path", ["summary", "/summary", "SUMMARY"])
def test_replace_with_or_without_a_leading_slash(ticket, path):
    patched = apply_patch(TICKET, ticket, [{"op": "replace", "path": path, "value": "New"}])
    assert patched["summary"] == "New"


def test_patch_works_on_a_copy(ticket):
    before = json.dumps(ticket, sort_keys=True)
    apply_patch(TICKET, ticket, [{"op": "remove", "path": "budgetHours"}])
    assert json.dumps(ticket, sort_keys=True) == before


def test_add_replace_remove_in_one_patch(ticket):
    patched = apply_patch(
        TICKET,
        ticket,
        [
            {"op": "add", "path": "severity", "value": "High"},
            {"op": "Replace", "path": "summary", "value": "Renamed"},
            {"op": "remove", "path": "budgetHours"},
        ],
    )
    assert patched["severity"] == "High" and patched["summary"] == "Renamed"
    assert "budgetHours" not in patched


def test_reference_members_set_the_reference(psa, ticket):
    patched = apply_patch(
        TICKET,
        ticket,
        [
            {"op": "replace", "path": "status/id", "value": status_id(1, 1)},
            {"op": "replace", "path": "company/identifier", "value": "OakridgeDentalGroup"},
        ],
    )
    assert patched["status"] == {"id": status_id(1, 1)}
    assert patched["company"] == {"identifier": "OakridgeDentalGroup"}
    rebuilt = build_record(psa, TICKET, patched, existing=ticket)
    assert rebuilt["status"]["name"] == "In Progress" and rebuilt["company"]["id"] == 1


def test_a_whole_reference_can_be_replaced(psa, ticket):
    patched = apply_patch(
        TICKET, ticket, [{"op": "replace", "path": "status", "value": {"name": "Closed"}}]
    )
    rebuilt = build_record(psa, TICKET, patched, existing=ticket)
    assert rebuilt["closedFlag"] is True


def test_list_items_by_index_and_dash(psa):
    contact = {
        "firstName": "Ann",
        "communicationItems": [
            {"id": 1, "type": {"id": 1}, "value": "a@b.c"},
            {"id": 2, "type": {"id": 3}, "value": "555"},
        ],
    }
    patched = apply_patch(
        CONTACT,
        contact,
        [
            {
                "op": "add",
                "path": "communicationItems/-",
                "value": {"type": {"id": 4}, "value": "9"},
            },
            {"op": "replace", "path": "communicationItems/0/value", "value": "ann@b.c"},
            {"op": "remove", "path": "communicationItems/1"},
            {
                "op": "add",
                "path": "communicationItems/0",
                "value": {"type": {"id": 5}, "value": "1"},
            },
            {"op": "replace", "path": "communicationItems/1/type/id", "value": 2},
        ],
    )
    values = [(item["type"], item["value"]) for item in patched["communicationItems"]]
    assert values == [({"id": 5}, "1"), ({"id": 2}, "ann@b.c"), ({"id": 4}, "9")]
    rebuilt = build_record(psa, CONTACT, patched, existing=contact)
    assert [item["communicationType"] for item in rebuilt["communicationItems"]] == [
        "Phone",
        "Phone",
        "Fax",
    ]


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ([], "non-empty JSON array"),
        ({"op": "replace", "path": "summary", "value": "x"}, "non-empty JSON array"),
        (["replace summary"], "must be an object"),
        (
            [{"op": "move", "from": "a", "path": "summary"}],
            "op must be one of add, replace, remove",
        ),
        ([{"op": "test", "path": "summary", "value": "x"}], "op must be one of"),
        ([{"path": "summary", "value": "x"}], "op must be one of"),
        ([{"op": "replace", "path": "summary"}], "'replace' needs a value"),
        ([{"op": "replace", "path": "", "value": 1}], "path must be a non-empty string"),
        ([{"op": "replace", "path": "/", "value": 1}], "path must be a non-empty string"),
        ([{"op": "replace", "path": 5, "value": 1}], "path must be a non-empty string"),
        ([{"op": "replace", "path": "nope", "value": 1}], "nope is not a field of ticket"),
        ([{"op": "replace", "path": "id", "value": 1}], "id is read-only"),
        ([{"op": "replace", "path": "_info/lastUpdated", "value": "x"}], "_info is read-only"),
        ([{"op": "replace", "path": "summary/text", "value": 1}], "summary has no member 'text'"),
        ([{"op": "replace", "path": "company/city", "value": 1}], "is not a settable path"),
        ([{"op": "replace", "path": "company/id/x", "value": 1}], "is not a settable path"),
        ([{"op": "replace", "path": "customFields/x", "value": 1}], "'x' is not a list index"),
        ([{"op": "replace", "path": "customFields/5", "value": {}}], "index 5 is out of range"),
        ([{"op": "remove", "path": "customFields/0/value"}], "index 0 is out of range"),
        ([{"op": "replace", "path": "customFields/-", "value": {}}], "'-' is not a list index"),
    ],
)
def test_malformed_patches(ticket, operations, message):
    error = invalid(apply_patch, TICKET, {**ticket, "customFields": []}, operations)
    assert message in error.message


def test_an_operation_error_names_its_number_and_field(ticket):
    error = invalid(
        apply_patch,
        TICKET,
        ticket,
        [
            {"op": "replace", "path": "summary", "value": "fine"},
            {"op": "replace", "path": "id", "value": 3},
        ],
    )
    assert error.message.startswith("operation 1:")
    assert error.errors[0]["field"] == "id" and error.errors[0]["resource"] == "ticket"


def test_a_patch_that_breaks_a_rule_fails_validation(psa, ticket):
    patched = apply_patch(TICKET, ticket, [{"op": "remove", "path": "summary"}])
    errors = field_errors(invalid(build_record, psa, TICKET, patched, existing=ticket))
    assert "cannot be null" in errors["summary"]


# ------------------------------------------------------------------ through handle()


def call(psa, method, path, body=None, query=None):
    answer = psa.handle(
        method, path, query=query, body=None if body is None else json.dumps(body).encode()
    )
    return answer.status, json.loads(answer.body) if answer.body else None


def test_create_put_patch_delete_and_last_updated(psa):
    status, created = call(
        psa, "POST", "/service/tickets", {"summary": "Lifecycle", "company": {"id": 2}}
    )
    assert status == 201 and created["id"] > SMALL.tickets
    info = created["_info"]
    assert info["dateEntered"] == info["lastUpdated"] and info["enteredBy"]
    ticket_path = f"/service/tickets/{created['id']}"

    status, patched = call(
        psa, "PATCH", ticket_path, [{"op": "replace", "path": "summary", "value": "Patched"}]
    )
    assert status == 200 and patched["summary"] == "Patched"
    assert patched["_info"]["lastUpdated"] >= info["lastUpdated"]
    assert patched["_info"]["dateEntered"] == info["dateEntered"]

    status, replaced = call(
        psa, "PUT", ticket_path, {"summary": "Put", "company": {"id": 3}, "severity": "Low"}
    )
    assert status == 200 and replaced["company"]["id"] == 3 and replaced["severity"] == "Low"
    assert call(psa, "GET", ticket_path)[1]["summary"] == "Put"

    status, error = call(psa, "PUT", ticket_path, {"company": {"id": 3}})
    assert status == 400 and error["code"] == "InvalidObject"
    assert call(psa, "GET", ticket_path)[1]["summary"] == "Put"  # nothing was stored

    assert call(psa, "DELETE", ticket_path) == (204, None)
    status, missing = call(psa, "GET", ticket_path)
    assert status == 404 and missing["code"] == "NotFound"
    assert call(psa, "DELETE", ticket_path)[0] == 404


@pytest.mark.parametrize(("method", "ticket_id"), [("PATCH", 2), ("PUT", 3)])
def test_every_change_bumps_last_updated(psa, method, ticket_id):
    path = f"/service/tickets/{ticket_id}"
    status, seeded = call(psa, "GET", path)
    assert status == 200 and seeded["_info"]["lastUpdated"] < psa.now_iso()
    if method == "PATCH":
        body = [{"op": "replace", "path": "budgetHours", "value": 9}]
    else:
        body = {key: value for key, value in seeded.items() if key not in ("id", "_info")}
    status, changed = call(psa, method, path, body)
    assert status == 200, changed
    assert changed["_info"]["lastUpdated"] > seeded["_info"]["lastUpdated"]
    assert (
        changed["_info"]["updatedBy"]
        and changed["_info"]["dateEntered"] == seeded["_info"]["dateEntered"]
    )
    listed = call(
        psa,
        "GET",
        "/service/tickets",
        query=[("conditions", f"_info/lastUpdated >= [{changed['_info']['lastUpdated']}]")],
    )[1]
    assert ticket_id in [ticket["id"] for ticket in listed]


@pytest.mark.parametrize(
    ("method", "body", "message"),
    [
        ("POST", None, "body is empty"),
        ("POST", b"{not json", "not valid JSON"),
        ("PATCH", b"[]", "non-empty JSON array"),
    ],
)
def test_unreadable_bodies(psa, method, body, message):
    path = "/service/tickets" if method == "POST" else "/service/tickets/1"
    answer = psa.handle(method, path, body=body)
    assert answer.status == 400 and message in json.loads(answer.body)["message"]


def test_read_only_kinds_refuse_writes(psa):
    status, error = call(psa, "POST", "/service/boards", {"name": "New board"})
    assert status == 405 and "read-only" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "status"),
    [
        ("GET", "/service/tickets/99999", None, None, 404),
        ("GET", "/no/such", None, None, 404),
        ("GET", "/service/tickets", None, [("conditions", "summary =")], 400),
        ("GET", "/service/tickets", None, [("orderBy", "nope")], 400),
        ("POST", "/service/boards", {"name": "New board"}, None, 405),
    ],
)
def test_error_bodies_always_carry_errors(psa, method, path, body, query, status):
    """ConnectWise sends `errors` even when no field is at fault (connectwise-api.md)."""
    answer_status, error = call(psa, method, path, body, query)
    assert answer_status == status
    assert error.keys() == {"code", "message", "errors"} and error["errors"] == []
