"""Reading where syncing stands: watermarks, the sync history, the job in progress.

All of it comes from our own tables; nothing here talks to Membrane.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import SyncPage, SyncRun, SyncState


def sync_state(*, connection, kind: str) -> SyncState | None:
    return SyncState.objects.filter(connection=connection, kind=kind).first()


def sync_states(*, connection) -> dict[str, SyncState]:
    """Each kind's sync state, by registry key (kinds never synced are missing)."""
    return {state.kind: state for state in SyncState.objects.filter(connection=connection)}


def last_synced_at(*, connection, kind: str) -> datetime | None:
    """When a sync of ``kind`` last finished (full or incremental), or None."""
    state = sync_state(connection=connection, kind=kind)
    return state.last_synced_at if state is not None else None


def sync_runs(*, connection, kind: str | None = None, limit: int = 50) -> QuerySet[SyncRun]:
    """The sync history, newest first: counts, timings and errors of each run."""
    runs = SyncRun.objects.filter(connection=connection).select_related("job", "started_by")
    if kind:
        runs = runs.filter(kind=kind)
    return runs.order_by("-created_at", "-id")[: max(1, min(int(limit), 500))]


def sync_run_latest(*, connection, kind: str) -> SyncRun | None:
    return SyncRun.objects.filter(connection=connection, kind=kind).order_by("-created_at").first()


def sync_run_pages(*, run: SyncRun) -> QuerySet[SyncPage]:
    return run.pages.order_by("number")


def sync_job_active(*, connection) -> Job | None:
    """The sync job still queued or running for this connection, if any."""
    from psaportal.records.services import SYNC_JOB

    return (
        Job.objects.filter(
            kind=SYNC_JOB,
            sync_runs__connection=connection,
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        )
        .order_by("-created_at")
        .distinct()
        .first()
    )


def mirror_counts(*, connection) -> dict[str, int]:
    """How many records of each kind the mirror holds."""
    return {
        kind.key: kind.model.objects.filter(connection=connection).count()
        for kind in registry.KINDS
    }


def sync_overview(*, connection) -> list[dict]:
    """One row per kind (lookups last): mirrored count, watermark, last sync and last run."""
    states = sync_states(connection=connection)
    counts = mirror_counts(connection=connection)
    latest: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(connection=connection).order_by("-created_at", "-id")[:500]:
        latest.setdefault(run.kind, run)
    rows = []
    for key in registry.sync_order():
        kind = registry.get_kind(key)
        state = states.get(key)
        rows.append(
            {
                "kind": kind,
                "count": counts.get(key, 0),
                "state": state,
                "watermark": state.watermark if state else None,
                "last_synced_at": state.last_synced_at if state else None,
                "last_run": latest.get(key),
            }
        )
    return rows
