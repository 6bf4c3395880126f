"""Each sandbox fault surfaces as the right client error."""

import time

import pytest

from psaportal.membrane import (
    MalformedResponseError,
    MembraneClient,
    NetworkError,
    OutcomeUnknownError,
    PsaRateLimitError,
    RateLimitError,
    ServerError,
)


def test_429_every_nth_call_is_a_rate_limit_error_with_retry_after(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(rate_limit_every=2, retry_after=7)
    membrane_client.get_connection(ready_connection["id"])
    with pytest.raises(RateLimitError) as caught:
        membrane_client.get_connection(ready_connection["id"])
    assert caught.value.retryable is True and caught.value.retry_after == 7
    assert membrane_client.get_connection(ready_connection["id"])["id"]


def test_5xx_is_a_retryable_server_error(membrane_client, ready_connection, sandbox_faults):
    sandbox_faults(error_every=1, error_status=502)
    with pytest.raises(ServerError) as caught:
        membrane_client.run_action("list-tickets", connection_id=ready_connection["id"])
    assert caught.value.status == 502 and caught.value.retryable is True


def test_timeout_is_a_network_error(sandbox, ready_connection, sandbox_faults):
    sandbox_faults(timeout_every=1, timeout_seconds=1)
    with MembraneClient(base_url=sandbox.url, token=sandbox.token, timeout=0.3) as client:
        with pytest.raises(NetworkError) as caught:
            client.get_connection(ready_connection["id"])
    assert caught.value.retryable is True and "in time" in str(caught.value)


def test_dropped_connection_is_a_network_error(membrane_client, ready_connection, sandbox_faults):
    sandbox_faults(drop_every=1)
    with pytest.raises(NetworkError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    assert caught.value.retryable is True


def test_client_recovers_after_a_dropped_connection(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(drop_every=2)
    membrane_client.get_connection(ready_connection["id"])
    with pytest.raises(NetworkError):
        membrane_client.get_connection(ready_connection["id"])
    assert membrane_client.get_connection(ready_connection["id"])["state"] == "READY"


def test_psa_rate_limit_per_minute_through_the_proxy(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(psa_rate_limit_per_minute=2)
    for _ in range(2):
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    with pytest.raises(PsaRateLimitError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    error = caught.value
    assert isinstance(error, RateLimitError) and error.retryable is True
    assert 1 <= error.retry_after <= 60 and error.code == "TooManyRequests"


def test_psa_rate_limit_per_minute_through_actions(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(psa_rate_limit_per_minute=1)
    membrane_client.run_action("list-tickets", connection_id=ready_connection["id"])
    with pytest.raises(RateLimitError) as caught:
        membrane_client.run_action("list-tickets", connection_id=ready_connection["id"])
    assert caught.value.key == "rate_limit_exceeded" and caught.value.retry_after >= 1


def test_every_nth_list_comes_back_empty(membrane_client, ready_connection, sandbox_faults):
    """What a permissions change or a misbehaving proxy looks like: an empty list, 200 OK."""
    sandbox_faults(empty_list_every=2)
    cid = ready_connection["id"]
    first = membrane_client.proxy(cid, "GET", "/service/tickets").json()
    count = membrane_client.proxy(cid, "GET", "/service/tickets/count").json()
    one = membrane_client.proxy(cid, "GET", f"/service/tickets/{first[0]['id']}").json()
    second = membrane_client.proxy(cid, "GET", "/service/tickets").json()
    assert len(first) == 25 and count["count"] > 25 and one["id"] == first[0]["id"]
    assert second == []
    assert membrane_client.proxy(cid, "GET", "/service/tickets").json() == first


def test_latency_is_added(membrane_client, ready_connection, sandbox_faults):
    sandbox_faults(latency_ms=200)
    started = time.monotonic()
    membrane_client.get_connection(ready_connection["id"])
    assert time.monotonic() - started >= 0.2


def test_psa_scope_spares_other_endpoints(membrane_client, ready_connection, sandbox_faults):
    sandbox_faults(error_every=1, scope="psa")
    assert membrane_client.get_connection(ready_connection["id"])["state"] == "READY"
    with pytest.raises(ServerError):
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")


def test_faults_are_validated(sandbox):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as caught:
        sandbox.set_faults(error_every=-1)
    assert caught.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        sandbox.set_faults(explode=True)


def test_faults_can_be_set_at_start_up():
    from psaportal.sandbox.testing import start_sandbox

    with start_sandbox(error_every=1, build_seconds=0, psa=object()) as sandbox:
        with MembraneClient(base_url=sandbox.url, token=sandbox.token) as client:
            with pytest.raises(ServerError):
                list(client.list_connections())
        assert sandbox.stats()["faults_injected"] == {"error": 1}


def test_membrane_faults_on_the_proxy_are_membrane_errors_not_psa_errors(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(rate_limit_every=1, retry_after=3)
    with pytest.raises(RateLimitError) as caught:
        membrane_client.proxy(ready_connection["id"], "GET", "/service/tickets")
    assert not isinstance(caught.value, PsaRateLimitError)
    assert caught.value.key == "rate_limit_exceeded" and caught.value.retry_after == 3


@pytest.mark.parametrize("status", [500, 503, 504])
def test_every_5xx_status_is_a_server_error(
    membrane_client, ready_connection, sandbox_faults, status
):
    sandbox_faults(error_every=1, error_status=status)
    with pytest.raises(ServerError) as caught:
        membrane_client.search_actions(connection_id=ready_connection["id"], intent="tickets")
    assert caught.value.status == status and caught.value.key == "sandbox_fault"


def test_the_sandbox_serves_again_after_a_timeout(sandbox, ready_connection, sandbox_faults):
    sandbox_faults(timeout_every=2, timeout_seconds=1)
    with MembraneClient(base_url=sandbox.url, token=sandbox.token, timeout=0.5) as client:
        assert client.get_connection(ready_connection["id"])["state"] == "READY"
        with pytest.raises(NetworkError):
            client.get_connection(ready_connection["id"])
        assert client.get_connection(ready_connection["id"])["state"] == "READY"
    assert sandbox.stats()["faults_injected"] == {"timeout": 1}


def test_a_cut_short_json_answer_is_a_retryable_malformed_response(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(malformed_json_every=2)
    cid = ready_connection["id"]
    assert membrane_client.get_connection(cid)["state"] == "READY"
    with pytest.raises(MalformedResponseError) as from_membrane:
        membrane_client.get_connection(cid)
    assert membrane_client.proxy(cid, "GET", "/service/tickets").json()
    answer = membrane_client.proxy(cid, "GET", "/service/tickets")
    assert answer.status_code == 200
    with pytest.raises(MalformedResponseError) as from_psa:
        answer.json()
    assert from_membrane.value.retryable is True and from_psa.value.retryable is True


def test_a_cut_short_answer_to_a_write_may_have_run_and_is_not_retried(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(malformed_json_every=1, scope="psa")
    cid = ready_connection["id"]
    with pytest.raises(OutcomeUnknownError) as action_run:
        membrane_client.run_action("list-tickets", connection_id=cid)
    posted = membrane_client.proxy(cid, "POST", "/service/tickets", json={"summary": "Cut"})
    with pytest.raises(OutcomeUnknownError) as proxy_post:
        posted.json()
    for caught in (action_run.value, proxy_post.value):
        assert caught.retryable is False and caught.key == "malformed_json"
        assert str(caught).endswith(
            "is not JSON. It may have been carried out: check before sending it again."
        )
    # A caller that checks before trying again marks its write safe: retryable, as a GET is.
    with pytest.raises(MalformedResponseError) as marked:
        membrane_client.run_action("list-tickets", connection_id=cid, retry_safe=True)
    with pytest.raises(MalformedResponseError) as read:
        membrane_client.proxy(cid, "GET", "/service/tickets").json()
    for caught in (marked.value, read.value):
        assert not isinstance(caught, OutcomeUnknownError) and caught.retryable is True


def test_a_write_whose_answer_timed_out_may_have_run_and_is_not_retried(
    sandbox, ready_connection, sandbox_faults
):
    sandbox_faults(timeout_every=1, timeout_seconds=1)
    cid = ready_connection["id"]
    with MembraneClient(base_url=sandbox.url, token=sandbox.token, timeout=0.3) as client:
        with pytest.raises(OutcomeUnknownError) as action_run:
            client.run_action("list-tickets", connection_id=cid)
        with pytest.raises(OutcomeUnknownError) as proxy_post:
            client.proxy(cid, "POST", "/service/tickets", json={"summary": "Slow"})
        # Marked safe by a caller that looks before writing again: a plain retryable error.
        with pytest.raises(NetworkError) as marked:
            client.run_action("list-tickets", connection_id=cid, retry_safe=True)
    for caught in (action_run.value, proxy_post.value):
        assert caught.retryable is False and caught.key == "answer_lost"
        assert "It may have been carried out: check before sending it again." in str(caught)
    assert marked.value.retryable is True and marked.value.key == "timeout"


def test_a_write_whose_connection_dropped_may_have_run(
    membrane_client, ready_connection, sandbox_faults
):
    sandbox_faults(drop_every=1)
    with pytest.raises(OutcomeUnknownError) as caught:
        membrane_client.proxy(ready_connection["id"], "PATCH", "/service/tickets/1", json=[])
    assert caught.value.retryable is False


def test_a_write_that_never_left_is_retryable(sandbox, ready_connection):
    """Nothing listens on the port: the request was never sent, so it may be sent again."""
    with MembraneClient(base_url="http://127.0.0.1:9", token=sandbox.token) as client:
        with pytest.raises(NetworkError) as caught:
            client.run_action("list-tickets", connection_id=ready_connection["id"])
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.retryable is True and caught.value.key == "network"
