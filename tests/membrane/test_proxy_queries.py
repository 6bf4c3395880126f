"""The PSA request language through the proxy over real HTTP: conditions, orderBy, fields,
paging (page/pageSize with Link, forward-only pageId), counts, PUT/DELETE and
`_info/lastUpdated` for incremental sync."""

import http.client
import json
from urllib.parse import urlencode, urlsplit

import pytest

from psaportal.membrane import BadRequestError, PsaError


@pytest.fixture
def psa(membrane_client, ready_connection):
    """`psa(method, path, **kwargs)`: one proxied PSA call on the READY connection."""

    def call(method, path, **kwargs):
        return membrane_client.proxy(ready_connection["id"], method, path, **kwargs)

    return call


def all_tickets(psa, **query):
    """Every ticket matching `query`, page by page."""
    tickets, page = [], 1
    while True:
        response = psa("GET", "/service/tickets", query={"pageSize": 1000, "page": page, **query})
        tickets += response.json()
        if "next" not in response.links:
            return tickets
        page += 1


def psa_error(psa, method, path, **kwargs):
    with pytest.raises(PsaError) as caught:
        psa(method, path, **kwargs)
    return caught.value


def test_conditions_filter_on_nested_paths(psa):
    tickets = all_tickets(psa)
    board = tickets[0]["board"]["name"]
    wanted = sorted(t["id"] for t in tickets if t["board"]["name"] == board and not t["closedFlag"])
    found = all_tickets(psa, conditions=f'board/name = "{board}" and closedFlag = false')
    assert sorted(t["id"] for t in found) == wanted


def test_conditions_with_like_in_and_dates(psa):
    tickets = all_tickets(psa)
    some = [tickets[0]["id"], tickets[3]["id"], tickets[7]["id"]]
    assert sorted(t["id"] for t in all_tickets(psa, conditions=f"id in {tuple(some)}")) == some

    word = tickets[0]["summary"].split()[0]
    liked = all_tickets(psa, conditions=f'summary like "{word}*"')
    assert liked and all(t["summary"].lower().startswith(word.lower()) for t in liked)
    assert {t["id"] for t in liked} == {
        t["id"] for t in tickets if t["summary"].lower().startswith(word.lower())
    }

    cutoff = sorted(t["_info"]["lastUpdated"] for t in tickets)[len(tickets) // 2]
    newer = all_tickets(psa, conditions=f"_info/lastUpdated > [{cutoff}]")
    assert {t["id"] for t in newer} == {
        t["id"] for t in tickets if t["_info"]["lastUpdated"] > cutoff
    }


def test_count_honours_conditions(psa):
    tickets = all_tickets(psa)
    closed = sum(1 for ticket in tickets if ticket["closedFlag"])
    count = psa("GET", "/service/tickets/count", query={"conditions": "closedFlag = true"})
    assert count.json() == {"count": closed}


def test_order_by_and_fields(psa):
    listed = psa(
        "GET",
        "/service/tickets",
        query={"orderBy": "company/name desc, id asc", "fields": "id,company/name", "pageSize": 50},
    ).json()
    assert all(set(ticket) == {"id", "company"} for ticket in listed)
    assert all(set(ticket["company"]) == {"name"} for ticket in listed)
    keys = [(ticket["company"]["name"].lower(), -ticket["id"]) for ticket in listed]
    assert keys == sorted(keys, reverse=True)


def test_page_links_reach_the_last_page(psa):
    total = psa("GET", "/service/tickets/count").json()["count"]
    first = psa("GET", "/service/tickets", query={"pageSize": 7})
    last_url = first.links["last"]
    assert f"page={-(-total // 7)}" in last_url
    last = first
    while "next" in last.links:
        last = psa("GET", "/service/tickets", query={"pageSize": 7, "page": _page(last)})
    assert len(last.json()) == total - 7 * (-(-total // 7) - 1)
    assert "next" not in last.links and "prev" in last.links


def _page(response):
    return int(response.links["next"].rsplit("page=", 1)[1].split("&")[0])


FORWARD_ONLY = {"pagination-type": "forward-only"}


def test_forward_only_paging_with_page_id(membrane_client, ready_connection, psa):
    total = psa("GET", "/service/tickets/count").json()["count"]
    response = psa(
        "GET", "/service/tickets", query={"pageSize": 9, "pageId": 0}, headers=FORWARD_ONLY
    )
    assert response.headers["pagination-type"] == "forward-only"
    ids = [ticket["id"] for ticket in response.json()]
    while "next" in response.links:
        assert f"pageId={ids[-1]}" in response.links["next"]
        response = membrane_client.follow(
            ready_connection["id"], response.links["next"], headers=FORWARD_ONLY
        )
        ids += [ticket["id"] for ticket in response.json()]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == total


def test_forward_only_paging_by_header_and_page_id_is_an_id_floor(psa):
    response = psa(
        "GET",
        "/service/tickets",
        query={"pageSize": 5},
        headers={"pagination-type": "forward-only"},
    )
    assert response.headers["pagination-type"] == "forward-only"
    after = response.json()[-1]["id"]
    following = psa(
        "GET", "/service/tickets", query={"pageSize": 5, "pageId": after}, headers=FORWARD_ONLY
    ).json()
    assert following and all(ticket["id"] > after for ticket in following)


def test_forward_only_paging_refuses_order_by(psa):
    query = {"pageId": 1, "orderBy": "id desc"}
    error = psa_error(psa, "GET", "/service/tickets", query=query, headers=FORWARD_ONLY)
    assert error.status == 400 and "orderBy cannot be used" in error.message


def test_page_id_needs_the_forward_only_header(psa):
    """ConnectWise's rule: pageId works only with `pagination-type: forward-only`."""
    error = psa_error(psa, "GET", "/service/tickets", query={"pageId": 5})
    assert error.status == 400 and error.code == "BadRequest"
    assert "pagination-type: forward-only" in error.message
    bad = psa_error(psa, "GET", "/service/tickets", query={"pageId": "-1"}, headers=FORWARD_ONLY)
    assert "pageId must be a whole number" in bad.message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"pageSize": 0}, "pageSize must be at least 1"),
        ({"page": "two"}, "page must be a whole number"),
        ({"orderBy": "nope asc"}, "unknown field 'nope'"),
        ({"orderBy": "id sideways"}, "orderBy"),
        ({"fields": "id,nope"}, "unknown field 'nope'"),
        ({"conditions": "summary contains"}, "expected a value"),
        ({"conditions": 'summary = "open'}, "unterminated string"),
        ({"conditions": "(id = 1"}, "missing ')'"),
        ({"conditions": "nope = 1"}, "unknown field 'nope'"),
        ({"conditions": "board = 1"}, "is an object"),
        ({"conditions": "(" * 4_000 + "id = 1" + ")" * 4_000}, "nested too deeply"),
        ({"conditions": " or ".join(["id=1"] * 1_100)}, "too many comparisons"),
        ({"conditions": 'summary = "' + "x" * 20_000 + '"'}, "too long"),
        ({"conditions": "id = 99999999999999999999"}, "out of range"),
    ],
)
def test_bad_queries_are_psa_400s(psa, query, message):
    error = psa_error(psa, "GET", "/service/tickets", query=query)
    assert error.status == 400 and error.code == "BadRequest"
    assert message in error.message and error.data["errors"] == []
    assert error.retryable is False


@pytest.mark.parametrize(
    "conditions",
    [
        "not (" * 24 + "id = 1" + ")" * 24,
        "".join("id = 1 or (" if i % 2 else "id = 2 and (" for i in range(50))
        + "id = 3"
        + ")" * 50,
        " or ".join(f"id={n % 10}" for n in range(1_000)),
    ],
)
def test_the_most_complex_conditions_allowed_are_answered(psa, conditions):
    assert isinstance(all_tickets(psa, conditions=conditions), list)


def test_a_huge_query_string_is_refused_by_the_client(psa):
    with pytest.raises(BadRequestError, match="too long") as caught:
        psa("GET", "/service/tickets", query={"conditions": '"' + "x" * 100_000 + '"'})
    assert caught.value.key == "invalid_request" and caught.value.status is None


def test_a_huge_request_line_is_a_membrane_error_body(sandbox, ready_connection):
    query = urlencode({"conditions": 'summary = "' + "x" * 100_000 + '"'})
    connection = http.client.HTTPConnection(urlsplit(sandbox.url).netloc, timeout=10)
    try:
        connection.request(
            "GET",
            f"/connections/{ready_connection['id']}/proxy/service/tickets?{query}",
            headers={"Authorization": f"Bearer {sandbox.token}"},
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 414
    assert body["type"] == "bad_request" and body["key"] == "http_414" and body["message"]


def test_board_statuses_are_a_sub_resource(psa):
    statuses = psa("GET", "/service/boards/2/statuses").json()
    assert [status["name"] for status in statuses][:2] == ["New", "In Progress"]
    assert all(status["board"]["id"] == 2 for status in statuses)
    assert psa_error(psa, "GET", "/service/boards/999/statuses").status == 404


def test_put_replaces_the_whole_record(psa):
    ticket = all_tickets(psa, conditions="closedFlag = false")[0]
    replaced = psa(
        "PUT",
        f"/service/tickets/{ticket['id']}",
        json={"summary": "Replaced", "company": {"id": ticket["company"]["id"]}},
    ).json()
    assert replaced["summary"] == "Replaced" and replaced["id"] == ticket["id"]
    assert "budgetHours" not in replaced  # fields left out of a PUT are gone
    assert replaced["_info"]["lastUpdated"] >= ticket["_info"]["lastUpdated"]


def test_delete_then_not_found(psa):
    company = all_tickets(psa)[0]["company"]
    created = psa(
        "POST",
        "/service/tickets",
        json={"summary": "Short-lived", "company": {"id": company["id"]}},
    ).json()
    deleted = psa("DELETE", f"/service/tickets/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert psa_error(psa, "GET", f"/service/tickets/{created['id']}").status == 404
    assert psa_error(psa, "DELETE", f"/service/tickets/{created['id']}").code == "NotFound"


def test_create_reports_every_bad_field(psa):
    error = psa_error(
        psa,
        "POST",
        "/service/tickets",
        json={"summary": "x" * 101, "company": {"id": 99_999_999}, "severity": "Apocalyptic"},
    )
    assert error.status == 400 and error.code == "InvalidObject"
    assert set(error.field_errors) == {"summary", "company", "severity"}
    assert "at most 100" in error.field_errors["summary"]


def test_patch_json_patch_errors_are_invalid_object(psa):
    ticket_id = all_tickets(psa)[0]["id"]
    error = psa_error(
        psa,
        "PATCH",
        f"/service/tickets/{ticket_id}",
        json=[{"op": "copy", "from": "summary", "path": "contactName"}],
    )
    assert error.status == 400 and error.code == "InvalidObject"


def test_changes_are_found_by_last_updated(psa):
    """Incremental sync: remember the newest lastUpdated, change a record, ask for newer."""
    tickets = all_tickets(psa, orderBy="_info/lastUpdated desc")
    newest = tickets[0]["_info"]["lastUpdated"]
    target = tickets[-1]
    patched = psa(
        "PATCH",
        f"/service/tickets/{target['id']}",
        json=[{"op": "replace", "path": "/budgetHours", "value": 12.5}],
    ).json()
    assert patched["budgetHours"] == 12.5
    assert patched["_info"]["lastUpdated"] >= newest > target["_info"]["lastUpdated"]
    changed = all_tickets(psa, conditions=f"_info/lastUpdated >= [{newest}]")
    assert target["id"] in {ticket["id"] for ticket in changed}


def test_unknown_paths_and_methods(psa):
    assert psa_error(psa, "GET", "/service/nothing").status == 404
    assert psa_error(psa, "POST", "/service/tickets/count", json={}).status == 405
    assert psa_error(psa, "POST", "/service/boards", json={"name": "x"}).status == 405
