"""Every record kind the sandbox serves carries the fields ConnectWise's OpenAPI description
(cw-api.json, 2025.8) marks required on its schema, so clients generated from it can parse
the answers; the references on them lead to records the sandbox also serves.

The lists are kept here, from the spec, on purpose: they are the facts the sandbox is held
to, not read back from the sandbox's own schema.
"""

import json
import re

import pytest

from psaportal.sandbox.psa import PsaSimulator, SeedScale

#: path -> fields the spec's schema lists as required (with the spec's schema name).
REQUIRED = {
    # Ticket
    "/service/tickets": {"summary", "company"},
    # Company
    "/company/companies": {"identifier", "name"},
    # Contact: none in the spec; the server insists on firstName
    "/company/contacts": {"firstName"},
    # Project
    "/project/projects": {
        "name", "board", "company", "billingMethod", "estimatedStart", "estimatedEnd",
    },
    # Opportunity
    "/sales/opportunities": {"name", "primarySalesRep", "company", "contact"},
    # TimeEntry
    "/time/entries": {"timeStart"},
    # ProductItem
    "/procurement/products": {"catalogItem", "billableOption"},
    # ExpenseEntry
    "/expense/entries": {"type", "amount", "date"},
    # Configuration
    "/company/configurations": {"name", "type", "company"},
    # Member: 2025.8's list, and the invoicing options other published versions add
    "/system/members": {
        "identifier", "licenseClass", "firstName", "lastName", "hireDate", "defaultEmail",
        "defaultPhone", "securityRole", "invoicingDisplayOptions",
        "agreementInvoicingDisplayOptions", "invoiceScreenDefaultTabFormat",
    },
    # Board, BoardStatus, Priority
    "/service/boards": {"name", "location", "department"},
    "/service/boards/1/statuses": {"name"},
    "/service/priorities": {"name", "color"},
    # BoardType, BoardSubType, BoardItem, BoardTeam
    "/service/boards/1/types": {"name"},
    "/service/boards/2/subtypes": {"name"},
    "/service/boards/3/items": {"name"},
    "/service/boards/4/teams": {"name", "teamLeader"},
    # ServiceSource, CompanyStatus, CompanyTypeInfo, SystemLocation, Country,
    # MarketDescription, CommunicationType
    "/service/sources": {"name"},
    "/company/companies/statuses": {"name"},
    "/company/companies/types": {"name"},
    "/system/locations": {"name"},
    "/company/countries": {"name"},
    "/company/marketDescriptions": {"name"},
    "/company/communicationTypes": {"description"},
    # ProjectBoard, ProjectStatus, ProjectType
    "/project/boards": {"name", "location", "department"},
    "/project/statuses": {"name"},
    "/project/projectTypes": {"name"},
    # SalesStage, OpportunityStatus, SalesProbability, OpportunityType
    "/sales/stages": {"name"},
    "/sales/opportunities/statuses": {"name"},
    "/sales/probabilities": {"name"},
    "/sales/opportunities/types": {"description"},
    # WorkType, WorkRole
    "/time/workTypes": {"name", "billTime", "rateType", "rate"},
    "/time/workRoles": {"name"},
    # ExpenseType, PaymentType, classifications
    "/expense/types": {"name", "amountCaption", "billExpenses", "invoiceMarkupOption"},
    "/expense/paymentTypes": {"name"},
    "/expense/classifications": {"name"},
    # ConfigurationType, ConfigurationStatus, Manufacturer
    "/company/configurations/types": {"name"},
    "/company/configurations/statuses": {"description"},
    "/procurement/manufacturers": {"name"},
    # CatalogItem and what it points at
    "/procurement/catalog": {
        "identifier", "description", "subcategory", "type", "customerDescription",
    },
    "/procurement/subcategories": {"name"},
    "/procurement/types": {"name"},
    # ExpenseReport (expense entries point at them; its required list was not read from
    # the spec: the member a report belongs to at least)
    "/expense/reports": {"member", "dateStart", "dateEnd"},
    # SecurityRole, SystemDepartment (members and boards point at them)
    "/system/securityRoles": {"name"},
    "/system/departments": {"identifier", "name"},
}  # fmt: skip
HREF = re.compile(r"https://[^/]+/v4_6_release/apis/3\.0(/[^?]+)")
SCALE = SeedScale(
    members=8,
    companies=12,
    contacts=30,
    tickets=80,
    projects=6,
    opportunities=6,
    time_entries=40,
    products=15,
    expense_entries=10,
    configurations=12,
)


@pytest.fixture(scope="module")
def psa():
    simulator = PsaSimulator(SCALE)
    yield simulator
    simulator.close()


def get(psa, path, **query):
    answer = psa.handle("GET", path, list(query.items()))
    assert answer.status == 200, (path, answer.body[:300])
    return json.loads(answer.body)


def missing(record, fields):
    return sorted(name for name in fields if record.get(name) in (None, "", [], {}))


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_every_record_carries_the_specs_required_fields(psa, path):
    records = get(psa, path, pageSize="1000")
    assert records, f"{path} serves no records"
    gaps = {record["id"]: missing(record, REQUIRED[path]) for record in records}
    assert not {record_id: gap for record_id, gap in gaps.items() if gap}
    assert get(psa, f"{path}/count")["count"] == len(records)
    assert get(psa, f"{path}/{records[-1]['id']}") == records[-1]


def references(value):
    """Every `*_href` link inside a record, as a path below the PSA's base URL."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_href") and isinstance(item, str):
                match = HREF.fullmatch(item)
                if match and re.search(r"/\d+$", match.group(1)):
                    yield match.group(1)
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_every_reference_leads_to_a_served_record(psa, path):
    records = get(psa, path, pageSize="1000")
    links = {link for record in records for link in references(record)}
    unresolved = sorted(link for link in links if psa.handle("GET", link).status != 200)
    assert not unresolved


def test_a_tickets_type_subtype_item_and_team_live_on_its_board(psa):
    for ticket in get(psa, "/service/tickets", pageSize="1000"):
        board = ticket["board"]["id"]
        for field, endpoint in (("type", "types"), ("subType", "subtypes"), ("item", "items"),
                                ("team", "teams")):  # fmt: skip
            served = get(psa, f"/service/boards/{board}/{endpoint}/{ticket[field]['id']}")
            assert served["board"]["id"] == board
            assert served["name"] == ticket[field]["name"]


def test_tickets_always_say_whether_the_customer_updated_them(psa):
    tickets = get(psa, "/service/tickets", pageSize="1000")
    assert all(isinstance(ticket.get("customerUpdatedFlag"), bool) for ticket in tickets)
    assert any(ticket["customerUpdatedFlag"] for ticket in tickets)  # realistic, not constant


def test_a_lookup_of_another_board_is_not_served_under_this_one(psa):
    other_board_type = get(psa, "/service/boards/2/types")[0]["id"]
    answer = psa.handle("GET", f"/service/boards/1/types/{other_board_type}")
    assert answer.status == 404
    assert b"Ticket type with id" in answer.body


def test_lookups_filter_and_count_like_any_list(psa):
    found = get(psa, "/company/companies/statuses", conditions='name = "Inactive"')
    assert [status["name"] for status in found] == ["Inactive"]
    count = get(psa, "/service/boards/1/teams/count", conditions="teamLeader/id > 0")
    assert count["count"] == len(get(psa, "/service/boards/1/teams"))


def test_lookups_are_read_only(psa):
    answer = psa.handle("POST", "/service/sources", body=b'{"name": "Fax"}')
    assert answer.status == 405


# ---------------------------------------------------------------- what edits add


def created(psa, path, body):
    answer = psa.handle("POST", path, body=json.dumps(body).encode())
    assert answer.status == 201, answer.body[:300]
    return json.loads(answer.body)


def test_a_new_ticket_carries_the_required_fields_and_customer_updated_flag(psa):
    ticket = created(psa, "/service/tickets", {"summary": "VPN drops", "company": {"id": 2}})
    assert not missing(ticket, REQUIRED["/service/tickets"])
    assert ticket["customerUpdatedFlag"] is False


def test_a_new_time_entry_carries_the_required_fields(psa):
    entry = created(
        psa,
        "/time/entries",
        {"chargeToId": 1, "member": {"id": 2}, "timeStart": "2026-01-05T09:00:00Z",
         "timeEnd": "2026-01-05T10:30:00Z"},
    )  # fmt: skip
    assert not missing(entry, REQUIRED["/time/entries"])


def test_a_new_member_gets_connectwises_defaults_for_the_required_fields(psa):
    member = created(
        psa,
        "/system/members",
        {"identifier": "newtech", "firstName": "Nia", "lastName": "Okafor"},
    )
    assert not missing(member, REQUIRED["/system/members"])
    assert member["licenseClass"] == "F" and member["securityRole"]["id"] == 2


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/project/projects", {"name": "Move", "company": {"id": 1}}, "billingMethod"),
        (
            "/sales/opportunities",
            {"name": "Refresh", "company": {"id": 1}, "primarySalesRep": {"id": 1}},
            "contact",
        ),  # fmt: skip
        ("/procurement/products", {"catalogItem": {"id": 1}}, "billableOption"),
    ],
)
def test_creating_without_a_required_field_is_refused(psa, path, body, field):
    answer = psa.handle("POST", path, body=json.dumps(body).encode())
    assert answer.status == 400
    assert field in {error["field"] for error in json.loads(answer.body)["errors"]}


def test_moving_a_ticket_takes_its_type_to_the_new_boards_entry(psa):
    ticket = get(psa, "/service/tickets", conditions="board/id = 1", pageSize="1")[0]
    patch = [{"op": "replace", "path": "board", "value": {"id": 2}}]
    answer = psa.handle(
        "PATCH", f"/service/tickets/{ticket['id']}", body=json.dumps(patch).encode()
    )
    assert answer.status == 200, answer.body[:300]
    moved = json.loads(answer.body)
    assert moved["type"]["name"] == ticket["type"]["name"]
    assert get(psa, f"/service/boards/2/types/{moved['type']['id']}")["board"]["id"] == 2


def test_a_type_of_another_board_by_id_is_refused(psa):
    board_two_type = get(psa, "/service/boards/2/types")[0]["id"]
    body = {"summary": "x", "company": {"id": 1}, "board": {"id": 1},
            "type": {"id": board_two_type}}  # fmt: skip
    answer = psa.handle("POST", "/service/tickets", body=json.dumps(body).encode())
    assert answer.status == 400
    assert b"does not belong to board 1" in answer.body
