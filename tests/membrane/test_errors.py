"""Edge cases the sandbox cannot produce, with httpx.MockTransport."""

import email.utils
import time

import httpx
import pytest

from psaportal.membrane import (
    ActionRunError,
    AuthError,
    ConflictError,
    MalformedResponseError,
    MembraneClient,
    NotFoundError,
    PsaError,
    PsaServerError,
    RateLimitError,
    ServerError,
)


def client_answering(*responses):
    queue = list(responses)

    def answer(request):
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return MembraneClient(
        base_url="https://membrane.test", token="pat-1", transport=httpx.MockTransport(answer)
    )


def test_non_json_success_is_malformed():
    client = client_answering(httpx.Response(200, text="<html>oops</html>"))
    with pytest.raises(MalformedResponseError, match="not JSON"):
        client.get_connection("c1")


def test_wrong_shaped_success_is_malformed():
    client = client_answering(httpx.Response(200, json=["not", "an", "object"]))
    with pytest.raises(MalformedResponseError):
        client.get_connection("c1")
    with pytest.raises(MalformedResponseError, match="items"):
        list(client_answering(httpx.Response(200, json={"rows": []})).list_connections())
    with pytest.raises(MalformedResponseError, match="output"):
        client_answering(httpx.Response(200, json={"x": 1})).run_action("a", connection_id="c")


def test_retry_after_as_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    client = client_answering(
        httpx.Response(429, headers={"Retry-After": when}, json={"type": "bad_request"})
    )
    with pytest.raises(RateLimitError) as caught:
        client.get_connection("c1")
    assert 25 <= caught.value.retry_after <= 31


def test_rate_limit_key_without_429_is_still_a_rate_limit():
    client = client_answering(
        httpx.Response(400, json={"type": "connection", "key": "rate_limit_exceeded"})
    )
    with pytest.raises(RateLimitError):
        client.get_connection("c1")


def test_non_json_5xx_is_a_server_error_with_a_readable_message():
    client = client_answering(httpx.Response(504, text="Gateway Timeout"))
    with pytest.raises(ServerError, match="HTTP 504") as caught:
        client.get_connection("c1")
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (403, {"type": "bad_request", "message": "Forbidden"}, AuthError),
        (404, {"type": "bad_request"}, NotFoundError),
        (409, {"type": "concurrency", "key": "lock_timeout"}, ConflictError),
    ],
)
def test_status_maps_to_error_class(status, body, error_class):
    with pytest.raises(error_class):
        client_answering(httpx.Response(status, json=body)).get_connection("c1")


def test_concurrency_conflict_is_retryable():
    client = client_answering(httpx.Response(409, json={"type": "concurrency"}))
    with pytest.raises(ConflictError) as caught:
        client.get_connection("c1")
    assert caught.value.retryable


def test_action_run_error_finds_the_psa_error_in_caused_by():
    body = {
        "type": "action_run",
        "message": "Action failed",
        "causedByError": {"data": {"code": "InvalidObject", "message": "bad", "errors": []}},
    }
    client = client_answering(httpx.Response(400, json=body))
    with pytest.raises(ActionRunError) as caught:
        client.run_action("a", connection_id="c")
    assert caught.value.psa_error["code"] == "InvalidObject"


def test_proxy_5xx_from_the_psa_is_retryable():
    client = client_answering(
        httpx.Response(503, json={"code": "ConnectWiseApi", "message": "Service unavailable"})
    )
    with pytest.raises(PsaServerError) as caught:
        client.proxy("c1", "GET", "/service/tickets")
    assert isinstance(caught.value, ServerError) and caught.value.retryable


def test_proxy_error_with_a_membrane_body_is_a_membrane_error():
    client = client_answering(
        httpx.Response(404, json={"type": "bad_request", "message": "No such connection"})
    )
    with pytest.raises(NotFoundError) as caught:
        client.proxy("c1", "GET", "/service/tickets")
    assert not isinstance(caught.value, PsaError)


def test_list_stops_on_a_repeated_cursor():
    page = httpx.Response(200, json={"items": [{"id": "a"}], "cursor": "same"})
    client = client_answering(page)
    with pytest.raises(MalformedResponseError, match="cursor"):
        list(client.list_connections())
