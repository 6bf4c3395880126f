"""Celery tasks of the records sync: thin shells around services.py.

A sync job runs as a chain of small tasks, each taking the job id first: ``sync_advance``
starts the job's next kind; ``sync_run_start`` begins that kind's run (a full sync counts
first) and sends page 1; ``sync_page`` fetches one page, sends the next one to any free
worker, then stores its own; ``resume_stalled_syncs`` (beat) sends again the steps of a
job that stopped making progress. Retries, time limits and in-process running are the task
base's (``MembraneTask``), the same for every task that calls Membrane.
"""

from __future__ import annotations

import contextlib
import gc

from celery import shared_task

from psaportal.jobs import dispatch
from psaportal.jobs.tasks import MembraneTask
from psaportal.records.sync import services


class SyncStepTask(MembraneTask):
    """A step of a sync job. One that cannot be done fails its run (its kind), and the job
    goes on with its next kind; the job ends failed, naming the kinds that failed."""

    owns_job = False
    resent_by_sweep = True  # sync_resume_stalled

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        run_id, page_number = args[0], (args[1] if len(args) > 1 else None)
        services.sync_run_fail(run_id=run_id, error=error, page_number=page_number)
        dispatch.send(sync_advance, job_id)


@shared_task(base=MembraneTask, bind=True, owns_job=False, resent_by_sweep=True)
def sync_advance(self, job_id: int):
    """Start the job's next queued kind, or finish the job when none is left."""
    run_id = services.sync_job_next_run(job_id=job_id)
    if run_id is not None:
        dispatch.send(sync_run_start, job_id, run_id)


@shared_task(base=SyncStepTask, bind=True)
def sync_run_start(self, job_id: int, run_id: int):
    """Begin a run (a full sync counts first) and send its first page."""
    number = services.sync_run_begin(run_id=run_id, resuming=self.request.retries > 0)
    if number is not None:
        dispatch.send(sync_page, job_id, run_id, number)
    elif services.sync_run_ended(run_id=run_id):
        dispatch.send(sync_advance, job_id)


@shared_task(base=SyncStepTask, bind=True)
def sync_page(self, job_id: int, run_id: int, number: int):
    """Fetch page ``number`` of a run, send the next page on, store this one."""
    # The page is freed as _sync_page returns: before the collector is back on, so it never
    # walks the page's objects.
    with _without_garbage_collection():
        _sync_page(job_id, run_id, number)


def _sync_page(job_id: int, run_id: int, number: int) -> None:
    work = services.sync_page_fetch(run_id=run_id, number=number)
    if work is None:
        return
    next_number, created = services.sync_page_claim_next(work=work)
    if created:
        dispatch.send(sync_page, job_id, run_id, next_number)
    if services.sync_page_store(work=work):
        dispatch.send(sync_advance, job_id)


@contextlib.contextmanager
def _without_garbage_collection():
    """No cyclic garbage collection while a page is fetched and stored.

    A page parses into ~100,000 objects, and the collector would walk them again and again
    as they age, for nothing: parsed JSON holds no cycles, and reference counting frees the
    page when the task ends. Measured on real pages: a fifth of the time to parse and map one.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@shared_task(ignore_result=True)
def sync_scheduled():
    """Celery beat: incremental sync of every kind (full for kinds never synced)."""
    job = services.sync_scheduled_start()
    return job.pk if job is not None else None


@shared_task(ignore_result=True)
def sweep_scheduled():
    """Celery beat: an id sweep of every kind, to notice records deleted in the PSA."""
    job = services.sweep_scheduled_start()
    return job.pk if job is not None else None


@shared_task(ignore_result=True)
def resume_stalled_syncs():
    """Celery beat: send again the work of sync jobs that stopped making progress (a lost
    worker or message, Redis restarted without its queue)."""
    return services.sync_resume_stalled()


@shared_task(base=MembraneTask, bind=True)
def record_refresh(self, job_id: int, connection_id: int, kind_key: str, psa_id: int):
    """Re-fetch one record live from the PSA into the mirror."""
    return services.record_refresh_run(
        connection_id=connection_id, kind_key=kind_key, psa_id=psa_id
    )
