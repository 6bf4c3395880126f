"""The one base of every background task that reports to a Job (and may call Membrane),
and the worker self-test job."""

from __future__ import annotations

import logging
import random
import time

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from psaportal.connections.client import describe_error
from psaportal.jobs import dispatch, services
from psaportal.membrane import MembraneError

logger = logging.getLogger(__name__)


def retry_countdown(*, error: MembraneError, attempt: int) -> float:
    """Seconds before try ``attempt + 1``: the server's Retry-After when it sent one (capped),
    otherwise exponential backoff with jitter, capped."""
    if error.retry_after is not None:
        return min(max(float(error.retry_after), 0.0), settings.TASK_RETRY_AFTER_MAX_SECONDS)
    backoff = settings.TASK_RETRY_BACKOFF_SECONDS * 2**attempt
    return min(backoff, settings.TASK_RETRY_BACKOFF_MAX_SECONDS) * random.uniform(0.75, 1.25)


class MembraneTask(Task):
    """A task whose first argument is a Job id, run the same way on a worker and in-process.

    - A Membrane error that may pass (429 with its Retry-After, 5xx, timeouts, dropped
      connections) is tried again later with backoff, up to ``TASK_MAX_ATTEMPTS`` tries;
      the job says why it waits and when it tries again. The task is sent again with
      ``dispatch.send``, so no worker and no request sleeps.
    - Any other failure, or the last try, ends the work with ``give_up``: by default the job
      fails with the error in words the user can act on.
    - ``owns_job`` tasks are the whole job: they skip a job already finished (running twice
      does no harm), count each attempt on it, and mark it succeeded with the summary the
      body returns (a string, or a ``(summary, result)`` pair). A step of a longer job (a
      sync page, a connection poll) sets ``owns_job = False`` and reports for itself.
    - Soft and hard time limits come from settings (``CELERY_TASK_SOFT_TIME_LIMIT``, …).
    - ``resent_by_sweep`` tasks leave their work in the database, where a beat sweep finds
      it and sends it again when its message is lost (a lost worker, Redis restarted).
    """

    abstract = True
    acks_late = True
    owns_job = True
    resent_by_sweep = False

    def __call__(self, job_id, *args, **kwargs):
        with dispatch.chain_in_process():
            worker = "" if self.request.is_eager else (self.request.hostname or "")
            if self.owns_job and not services.job_mark_running(job_id=job_id, worker=worker):
                return None
            try:
                outcome = self.run(job_id, *args, **kwargs)
            except MembraneError as error:
                self._retry_or_give_up(job_id, args, error)
                return None
            except SoftTimeLimitExceeded:
                self.give_up(
                    job_id,
                    *args,
                    error=f"This took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s "
                    "and was stopped. Try again; if it keeps happening, tell an admin.",
                    passing=True,
                )
                return None
            except services.JobProblem as problem:
                self.give_up(job_id, *args, error=str(problem))
                return None
            except Exception as error:  # noqa: BLE001 - recorded on the job for the user
                logger.exception("task %s failed for job %s", self.name, job_id)
                self.give_up(job_id, *args, error=describe_error(error))
                return None
            if self.owns_job:
                summary, result = outcome if isinstance(outcome, tuple) else (outcome or "", None)
                services.job_succeed(job_id=job_id, summary=summary, result=result)
            return None

    def _retry_or_give_up(self, job_id, args, error: MembraneError) -> None:
        attempt = self.request.retries or 0  # tries made before this one
        attempts = settings.TASK_MAX_ATTEMPTS
        if not error.retryable or attempt + 1 >= attempts:
            tries = f" (gave up after {attempt + 1} tries)" if error.retryable else ""
            self.give_up(
                job_id, *args, error=describe_error(error) + tries, passing=error.retryable
            )
            return
        countdown = retry_countdown(error=error, attempt=attempt)
        services.job_note_retry(
            job_id=job_id,
            error=error.message,
            countdown=countdown,
            attempt=attempt + 1,
            attempts=attempts,
        )
        dispatch.send(self, job_id, *args, countdown=countdown, retries=attempt + 1)

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        """The work cannot be done: record ``error`` where the user will see it. ``passing``:
        the cause may pass (tries used up on 429s, 5xx or timeouts), as opposed to a refusal."""
        services.job_fail(job_id=job_id, error=error)


@shared_task(base=MembraneTask, bind=True)
def worker_selftest(
    self, job_id: int, steps: int = 5, step_seconds: float = 0.2, fail_with: str = ""
):
    """Proves the queue and a worker are alive: counts steps, reporting progress."""
    services.job_progress(job_id=job_id, done=0, total=steps)
    for step in range(1, steps + 1):
        time.sleep(step_seconds)
        if fail_with and step == steps:
            raise services.JobProblem(fail_with)
        services.job_progress(job_id=job_id, done=step)
    return f"The worker answered: {steps} steps done."
