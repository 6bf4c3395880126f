"""The outbox's task: a thin shell around ``services.pending_change_apply``."""

from __future__ import annotations

from celery import shared_task

from psaportal.jobs import services as job_services
from psaportal.jobs.tasks import MembraneTask
from psaportal.records.changes import services


class ChangeTask(MembraneTask):
    """When the tries are used up, the change stays, failed with the reason and a retry
    button: what the user typed is never dropped."""

    def give_up(self, job_id, *args, error: str) -> None:
        services.pending_change_fail(change_id=args[0], error=error)
        job_services.job_fail(job_id=job_id, error=error)


@shared_task(base=ChangeTask, bind=True)
def apply_pending_change(self, job_id: int, change_id: int):
    """Apply one stored change to the PSA."""
    return services.pending_change_apply(change_id=change_id)
