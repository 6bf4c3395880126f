"""Membrane failures become a readable message and a retry, never a 500."""

import pytest

from psaportal.connections.models import Connection
from psaportal.jobs.models import Job
from tests.connections.helpers import check, connect, current, page
from tests.fixtures.sandbox import point_membrane_at

pytestmark = pytest.mark.django_db


def test_membrane_down_shows_a_readable_error_and_a_retry(
    admin_client, membrane_down, django_capture_on_commit_callbacks, run_deferred
):
    response = connect(admin_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Job.objects.get().status == Job.Status.RUNNING  # waiting to try again
    run_deferred()
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert job.attempts == 6 and "gave up after 6 tries" in job.error
    response = page(admin_client)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Could not reach Membrane" in content
    assert f"Could not reach Membrane at {membrane_down}." in content
    assert 'name="intent" value="retry"' in content
    assert "Traceback" not in content


def test_wrong_credentials_are_explained(
    admin_client, wizard_sandbox, settings, django_capture_on_commit_callbacks
):
    point_membrane_at(settings, wizard_sandbox.url, "pat-wrong")
    connect(admin_client, django_capture_on_commit_callbacks)
    content = page(admin_client).content.decode()
    assert "Membrane refused PSA Portal&#x27;s credentials." in content
    assert "Try again" in content


def test_rate_limit_waits_as_asked_then_says_when_to_try_again(
    admin_client, wizard_sandbox, sandbox_faults, django_capture_on_commit_callbacks, run_deferred
):
    sandbox_faults(rate_limit_every=1, retry_after=7)
    connect(admin_client, django_capture_on_commit_callbacks)
    content = page(admin_client).content.decode()
    assert "Trying again in 7 s (attempt 2 of 6)." in content
    assert wizard_sandbox.stats()["api_requests"] == 1  # nothing sent before the wait is over

    run_deferred()
    content = page(admin_client).content.decode()
    assert "too many requests right now. Try again in 7 seconds." in content
    assert wizard_sandbox.stats()["api_requests"] == 6


def test_server_error_while_checking_keeps_the_connection_and_shows_the_error(
    admin_client, wizard_sandbox, sandbox_faults, django_capture_on_commit_callbacks, run_deferred
):
    connect(admin_client, django_capture_on_commit_callbacks)
    sandbox_faults(error_every=1, error_status=503)
    check(admin_client, django_capture_on_commit_callbacks)
    run_deferred()
    assert current().state == Connection.State.CLIENT_ACTION_REQUIRED
    content = page(admin_client).content.decode()
    assert "Membrane had a temporary problem." in content
    error_card = content.split('class="state-card state-error membrane-error"')[1]
    error_card = error_card.split("</article>")[0]
    assert 'action="/connection/check/"' in error_card  # "Try again" checks again
    assert "Sign in to ConnectWise PSA" in content  # the last known state stays visible

    wizard_sandbox.clear_faults()
    check(admin_client, django_capture_on_commit_callbacks)
    content = page(admin_client).content.decode()
    assert "temporary problem" not in content
    assert "Sign in to ConnectWise PSA" in content


def test_a_connection_membrane_forgot_asks_to_connect_again(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    wizard_sandbox.reset()
    check(admin_client, django_capture_on_commit_callbacks)
    content = page(admin_client).content.decode()
    assert "Membrane no longer knows this connection; connect again." in content
