"""The base class every job task uses, and the worker self-test job."""

import time

from celery import Task, shared_task

from psaportal.jobs import services
from psaportal.jobs.models import Job


class JobTask(Task):
    """A task whose first argument is a Job id; keeps that Job row's status in step.

    The body returns a summary string, or a (summary, result) pair. A task that finds its
    job already finished does nothing, so running it twice does no harm.
    """

    abstract = True
    acks_late = True
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5

    def __call__(self, job_id, *args, **kwargs):
        job = Job.objects.filter(pk=job_id).only("status").first()
        if job is None or job.is_finished:
            return None
        services.job_mark_running(job_id=job_id)
        outcome = self.run(job_id, *args, **kwargs)
        summary, result = outcome if isinstance(outcome, tuple) else (outcome or "", None)
        services.job_succeed(job_id=job_id, summary=summary, result=result)
        return None

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        services.job_note_retry(job_id=args[0], error=str(exc), countdown=None)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        services.job_fail(job_id=args[0], error=str(exc))


@shared_task(base=JobTask, bind=True)
def worker_selftest(
    self, job_id: int, steps: int = 5, step_seconds: float = 0.2, fail_with: str = ""
):
    """Proves the queue and a worker are alive: counts steps, reporting progress."""
    services.job_progress(job_id=job_id, done=0, total=steps)
    for step in range(1, steps + 1):
        time.sleep(step_seconds)
        if fail_with and step == steps:
            raise RuntimeError(fail_with)
        services.job_progress(job_id=job_id, done=step)
    return f"The worker answered: {steps} steps done."
