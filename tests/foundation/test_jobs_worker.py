"""A Job through Redis and a real Celery worker process: queued -> running -> finished."""

import time

import pytest
from django.db import transaction

from psaportal.jobs import services, tasks
from psaportal.jobs.models import Job

pytestmark = pytest.mark.worker


def _watch(job_id: int, seconds: float = 30) -> list[str]:
    """The statuses the Job row went through, as seen by polling it."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.is_finished:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish; saw {seen}")


def test_job_succeeds_through_the_worker(celery_worker, admin):
    with transaction.atomic():  # the task is sent only when this commits
        job = services.job_start(
            kind="worker_selftest",
            label="check",
            user=admin,
            task=tasks.worker_selftest,
            args=(4, 0.25),
        )
        assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    seen = _watch(job.pk)
    assert seen[-2:] == ["running", "succeeded"]
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (4, 4)
    assert job.summary == "The worker answered: 4 steps done."
    assert job.started_at <= job.finished_at
    assert job.attempts == 1


def test_failing_job_ends_failed_with_its_message(celery_worker, admin):
    job = services.job_start(
        kind="worker_selftest",
        label="check",
        user=admin,
        task=tasks.worker_selftest,
        args=(2, 0.1, "disk on fire"),
    )
    seen = _watch(job.pk)
    assert seen[-1] == "failed"
    job.refresh_from_db()
    assert job.error == "disk on fire"
    assert job.progress_done == 1
