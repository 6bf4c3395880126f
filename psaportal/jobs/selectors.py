"""Reading the Job table, and telling stuck or dead work."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from psaportal.celery import app as celery_app
from psaportal.jobs.models import Job

#: A job that has not moved for this long, and is not waiting for a retry, looks stuck.
STUCK_AFTER = timedelta(minutes=15)
#: Seconds the job page waits for a running job's worker to answer.
WORKER_PING_SECONDS = 1.0


def _running_too_long() -> timedelta:
    # Longer than a task may run (it is killed at its hard limit) plus the longest wait for a
    # retry: no news for longer means no task is working on it.
    return timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT + settings.TASK_RETRY_AFTER_MAX_SECONDS
    )


def jobs_stuck(*, limit: int = 5) -> list[Job]:
    """Unfinished jobs with no news for a while: a lost worker, or no worker at all."""
    now = timezone.now()
    return list(
        Job.objects.filter(
            Q(status=Job.Status.QUEUED, updated_at__lt=now - STUCK_AFTER)
            | Q(status=Job.Status.RUNNING, updated_at__lt=now - _running_too_long())
        )
        .filter(Q(deferred_until__isnull=True) | Q(deferred_until__lt=now))
        .order_by("updated_at")[:limit]
    )


def job_stuck_reason(*, job: Job, ask_worker: bool = False) -> str:
    """Why ``job`` looks stuck, in words, or "" when it does not. ``ask_worker``: also ping
    a running job's worker (up to a second), as the job page does on a full load."""
    if job.is_finished:
        return ""
    now = timezone.now()
    if job.deferred_until is not None and job.deferred_until >= now:
        return ""  # waiting for its retry, as it says
    quiet = now - job.updated_at
    if job.status == Job.Status.RUNNING and quiet > _running_too_long():
        seconds = _running_too_long().total_seconds()
        return (
            f"It has been running with no progress for longer than a task may run and wait "
            f"for a retry ({seconds:.0f} s): its worker was probably lost."
        )
    if job.status == Job.Status.QUEUED and quiet > STUCK_AFTER:
        return "It has waited in the queue for a long time: is a worker running?"
    if ask_worker and job.status == Job.Status.RUNNING and job.worker:
        answers = celery_app.control.ping(
            destination=[job.worker], timeout=WORKER_PING_SECONDS, limit=1
        )
        if not answers:
            return f"Its worker ({job.worker}) no longer answers."
    return ""
