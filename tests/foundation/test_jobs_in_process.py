"""In-process mode (no broker): a chain of tasks is a loop, and a wait is kept on the job
until a page's poll, or the person, runs it."""

import inspect
from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone

from psaportal.connections.models import Connection
from psaportal.jobs import dispatch
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.jobs.tasks import MembraneTask
from psaportal.membrane import RateLimitError
from tests.connections.helpers import connect

pytestmark = pytest.mark.django_db
DEPTHS: list[int] = []


@shared_task(base=MembraneTask, bind=True, owns_job=False)
def chain_link(self, job_id: int, left: int):
    DEPTHS.append(len(inspect.stack(0)))
    if left:
        dispatch.send(chain_link, job_id, left - 1)


@shared_task(base=MembraneTask, bind=True)
def slowed_down(self, job_id: int):
    if self.request.retries < 2:
        raise RateLimitError(retry_after=30)
    return f"Done after {self.request.retries} waits."


def test_a_chain_of_tasks_runs_as_a_loop_not_nested_calls():
    job = Job.objects.create(kind="test")
    DEPTHS.clear()
    dispatch.send(chain_link, job.pk, 300)
    assert len(DEPTHS) == 301
    # The first link runs from send(); every later one from the loop around it, all as deep
    # as the second: 300 nested calls would be thousands of frames.
    assert set(DEPTHS[1:]) == {DEPTHS[1]} and DEPTHS[1] - DEPTHS[0] < 10


def test_a_wait_is_kept_on_the_job_and_run_when_due():
    job = Job.objects.create(kind="test")
    dispatch.send(slowed_down, job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert job.deferred_task == {"name": slowed_down.name, "args": [job.pk], "retries": 1}
    wait = (job.deferred_until - timezone.now()).total_seconds()
    assert 28 < wait <= 30  # the server's Retry-After
    assert "Trying again in 30 s (attempt 2 of 6)." in job.summary

    assert dispatch.resume_due() == 0  # not due yet
    assert dispatch.resume_due(now=timezone.now() + timedelta(seconds=31)) == 1
    job.refresh_from_db()
    assert job.deferred_task["retries"] == 2 and job.attempts == 2

    assert dispatch.resume_due(job_id=job.pk) == 1  # "try again now" does not wait
    job.refresh_from_db()
    assert (job.status, job.summary, job.deferred_task) == (
        Job.Status.SUCCEEDED,
        "Done after 2 waits.",
        None,
    )


def test_the_job_poll_runs_a_due_retry_and_try_now_runs_it_early(technician_client, technician):
    job = job_services.job_start(kind="test", label="Slow", user=technician, task=slowed_down)
    dispatch.send(slowed_down, job.pk)
    Job.objects.filter(pk=job.pk).update(deferred_until=timezone.now() - timedelta(seconds=1))

    poll = technician_client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert "attempt 3 of 6" in poll.content.decode()
    assert "Try again now" in poll.content.decode()

    answer = technician_client.post(f"/jobs/{job.pk}/try-now/", headers={"HX-Request": "true"})
    assert "Done after 2 waits." in answer.content.decode()
    assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED


def test_try_now_is_refused_for_someone_elses_job(technician_client, make_member):
    other = make_member("technician", username="other")
    job = Job.objects.create(kind="test", started_by=other)
    dispatch.send(slowed_down, job.pk)
    assert technician_client.post(f"/jobs/{job.pk}/try-now/").status_code == 404
    assert technician_client.get(f"/jobs/{job.pk}/try-now/").status_code == 405
    assert Job.objects.get(pk=job.pk).deferred_task["retries"] == 1


def test_the_connect_page_poll_picks_up_the_connection_poller(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    """In-process, the poller's next look at Membrane waits on the job; the page runs it."""
    connect(admin_client, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job.deferred_task["name"].endswith("connection_watch")
    wizard_sandbox.connection_step(Connection.objects.get().membrane_id, "authorize")
    Job.objects.filter(pk=job.pk).update(deferred_until=timezone.now())

    page = admin_client.get("/connection/", headers={"HX-Request": "true"}).content.decode()
    assert "Connected" in page
