"""The PSA proxy over real HTTP: paging by Link headers, writes, and PSA errors."""

import pytest

from psaportal.membrane import BadRequestError, PsaError
from psaportal.sandbox.psa import PSA_BASE_URL


def test_page_through_all_tickets_by_link_headers(membrane_client, ready_connection):
    connection_id = ready_connection["id"]
    total = membrane_client.proxy(connection_id, "GET", "/service/tickets/count").json()["count"]
    assert total > 5
    response = membrane_client.proxy(
        connection_id, "GET", "/service/tickets", query={"pageSize": 5, "orderBy": "id asc"}
    )
    # The PSA's own URL, as ConnectWise sends it: the proxy passes its answer through.
    assert response.links["next"].startswith(f"{PSA_BASE_URL}/service/tickets?")
    ids = [ticket["id"] for ticket in response.json()]
    pages = 1
    while "next" in response.links:
        response = membrane_client.follow(connection_id, response.links["next"])
        ids += [ticket["id"] for ticket in response.json()]
        pages += 1
    assert len(ids) == len(set(ids)) == total
    assert pages == -(-total // 5)


def test_follow_takes_the_path_and_query_after_apis_3_0(membrane_client, ready_connection):
    connection_id = ready_connection["id"]
    url = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/service/tickets?pageSize=2&page=3"
    followed = membrane_client.follow(connection_id, url)
    direct = membrane_client.proxy(
        connection_id, "GET", "/service/tickets", query={"pageSize": 2, "page": 3}
    )
    assert followed.json() == direct.json() and len(direct.json()) == 2
    assert followed.links == direct.links


@pytest.mark.parametrize(
    "url",
    ["https://psa.example/v4_6_release/apis/2.0/service/tickets", "/service/tickets?page=2"],
)
def test_follow_refuses_a_url_outside_the_psa_api(membrane_client, url):
    with pytest.raises(ValueError, match="not a ConnectWise PSA API URL"):
        membrane_client.follow("c1", url)


def test_hrefs_name_the_psa_site(membrane_client, ready_connection):
    ticket = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 1}
    ).json()[0]
    company_href = ticket["company"]["_info"]["company_href"]
    assert company_href == f"{PSA_BASE_URL}/company/companies/{ticket['company']['id']}"


def test_get_one_record(membrane_client, ready_connection):
    first = membrane_client.proxy(
        ready_connection["id"], "GET", "/company/companies", query={"pageSize": 1}
    ).json()[0]
    one = membrane_client.proxy(ready_connection["id"], "GET", f"/company/companies/{first['id']}")
    assert one.status_code == 200 and one.json()["id"] == first["id"]


def test_create_validation_error_is_a_psa_error_with_field_errors(
    membrane_client, ready_connection
):
    with pytest.raises(PsaError) as caught:
        membrane_client.proxy(ready_connection["id"], "POST", "/service/tickets", json={})
    error = caught.value
    assert error.status == 400 and error.code == "InvalidObject"
    assert "summary" in error.field_errors
    assert error.retryable is False
    assert "summary" in str(error)


def test_create_then_patch(membrane_client, ready_connection):
    company = membrane_client.proxy(
        ready_connection["id"], "GET", "/company/companies", query={"pageSize": 1}
    ).json()[0]
    created = membrane_client.proxy(
        ready_connection["id"],
        "POST",
        "/service/tickets",
        json={"summary": "VPN down", "company": {"id": company["id"]}},
    )
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    patched = membrane_client.proxy(
        ready_connection["id"],
        "PATCH",
        f"/service/tickets/{ticket_id}",
        json=[{"op": "replace", "path": "summary", "value": "VPN back"}],
    )
    assert patched.json()["summary"] == "VPN back"


def test_patch_validation_error_is_a_psa_error(membrane_client, ready_connection):
    ticket = membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 1}
    ).json()[0]
    with pytest.raises(PsaError) as caught:
        membrane_client.proxy(
            ready_connection["id"],
            "PATCH",
            f"/service/tickets/{ticket['id']}",
            json=[{"op": "replace", "path": "summary", "value": ""}],
        )
    assert caught.value.status == 400 and caught.value.errors


def test_missing_record_is_a_psa_404(membrane_client, ready_connection):
    with pytest.raises(PsaError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets/99999999")
    assert caught.value.status == 404 and caught.value.code == "NotFound"
    assert caught.value.data["errors"] == []  # ConnectWise always sends the list


def test_bad_conditions_are_a_psa_400(membrane_client, ready_connection):
    with pytest.raises(PsaError) as caught:
        membrane_client.proxy(
            ready_connection["id"], "GET", "/service/tickets", query={"conditions": "summary ="}
        )
    assert caught.value.status == 400 and caught.value.message


def test_proxy_needs_a_ready_connection(clean_sandbox, membrane_client, ready_connection):
    clean_sandbox.connection_step(ready_connection["id"], "disconnect")
    with pytest.raises(BadRequestError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    assert not isinstance(caught.value, PsaError)
    assert caught.value.type == "connection"


def test_proxy_and_action_calls_are_counted(clean_sandbox, membrane_client, ready_connection):
    membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    membrane_client.run_action("list-tickets", connection_id=ready_connection["id"])
    stats = clean_sandbox.stats()
    assert stats["psa_requests"] == 2
    assert stats["proxy_requests"] == 1 and stats["action_runs"] == 1
