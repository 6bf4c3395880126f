"""The outbox's task: a thin shell around ``services.pending_change_apply``."""

from __future__ import annotations

from celery import shared_task

from psaportal.jobs import services as job_services
from psaportal.jobs.tasks import MembraneTask
from psaportal.records.changes import services


class ChangeTask(MembraneTask):
    """What the user typed is never dropped. When the tries are used up on a cause that may
    pass (Membrane or the PSA down), the change waits, pending, for the background sweep
    (``resend_stalled_changes``); a refusal leaves it failed, with the reason and a retry."""

    resent_by_sweep = True

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        if passing:
            services.pending_change_wait(change_id=args[0], error=error)
        else:
            services.pending_change_fail(change_id=args[0], error=error)
        job_services.job_fail(job_id=job_id, error=error)


@shared_task(ignore_result=True)
def resend_stalled_changes():
    """Celery beat: send again the changes that wait (a cause that may pass, a lost worker
    or message)."""
    return services.pending_change_resend_stalled()


@shared_task(base=ChangeTask, bind=True)
def apply_pending_change(self, job_id: int, change_id: int):
    """Apply one stored change to the PSA."""
    return services.pending_change_apply(change_id=change_id, job_id=job_id)


class BulkChangeTask(MembraneTask):
    """A part of a bulk edit (its records ``first_psa_id``…``last_psa_id``): tried again
    from where it stopped (applied changes are not sent twice); when it gives up, its open
    changes wait for the sweep or fail with the reason. The job is the parts' together: the
    one that leaves nothing open ends it."""

    owns_job = False
    resent_by_sweep = True

    def give_up(self, job_id, *args, error: str, passing: bool = False) -> None:
        first_psa_id, last_psa_id = args if args else (None, None)
        services.bulk_changes_give_up(
            job_id=job_id,
            error=error,
            passing=passing,
            first_psa_id=first_psa_id,
            last_psa_id=last_psa_id,
        )
        job_services.job_fail(job_id=job_id, error=error)


@shared_task(base=BulkChangeTask, bind=True)
def apply_bulk_changes(
    self, job_id: int, first_psa_id: int | None = None, last_psa_id: int | None = None
):
    """Apply the open changes of a part of a bulk edit's job (all of them without a part)."""
    services.bulk_changes_apply(job_id=job_id, first_psa_id=first_psa_id, last_psa_id=last_psa_id)
