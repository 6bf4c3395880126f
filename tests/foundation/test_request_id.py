"""A request id on every response and log line, carried into the tasks a request queues."""

import logging

import pytest
from celery import shared_task
from celery.signals import before_task_publish

from psaportal.jobs import tasks
from psaportal.request_id import RequestIdFilter, current_request_id

SEEN_IN_TASK: list[str] = []


@shared_task
def remember_request_id():
    SEEN_IN_TASK.append(current_request_id.get())


def test_each_response_gets_a_new_id(client):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_proxy_id_is_kept_and_an_odd_one_replaced(client):
    assert client.get("/login/", headers={"X-Request-ID": "lb-1234.5"})["X-Request-ID"] == (
        "lb-1234.5"
    )
    odd = client.get("/login/", headers={"X-Request-ID": "x" * 65})["X-Request-ID"]
    assert odd != "x" * 65 and len(odd) == 32


def test_log_records_carry_the_current_id():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    token = current_request_id.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request_id.reset(token)
    assert record.request_id == "req-42"


def test_a_task_takes_the_id_from_its_message_headers():
    SEEN_IN_TASK.clear()
    remember_request_id.apply(headers={"request_id": "from-the-web"})
    remember_request_id.apply()
    assert SEEN_IN_TASK[0] == "from-the-web"
    assert len(SEEN_IN_TASK[1]) == 32  # beat's tasks get one of their own
    assert current_request_id.get() == ""  # and it ends with the task


def test_a_task_run_in_process_keeps_the_request_id():
    SEEN_IN_TASK.clear()
    token = current_request_id.set("the-request")
    try:
        remember_request_id.apply()
        assert current_request_id.get() == "the-request"
    finally:
        current_request_id.reset(token)
    assert SEEN_IN_TASK == ["the-request"]


@pytest.mark.worker
def test_a_queued_task_carries_the_id_in_its_headers(celery_worker):
    sent = []

    def capture(headers=None, **kwargs):
        sent.append(headers.get("request_id"))

    before_task_publish.connect(capture, weak=False)
    token = current_request_id.set("queued-by-req")
    try:
        tasks.worker_selftest.apply_async((0, 0, 0))  # no such job: the task does nothing
    finally:
        current_request_id.reset(token)
        before_task_publish.disconnect(capture)
    assert sent == ["queued-by-req"]
