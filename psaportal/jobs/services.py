"""Starting background work and reporting its progress, always through the Job row."""

from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.jobs import dispatch
from psaportal.jobs.models import Job

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


class JobProblem(Exception):
    """A failure in words the user can act on; it becomes the job's error as it is."""


def job_start(
    *, kind: str, label: str, user, task, args=(), result_url="", parts: list | None = None
) -> Job:
    """Create a queued Job and send `task(job.id, *args)` once the row is committed. With
    ``parts`` (argument tuples), `task(job.id, *part)` for each instead: work split for the
    worker processes to share."""
    parts = [list(args)] if parts is None else [list(part) for part in parts]
    job = Job.objects.create(
        kind=kind,
        label=label,
        result_url=result_url,
        started_by=user if user is not None and user.is_authenticated else None,
        task_name=task.name,
        task_parts=parts,
    )
    _send_parts(job=job, task=task)
    return job


def _send_parts(*, job: Job, task) -> None:
    for part in job.task_parts:
        transaction.on_commit(partial(_send_or_report, task, job.id, *part))


#: What a job says when its task could not be queued.
QUEUE_DOWN = "The task queue (Redis) could not be reached."


def _send_or_report(task, job_id: int, *args) -> None:
    """Send a job's task; when the broker is down, say so on the job: it waits for the
    background sweep when its task is one the sweep sends again (``resent_by_sweep``),
    otherwise the task gives up (the job and its console row fail) and the user can try
    again."""
    if dispatch.send(task, job_id, *args):
        return
    if task.resent_by_sweep:
        job_progress(
            job_id=job_id, done=0, summary=f"{QUEUE_DOWN} It will be sent in the background."
        )
    else:
        task.give_up(job_id, *args, error=f"{QUEUE_DOWN} Nothing was started; try again.")


def job_mark_running(*, job_id: int, worker: str = "") -> bool:
    """Count one more attempt at an unfinished job, on ``worker`` (a Celery node name);
    False when it is finished or gone."""
    now = timezone.now()
    marked = Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(
        status=Job.Status.RUNNING, attempts=F("attempts") + 1, updated_at=now, worker=worker
    )
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return bool(marked)


def job_progress(
    *, job_id: int, done: int, total: int | None = None, summary: str | None = None
) -> None:
    fields = {"progress_done": done, "updated_at": timezone.now()}
    if total is not None:
        fields["progress_total"] = total
    if summary is not None:
        fields["summary"] = summary[:500]
    Job.objects.filter(pk=job_id).update(**fields)


def job_succeed(*, job_id: int, summary: str = "", result=None) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED,
        summary=summary[:500],
        result=result,
        error="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def job_fail(*, job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED,
        error=error or "The task failed without a message.",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def job_note_retry(
    *, job_id: int, error: str, countdown: float, attempt: int, attempts: int
) -> None:
    """Say on an unfinished job why it waits, and when and how often it tries again."""
    when = f"in {countdown:.0f} s" if countdown >= 1 else "now"
    summary = f"{error} Trying again {when} (attempt {attempt + 1} of {attempts})."
    Job.objects.filter(pk=job_id, status__in=UNFINISHED).update(
        summary=summary[:500], updated_at=timezone.now()
    )


@transaction.atomic
def job_requeue(*, job: Job, user) -> bool:
    """Send a stuck job's work again (an admin's choice, audited); False when it finished
    or changed meanwhile, or it was started before jobs kept what they sent."""
    task = current_app.tasks.get(job.task_name)
    if task is None or job.task_parts is None:
        return False
    claimed = Job.objects.filter(
        pk=job.pk, status__in=UNFINISHED, updated_at=job.updated_at
    ).update(
        status=Job.Status.QUEUED,
        summary=f"Sent again by {user.get_username()}: it looked stuck.",
        worker="",
        updated_at=timezone.now(),
    )
    if not claimed:
        return False
    _send_parts(job=job, task=task)
    record_audit(user=user, action="job.requeue", target_type="job", target_id=job.pk,
                 summary=f"Sent again: {job.label or job.kind}")  # fmt: skip
    return True


@transaction.atomic
def job_mark_failed(*, job: Job, user) -> bool:
    """End a stuck job as failed (an admin's choice, audited); False when it finished or
    changed meanwhile."""
    claimed = Job.objects.filter(
        pk=job.pk, status__in=UNFINISHED, updated_at=job.updated_at
    ).update(
        status=Job.Status.FAILED,
        error=f"Marked failed by {user.get_username()}: it was stuck.",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if claimed:
        record_audit(user=user, action="job.mark_failed", target_type="job", target_id=job.pk,
                     summary=f"Marked failed: {job.label or job.kind}")  # fmt: skip
    return bool(claimed)
