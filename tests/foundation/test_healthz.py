"""/healthz: anonymous, JSON per check, 200 when healthy and 503 otherwise, no secrets."""

import pytest

from tests.fixtures.sandbox import unused_local_url

pytestmark = pytest.mark.django_db


def test_it_reports_each_check_for_an_anonymous_caller(client, sandbox, settings):
    settings.MEMBRANE_API_URL = sandbox.url
    response = client.get("/healthz?checks=database,membrane")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "membrane": {"ok": True}},
    }


def test_it_answers_503_when_membrane_is_unreachable(client, settings):
    settings.MEMBRANE_API_URL = unused_local_url()
    response = client.get("/healthz?checks=database,membrane")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["membrane"] == {"ok": False, "error": "ConnectError"}
    assert settings.MEMBRANE_API_URL.encode() not in response.content


def test_it_answers_503_without_secrets_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = unused_local_url().replace("http://", "redis://:hunter2-secret@")
    response = client.get("/healthz?checks=redis")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert b"hunter2" not in response.content
    assert b"127.0.0.1" not in response.content


def test_unknown_checks_are_a_bad_request_not_an_error(client):
    response = client.get("/healthz?checks=database,<script>")
    assert response.status_code == 400
    assert "database, redis, worker, membrane" in response.json()["error"]
    assert b"<script>" not in response.content


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.worker
def test_all_checks_pass_with_a_worker_and_fail_on_worker_when_none_answers(
    client, sandbox, settings, celery_worker_process, celery_worker
):
    settings.MEMBRANE_API_URL = sandbox.url
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert set(response.json()["checks"]) == {"database", "redis", "worker", "membrane"}

    celery_worker_process.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"] == {"ok": False, "error": "no Celery worker answered"}
    assert checks["redis"] == {"ok": True}
