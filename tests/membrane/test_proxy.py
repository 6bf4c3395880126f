"""The PSA proxy over real HTTP: paging by Link headers, writes, and PSA errors."""

import pytest

from psaportal.membrane import BadRequestError, PsaError


def test_page_through_all_tickets_by_link_headers(sandbox, membrane_client, ready_connection):
    connection_id = ready_connection["id"]
    total = membrane_client.proxy(connection_id, "GET", "/service/tickets/count").json()["count"]
    assert total > 5
    response = membrane_client.proxy(
        connection_id, "GET", "/service/tickets", query={"pageSize": 5, "orderBy": "id asc"}
    )
    assert response.links["next"].startswith(f"{sandbox.url}/connections/{connection_id}/proxy/")
    ids = [ticket["id"] for ticket in response.json()]
    pages = 1
    while "next" in response.links:
        response = membrane_client.follow(response.links["next"])
        ids += [ticket["id"] for ticket in response.json()]
        pages += 1
    assert len(ids) == len(set(ids)) == total
    assert pages == -(-total // 5)


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
