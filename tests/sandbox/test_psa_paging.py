"""Listing pages straight from the PsaSimulator: the page's ids are chosen before its JSON
is read (simulator._page_rows), and counts for the Link header are remembered until a
write. Every page must still be exactly the slice of the full, ordered, filtered list."""

import json
import re

import pytest

from psaportal.sandbox.psa import PSA_BASE_URL, PsaSimulator, SeedScale

SCALE = SeedScale(members=4, companies=6, contacts=12, tickets=120, time_entries=10)


@pytest.fixture
def psa():
    simulator = PsaSimulator(SCALE)
    yield simulator
    simulator.close()


def get(psa, path, headers=None, **query):
    answer = psa.handle("GET", path, query=list(query.items()), headers=headers)
    assert answer.status == 200, answer.body
    return answer


def every_ticket(psa, **query):
    """All tickets matching `query`, in one page."""
    return json.loads(get(psa, "/service/tickets", pageSize="1000", **query).body)


def paged(psa, size, **query):
    """All tickets matching `query`, page by page, and the last Link header seen."""
    tickets, page, link = [], 1, ""
    while True:
        answer = get(psa, "/service/tickets", pageSize=str(size), page=str(page), **query)
        tickets += json.loads(answer.body)
        link = answer.headers.get("Link", "")
        if 'rel="next"' not in link:
            return tickets, link
        page += 1


def forward(psa, size, **query):
    """All tickets matching `query` by forward-only pages, following the pageId of Link."""
    tickets, after = [], 0
    while True:
        answer = get(
            psa,
            "/service/tickets",
            {"pagination-type": "forward-only"},
            pageSize=str(size),
            pageId=str(after),
            **query,
        )
        page = json.loads(answer.body)
        tickets += page
        link = answer.headers.get("Link")
        if link is None:
            assert len(page) < size
            return tickets
        after = int(re.search(r"pageId=(\d+)", link).group(1))
        assert after == page[-1]["id"]


def test_pages_are_slices_of_the_ordered_list(psa):
    everything = every_ticket(psa)
    assert [t["id"] for t in everything] == list(range(1, SCALE.tickets + 1))
    ordered = sorted(everything, key=lambda t: (t["company"]["name"].lower(), -t["id"]))
    ordered.reverse()  # company/name desc, then id asc
    tickets, link = paged(psa, 13, orderBy="company/name desc")
    assert tickets == ordered
    assert 'rel="next"' not in link and 'rel="first"' in link


def test_pages_of_a_filtered_list_in_json_order(psa):
    everything = every_ticket(psa)
    wanted = [t for t in everything if t["severity"] == "Low"]
    wanted.sort(key=lambda t: (t["summary"].lower(), t["id"]))
    assert 0 < len(wanted) < len(everything)
    tickets, _ = paged(psa, 7, conditions='severity = "Low"', orderBy="summary")
    assert tickets == wanted


@pytest.mark.parametrize("share", [0, 1, 2])
def test_forward_only_pages_since_a_date(psa, share):
    everything = every_ticket(psa)
    stamps = sorted(t["_info"]["lastUpdated"] for t in everything)
    # Since before every record, since a date half of them meet, since after all of them.
    since = ["2000-01-01T00:00:00Z", stamps[len(stamps) // 2], "2999-01-01T00:00:00Z"][share]
    wanted = [t for t in everything if t["_info"]["lastUpdated"] > since]
    found = forward(psa, 10, conditions=f"_info/lastUpdated > [{since}]")
    assert found == wanted


def test_hrefs_and_links_name_the_psa_site(psa):
    """Like ConnectWise's own answers (the proxy passes them through unchanged)."""
    assert PSA_BASE_URL.startswith("https://") and PSA_BASE_URL.endswith("/v4_6_release/apis/3.0")
    for body in (
        get(psa, "/service/tickets", pageSize="5").body,
        get(psa, "/service/tickets", pageSize="5", fields="id,company").body,
        get(psa, "/service/tickets/1").body,
    ):
        tickets = json.loads(body)
        for ticket in tickets if isinstance(tickets, list) else [tickets]:
            href = ticket["company"]["_info"]["company_href"]
            assert href == f"{PSA_BASE_URL}/company/companies/{ticket['company']['id']}"
    link = get(psa, "/service/tickets", pageSize="5", page="2").headers["Link"]
    urls = re.findall(r"<([^>]*)>", link)
    assert len(urls) == 4  # first, prev, next, last
    assert all(url.startswith(f"{PSA_BASE_URL}/service/tickets?") for url in urls)
    forward_link = get(
        psa, "/service/tickets", {"pagination-type": "forward-only"}, pageSize="5"
    ).headers["Link"]
    assert forward_link == f'<{PSA_BASE_URL}/service/tickets?pageSize=5&pageId=5>; rel="next"'


def test_page_id_needs_the_forward_only_header(psa):
    answer = psa.handle("GET", "/service/tickets", query=[("pageId", "5")])
    assert answer.status == 400
    body = json.loads(answer.body)
    assert body["code"] == "BadRequest" and "pagination-type: forward-only" in body["message"]


def test_counts_and_last_links_follow_writes(psa):
    def last_page():
        link = get(psa, "/service/tickets", pageSize="10", page="2").headers["Link"]
        return int(re.search(r'page=(\d+)>; rel="last"', link).group(1))

    def count():
        return json.loads(get(psa, "/service/tickets/count").body)["count"]

    assert (count(), last_page()) == (120, 12)
    body = json.dumps({"summary": "One more", "company": {"id": 1}}).encode()
    created = psa.handle("POST", "/service/tickets", body=body)
    assert created.status == 201
    assert (count(), last_page()) == (121, 13)
    new_id = json.loads(created.body)["id"]
    assert psa.handle("DELETE", f"/service/tickets/{new_id}").status == 204
    assert (count(), last_page()) == (120, 12)

    closed = json.loads(get(psa, "/service/tickets/count", conditions="closedFlag = true").body)
    patch = json.dumps([{"op": "replace", "path": "closedFlag", "value": True}]).encode()
    open_ticket = next(t for t in every_ticket(psa) if not t["closedFlag"])
    patched = psa.handle("PATCH", f"/service/tickets/{open_ticket['id']}", body=patch)
    assert patched.status == 200
    after = json.loads(get(psa, "/service/tickets/count", conditions="closedFlag = true").body)
    assert after["count"] == closed["count"] + 1
