"""Reading the Job table, and telling stuck or dead work."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from psaportal.celery import app as celery_app
from psaportal.jobs.models import Job

#: Seconds the job page waits for a running job's worker to answer.
WORKER_PING_SECONDS = 1.0


def stalled_after() -> timedelta:
    """How long work (a job, a pending change) may go without news before it has stalled:
    the Job pages show it stuck and the beat sweeps send it again. The setting
    ``JOB_STALLED_AFTER_SECONDS``, but never less than a task may run (it is killed at its
    hard limit) plus the longest wait for a retry, so that work under way is never taken
    for lost."""
    floor = settings.CELERY_TASK_TIME_LIMIT + settings.TASK_RETRY_AFTER_MAX_SECONDS
    return timedelta(seconds=max(settings.JOB_STALLED_AFTER_SECONDS, floor))


def jobs_stuck(*, limit: int = 5) -> list[Job]:
    """Unfinished jobs with no news for a while: a lost worker, or no worker at all."""
    now = timezone.now()
    return list(
        Job.objects.filter(
            status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
            updated_at__lt=now - stalled_after(),
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
    if now - job.updated_at > stalled_after():
        seconds = stalled_after().total_seconds()
        if job.status == Job.Status.QUEUED:
            return f"It has waited in the queue for over {seconds:.0f} s: is a worker running?"
        return (
            f"It has been running with no progress for over {seconds:.0f} s, longer than a "
            f"task may run and wait for a retry: its worker was probably lost."
        )
    if ask_worker and job.status == Job.Status.RUNNING and job.worker:
        answers = celery_app.control.ping(
            destination=[job.worker], timeout=WORKER_PING_SECONDS, limit=1
        )
        if not answers:
            return f"Its worker ({job.worker}) no longer answers."
    return ""
