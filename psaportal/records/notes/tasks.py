"""The ticket notes refresh task: a thin shell around ``services.notes_refresh_run``."""

from __future__ import annotations

from celery import shared_task

from psaportal.jobs.tasks import MembraneTask
from psaportal.records.notes import services


@shared_task(base=MembraneTask, bind=True)
def ticket_notes_refresh(self, job_id: int, connection_id: int, ticket_id: int):
    """Read a ticket's notes live from the PSA into the mirror."""
    return services.notes_refresh_run(connection_id=connection_id, ticket_id=ticket_id)
