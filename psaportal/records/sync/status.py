"""What the sync status page shows: each kind's mirror and last sync, the syncs under way,
and the history of runs, read from the mirror and the sync bookkeeping."""

from __future__ import annotations

from django.db.models import Count

from psaportal.records import registry
from psaportal.records.models import SyncRun, SyncState
from psaportal.records.sync import services

HISTORY_ROWS = 50
STATUS_CLASSES = {
    SyncRun.Status.QUEUED: "queued",
    SyncRun.Status.RUNNING: "running",
    SyncRun.Status.FINISHING: "running",
    SyncRun.Status.SUCCEEDED: "succeeded",
    SyncRun.Status.FAILED: "failed",
    SyncRun.Status.REVIEW: "review",
}


def _took(run: SyncRun) -> str:
    seconds = run.duration_seconds
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def sync_history(*, connection, limit: int = HISTORY_ROWS) -> list[dict]:
    runs = SyncRun.objects.filter(connection=connection).order_by("-created_at", "-id")[:limit]
    return [
        {
            "started": run.started_at or run.created_at,
            "kind": run.kind,
            "mode": run.get_mode_display(),
            "status": run.get_status_display(),
            "status_class": STATUS_CLASSES.get(run.status, "queued"),
            "pages": f"{run.pages_done}/{run.pages_total}" if run.pages_total else "",
            "fetched": run.records_seen,
            "upserted": run.records_upserted,
            "deleted": run.records_deleted,
            "requests": run.requests,
            "took": _took(run),
            "error": run.error,
            "review": run.status == SyncRun.Status.REVIEW,
            "pk": run.pk,
        }
        for run in runs
    ]


def sync_jobs_running(*, connection) -> list:
    """The jobs of syncs still under way, newest first, one per job."""
    runs = (
        SyncRun.objects.filter(connection=connection, job__isnull=False)
        .exclude(status__in=services.ENDED_RUN)
        .select_related("job")
        .order_by("-created_at")[:20]
    )
    jobs = {}
    for run in runs:
        if not run.job.is_finished:
            jobs.setdefault(run.job_id, run.job)
    return list(jobs.values())


def sync_status(*, connection) -> dict:
    """Every kind (records and lookups) with its mirrored count and last sync time, the
    syncs under way and the history."""
    states = {
        state.kind: state.last_synced_at
        for state in SyncState.objects.filter(connection=connection)
    }
    kinds = []
    for kind in registry.KINDS:
        mirrored = kind.model.objects.filter(connection=connection).aggregate(n=Count("pk"))["n"]
        kinds.append(
            {
                "key": kind.key,
                "plural": kind.plural,
                "is_lookup": kind.is_lookup,
                "mirrored": mirrored,
                "last_synced_at": states.get(kind.key),
            }
        )
    return {
        "kinds": kinds,
        "record_kinds": registry.record_kinds(),
        "sync_page": True,
        "jobs": sync_jobs_running(connection=connection),
        "runs": sync_history(connection=connection),
    }


def sync_health(*, connection, runs_read: int = 200) -> list[dict]:
    """Each kind's last sync (when, how it ended, its error), for the admin's home page:
    two queries, the sync states and the newest runs."""
    states = {
        state.kind: state.last_synced_at
        for state in SyncState.objects.filter(connection=connection)
    }
    last_run: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(connection=connection).order_by("-created_at", "-id")[
        :runs_read
    ]:
        last_run.setdefault(run.kind, run)
    return [
        {
            "plural": kind.plural,
            "key": kind.key,
            "last_synced_at": states.get(kind.key),
            "run": last_run.get(kind.key),
            "failed": kind.key in last_run and last_run[kind.key].status == SyncRun.Status.FAILED,
            "review": kind.key in last_run and last_run[kind.key].status == SyncRun.Status.REVIEW,
        }
        for kind in registry.record_kinds()
    ]
