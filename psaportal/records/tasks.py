"""Celery tasks of the records sync: thin shells around services.py.

``sync_advance`` starts a job's next kind; ``sync_run_start`` counts and queues page 1;
``sync_page`` fetches one page, queues the next one for any free worker, then stores its
own. A PSA request that fails in passing (429, 5xx, no answer) is retried by a task retry
with a countdown taken from Retry-After (or an exponential backoff), so no worker sleeps.

Without Redis (eager mode) tasks run in-process: there a run's pages are taken in a loop
(one page in memory at a time, no deep recursion) and a wait is a plain sleep.
"""

from __future__ import annotations

import functools
import logging
import time

from celery import shared_task
from celery.exceptions import Retry

from psaportal.jobs.tasks import JobTask
from psaportal.membrane import MembraneError
from psaportal.records import services
from psaportal.records.models import SyncRun

logger = logging.getLogger(__name__)

#: Marks a run given up (its error is recorded) by ``_with_retries``.
GIVE_UP = object()


def _with_retries(task, call, *, run_id: int, page_number: int | None = None):
    """``call(attempt)`` (it makes a PSA request); retry a passing failure later.

    Returns what ``call`` returns, or ``GIVE_UP`` once the run has been failed with the
    error (not retryable, or tried ``MAX_ATTEMPTS`` times).
    """
    attempt = 0 if task.request.is_eager else task.request.retries
    while True:
        try:
            return call(attempt)
        except MembraneError as error:
            if not error.retryable or attempt + 1 >= services.MAX_ATTEMPTS:
                services.sync_run_fail(
                    run_id=run_id, error=services.describe_error(error), page_number=page_number
                )
                return GIVE_UP
            countdown = services.retry_countdown(error=error, attempt=attempt)
            services.sync_note_wait(run_id=run_id, error=error, countdown=countdown)
            if not task.request.is_eager:
                raise task.retry(countdown=countdown) from error
            time.sleep(countdown)
            attempt += 1


def _run_ended(task, run_id: int) -> None:
    """A run is over: let its job go on (in eager mode the ``sync_advance`` loop does)."""
    if task.request.is_eager:
        return
    job_id = services.sync_run_job_id(run_id=run_id)
    if job_id is not None:
        sync_advance.delay(job_id)


def _fail_unexpected(run_id: int, error: Exception, page_number: int | None = None) -> None:
    logger.exception("sync run %s failed", run_id)
    services.sync_run_fail(
        run_id=run_id, error=services.describe_error(error), page_number=page_number
    )


@shared_task(bind=True, acks_late=True, ignore_result=True)
def sync_advance(self, job_id: int):
    """Start the job's next queued kind, or finish the job when none is left."""
    started: set[int] = set()
    while True:
        run_id = services.sync_job_next_run(job_id=job_id)
        if run_id is None:
            return
        if run_id in started:
            # Eager mode only: the run did not move on; never loop on it.
            services.sync_run_fail(run_id=run_id, error="The sync run could not be started.")
            continue
        started.add(run_id)
        sync_run_start.delay(run_id)
        if not self.request.is_eager:
            return


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=services.MAX_ATTEMPTS)
def sync_run_start(self, run_id: int):
    """Begin a run (a full sync counts first) and queue its first page."""
    try:
        number = _with_retries(
            self,
            lambda attempt: services.sync_run_begin(run_id=run_id, resuming=attempt > 0),
            run_id=run_id,
        )
    except Retry:
        raise
    except Exception as error:  # noqa: BLE001 - recorded on the run, shown on the job
        _fail_unexpected(run_id, error)
        number = GIVE_UP
    if number is None or number is GIVE_UP:
        status = SyncRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED):
            _run_ended(self, run_id)
        return
    sync_page.delay(run_id, number)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=services.MAX_ATTEMPTS)
def sync_page(self, run_id: int, number: int):
    """Fetch page ``number`` of a run, hand the next page on, store this one."""
    eager = self.request.is_eager
    while number is not None:
        try:
            work = _with_retries(
                self,
                functools.partial(_fetch, run_id=run_id, number=number),
                run_id=run_id,
                page_number=number,
            )
            if work is None:
                return
            if work is GIVE_UP:
                _run_ended(self, run_id)
                return
            next_number, created = services.sync_page_claim_next(work=work)
            if created and not eager:
                sync_page.delay(run_id, next_number)
            finished = services.sync_page_store(work=work)
            del work
        except Retry:
            raise
        except Exception as error:  # noqa: BLE001 - recorded on the run, shown on the job
            _fail_unexpected(run_id, error, page_number=number)
            _run_ended(self, run_id)
            return
        if finished:
            _run_ended(self, run_id)
            return
        number = next_number if eager else None


def _fetch(attempt: int, *, run_id: int, number: int):
    return services.sync_page_fetch(run_id=run_id, number=number)


@shared_task(ignore_result=True)
def sync_scheduled():
    """Celery beat: incremental sync of every kind (full for kinds never synced)."""
    job = services.sync_scheduled_start()
    return job.pk if job is not None else None


@shared_task(base=JobTask, bind=True, max_retries=3)
def record_refresh(self, job_id: int, connection_id: int, kind: str, psa_id: int):
    """Re-fetch one record live from the PSA into the mirror."""
    try:
        return services.record_refresh_run(connection_id=connection_id, kind=kind, psa_id=psa_id)
    except MembraneError as error:
        if error.retryable and not self.request.is_eager and self.request.retries < 3:
            countdown = services.retry_countdown(error=error, attempt=self.request.retries)
            raise self.retry(countdown=countdown) from error
        raise services.SyncProblem(services.describe_error(error)) from error
