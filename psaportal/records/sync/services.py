"""Syncing the mirror: starting sync jobs, running their kinds page by page, finishing them.

A sync job (one ``Job`` row) holds one ``SyncRun`` per record kind, run one kind after
another in ``registry.sync_order()``. A run is a chain of page tasks (``SyncPage`` rows):
each page task fetches its page, claims the next page for another worker, then stores its
own records. A full run first asks the PSA for the count (its page total) and, once every
page is stored, removes the mirrored records it did not see; an incremental run asks only
for records whose ``_info/lastUpdated`` is newer than the kind's watermark (less an
overlap). An id sweep (hourly) reads only the ids of each kind and removes the mirrored
records the PSA no longer lists, so a deletion shows without waiting for a full sync.
Neither removes more than the mass-deletion guard allows (``deletions_allowed``): past it,
a full sync holds its deletions for an admin's review and a sweep deletes nothing.
Tasks (tasks.py) are thin shells around these functions; the functions are
idempotent, so a task that runs twice does no harm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.connections.client import membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import selectors as job_selectors
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.membrane import MembraneError, NotFoundError, PsaError
from psaportal.records import registry
from psaportal.records.display import display_value
from psaportal.records.models import Board, SyncPage, SyncRun, SyncState
from psaportal.records.sync import fetch, store

SYNC_JOB = "records.sync"
REFRESH_JOB = "records.refresh"
MODES = (SyncRun.Mode.FULL, SyncRun.Mode.INCREMENTAL, SyncRun.Mode.SWEEP)
ACTIVE_RUN = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING, SyncRun.Status.FINISHING)
ENDED_RUN = (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.REVIEW)
#: How many of the held records the review page lists.
REVIEW_ROWS = 200


class SyncProblem(job_services.JobProblem):
    """A sync that cannot be started, in words an admin can act on."""


# -- starting work (views, the beat schedule and the admin call these) --------------------


def sync_start(
    *,
    connection: Connection,
    kinds: list[registry.RecordKind],
    mode: str = SyncRun.Mode.FULL,
    user=None,
    label: str = "",
    result_url: str = "",
) -> Job:
    """Queue a sync of ``kinds`` and return its Job.

    A kind never fully synced gets a full sync even when an incremental one was asked for;
    board statuses (a small nested lookup) are always synced in full. While another sync
    job of this connection is still going, that job is returned instead of a second one.
    """
    if mode not in MODES:
        raise SyncProblem(f"Unknown sync mode {mode!r}; use full or incremental.")
    wanted = {kind.key for kind in kinds}
    ordered = [kind for kind in registry.sync_order() if kind.key in wanted]
    if not ordered:
        raise SyncProblem("Choose at least one record kind to sync.")
    from psaportal.records.sync import tasks

    with transaction.atomic():
        active = sync_job_active(connection=connection)
        if active is not None:
            return active
        watermarks = dict(
            SyncState.objects.filter(connection=connection, kind__in=wanted).values_list(
                "kind", "watermark"
            )
        )
        job = job_services.job_start(
            kind=SYNC_JOB,
            label=label or _job_label(ordered, mode),
            user=user,
            task=tasks.sync_advance,
            result_url=result_url,
        )
        SyncRun.objects.bulk_create(
            SyncRun(
                connection=connection,
                kind=kind.key,
                mode=(
                    SyncRun.Mode.FULL if kind.parent or watermarks.get(kind.key) is None else mode
                ),
                job=job,
                started_by=job.started_by,
            )
            for kind in ordered
        )
    return job


def sync_scheduled_start() -> Job | None:
    """The beat schedule's incremental sync of everything, if connected and not already busy."""
    from psaportal.connections.selectors import connection_ready

    connection = connection_ready()
    if connection is None:
        return None
    return sync_start(
        connection=connection,
        kinds=registry.sync_order(),
        mode=SyncRun.Mode.INCREMENTAL,
        label="Scheduled sync of all records",
    )


def sweep_scheduled_start() -> Job | None:
    """The beat schedule's id sweep of every kind synced in full at least once (nested
    kinds are small and always synced in full), if connected and no sync is under way."""
    from psaportal.connections.selectors import connection_ready

    connection = connection_ready()
    if connection is None:
        return None
    synced = set(
        SyncState.objects.filter(
            connection=connection, last_full_sync_at__isnull=False
        ).values_list("kind", flat=True)
    )
    kinds = [kind for kind in registry.sync_order() if kind.key in synced and not kind.parent]
    if not kinds or sync_job_active(connection=connection) is not None:
        return None
    return sync_start(
        connection=connection,
        kinds=kinds,
        mode=SyncRun.Mode.SWEEP,
        label=_job_label(kinds, "sweep"),
    )


def _job_label(kinds: list[registry.RecordKind], mode: str) -> str:
    what = "all records" if len(kinds) > 1 else kinds[0].plural
    if mode == SyncRun.Mode.SWEEP:
        return f"Id sweep of {what} (finds deletions)"
    return f"{'Full' if mode == SyncRun.Mode.FULL else 'Incremental'} sync of {what}"


def deletions_allowed(mirrored: int) -> int:
    """How many of a kind's ``mirrored`` records one full sync or sweep may remove without
    an admin's review."""
    return max(
        int(settings.RECORDS_DELETE_GUARD_SHARE * mirrored), settings.RECORDS_DELETE_GUARD_MIN
    )


def _guard_share() -> str:
    return f"{settings.RECORDS_DELETE_GUARD_SHARE:.0%}"


def sync_job_active(*, connection: Connection) -> Job | None:
    """The unfinished sync job of this connection. One that has stalled (its worker or
    messages lost, and no sweep has resumed it yet, e.g. beat is down) has its open steps
    sent again once this transaction commits, rather than a second sync started."""
    job = (
        Job.objects.filter(
            kind=SYNC_JOB,
            sync_runs__connection=connection,
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        )
        .order_by("-created_at")
        .distinct()
        .first()
    )
    if job is not None and job.updated_at < timezone.now() - job_selectors.stalled_after():
        transaction.on_commit(partial(_sync_job_claim_and_resume, job=job))
    return job


def sync_resume_stalled(*, older_than: timedelta | None = None) -> int:
    """Send again the open steps of every sync job without progress for ``older_than``
    (by default, until it has stalled: ``jobs.selectors.stalled_after``): its worker or its
    messages were lost (SIGKILL, Redis restarted without its queue). Every step is
    idempotent, so a step still under way that is sent twice does no harm. Returns how many
    tasks were sent."""
    if older_than is None:
        older_than = job_selectors.stalled_after()
    cutoff = timezone.now() - older_than
    stalled = Job.objects.filter(
        kind=SYNC_JOB, status__in=job_services.UNFINISHED, updated_at__lt=cutoff
    )
    return sum(_sync_job_claim_and_resume(job=job) for job in stalled.only("pk", "updated_at"))


def _sync_job_claim_and_resume(*, job: Job) -> int:
    # Claimed by a conditional update, so two sweeps never resume one job twice.
    if Job.objects.filter(pk=job.pk, updated_at=job.updated_at).update(updated_at=timezone.now()):
        return _sync_job_resume(job_id=job.pk)
    return 0


def _sync_job_resume(*, job_id: int) -> int:
    """Send a stalled job's open steps: the pages its run has not stored, the begin of a
    run that has no page yet, the finish of a run whose pages are all stored, or the job's
    next kind. Returns how many tasks were sent."""
    from psaportal.jobs import dispatch
    from psaportal.records.sync import tasks

    run = SyncRun.objects.filter(
        job_id=job_id, status__in=(SyncRun.Status.RUNNING, SyncRun.Status.FINISHING)
    ).first()
    if run is None:
        return int(dispatch.send(tasks.sync_advance, job_id))
    # A finish cut short rolled back its transaction: the run is still to be finished.
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.FINISHING).update(
        status=SyncRun.Status.RUNNING
    )
    pages = SyncPage.objects.filter(run=run)
    if not pages.exists():
        # retries=1: a resumed begin, which may begin a run already marked running.
        return int(dispatch.send(tasks.sync_run_start, job_id, run.pk, retries=1))
    open_pages = list(
        pages.filter(done=False, failed=False).order_by("number").values_list("number", flat=True)
    )
    if not open_pages:
        if sync_run_finish(run_id=run.pk):
            return int(dispatch.send(tasks.sync_advance, job_id))
        return 0
    return sum(dispatch.send(tasks.sync_page, job_id, run.pk, number) for number in open_pages)


# -- a job: one kind after another -------------------------------------------------------


def sync_job_next_run(*, job_id: int) -> int | None:
    """The next queued run of the job, or None; with nothing left to run, finish the job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return None
    if job.status == Job.Status.QUEUED:
        job_services.job_mark_running(job_id=job_id)
    runs = list(SyncRun.objects.filter(job_id=job_id))
    if any(run.status in (SyncRun.Status.RUNNING, SyncRun.Status.FINISHING) for run in runs):
        return None  # the run in progress advances the job when it ends
    order = {kind.key: index for index, kind in enumerate(registry.sync_order())}
    queued = sorted(
        (run for run in runs if run.status == SyncRun.Status.QUEUED),
        key=lambda run: order.get(run.kind, len(order)),
    )
    if queued:
        return queued[0].pk
    _job_finish(job_id=job_id, runs=runs)
    return None


def _job_finish(*, job_id: int, runs: list[SyncRun]) -> None:
    failed = [run for run in runs if run.status == SyncRun.Status.FAILED]
    held = sum(run.records_held for run in runs if run.status == SyncRun.Status.REVIEW)
    seen = sum(run.records_seen for run in runs)
    deleted = sum(run.records_deleted for run in runs)
    requests = sum(run.requests for run in runs)
    result = {
        "runs": [run.pk for run in runs],
        "records_seen": seen,
        "records_deleted": deleted,
        "requests": requests,
    }
    if failed:
        errors = "; ".join(f"{run.kind}: {run.error or 'failed'}" for run in failed)
        job_services.job_fail(job_id=job_id, error=f"Sync failed for {errors}"[:2000])
        return
    summary = f"Synced {seen:,} records of {len(runs)} kind{'s' if len(runs) != 1 else ''}"
    if deleted:
        summary += f"; removed {deleted:,} deleted in the PSA"
    if held:
        summary += f"; kept {held:,} the PSA no longer lists, for your review on the sync page"
    job_services.job_progress(job_id=job_id, done=_pages_done(job_id), total=None)
    job_services.job_succeed(job_id=job_id, summary=summary + ".", result=result)


def _pages_done(job_id: int) -> int:
    return SyncRun.objects.filter(job_id=job_id).aggregate(done=Sum("pages_done"))["done"] or 0


def _job_progress(*, run: SyncRun, note: str = "") -> None:
    if run.job_id is None:
        return
    totals = SyncRun.objects.filter(job_id=run.job_id).aggregate(
        done=Sum("pages_done"), total=Sum("pages_total")
    )
    kind = registry.get_kind(run.kind)
    name = kind.plural if kind else run.kind
    summary = note or (
        f"{name.capitalize()}: page {run.pages_done} of {max(run.pages_total, run.pages_done)}"
        f" · {run.records_seen:,} records"
    )
    job_services.job_progress(
        job_id=run.job_id,
        done=totals["done"] or 0,
        total=max(totals["total"] or 0, totals["done"] or 0),
        summary=summary,
    )


# -- a run: begin, pages, finish ------------------------------------------------------


def sync_run_begin(*, run_id: int, resuming: bool = False) -> int | None:
    """Start a queued run: count (full) and queue its first page. Returns that page's number.

    Returns None when there is no page to fetch (another worker began the run, it is
    over, or the PSA holds no such records, in which case the run is finished here).
    ``resuming`` is a retry of this same begin after its count request failed.
    Raises ``MembraneError`` when the count request fails (the task retries it).
    """
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=store.database_now()
    )
    run = SyncRun.objects.select_related("connection").filter(pk=run_id).first()
    if run is None or run.status != SyncRun.Status.RUNNING:
        return None
    if not claimed and (not resuming or run.pages.exists()):
        return None  # another worker began it; its page chain is under way
    kind = registry.get_kind(run.kind)
    first = SyncPage(run=run, number=1)
    if kind.parent:
        parents = _parent_ids(connection_id=run.connection_id, after=None)
        SyncRun.objects.filter(pk=run_id).update(pages_total=len(parents))
        if not parents:
            sync_run_finish(run_id=run_id)
            return None
        first.parent_id = parents[0]
    elif run.mode == SyncRun.Mode.FULL:
        SyncRun.objects.filter(pk=run_id).update(requests=F("requests") + 1)
        count = fetch.count_records(
            client=membrane_client(), connection_id=run.connection.membrane_id, kind=kind
        )
        pages = math.ceil(count / settings.RECORDS_SYNC_PAGE_SIZE)
        SyncRun.objects.filter(pk=run_id).update(records_total=count, pages_total=pages)
        if pages == 0:
            sync_run_finish(run_id=run_id)
            return None
        if kind.first_page_conditions and never_fully_synced(
            connection_id=run.connection_id, kind=kind
        ):
            _store_newest(run=run, kind=kind)
    elif run.mode == SyncRun.Mode.SWEEP:
        mirrored = kind.model.objects.filter(connection_id=run.connection_id).count()
        SyncRun.objects.filter(pk=run_id).update(records_total=mirrored, pages_total=1)
    else:
        state = SyncState.objects.filter(connection_id=run.connection_id, kind=run.kind).first()
        since = state.watermark - fetch.OVERLAP if state and state.watermark else None
        SyncRun.objects.filter(pk=run_id).update(since=since, pages_total=1)
    SyncPage.objects.get_or_create(
        run=run, number=1, defaults={"parent_id": first.parent_id, "after_id": 0}
    )
    run.refresh_from_db()
    _job_progress(run=run, note=f"{kind.plural.capitalize()}: starting")
    return 1


def never_fully_synced(*, connection_id: int, kind: registry.RecordKind) -> bool:
    """True until a full sync of ``kind`` has finished: the mirror may lack some of it."""
    return not SyncState.objects.filter(
        connection_id=connection_id, kind=kind.key, last_full_sync_at__isnull=False
    ).exists()


def _store_newest(*, run: SyncRun, kind: registry.RecordKind) -> None:
    """A kind's first full sync: store its newest records (open tickets) before page 1, so
    the list shows real work within seconds.

    Only records not mirrored yet are inserted, marked as seen just before the run began:
    the run's own pages store each of them again (and count it once), and one the PSA
    deletes meanwhile is removed with the rest the run did not see. A failed request only
    means the list fills in id order.
    """
    SyncRun.objects.filter(pk=run.pk).update(requests=F("requests") + 1)
    try:
        records = fetch.fetch_newest(
            client=membrane_client(), connection_id=run.connection.membrane_id, kind=kind
        )
    except MembraneError:
        return
    store.store_records(
        connection_id=run.connection_id,
        kind=kind,
        records=records,
        synced_at=run.started_at - timedelta(microseconds=1),
        only_new=True,
    )


def _parent_ids(*, connection_id: int, after: int | None) -> list[int]:
    """Board ids in the mirror (board statuses are fetched per board), in id order."""
    boards = Board.objects.filter(connection_id=connection_id).order_by("psa_id")
    if after is not None:
        boards = boards.filter(psa_id__gt=after)
    return list(boards.values_list("psa_id", flat=True))


@dataclass
class PageWork:
    """A fetched page on its way into the mirror."""

    run_id: int
    job_id: int | None
    number: int
    page_id: int
    after_id: int
    mode: str
    connection_id: int
    kind: registry.RecordKind
    fetched: fetch.FetchedPage
    parent_id: int | None


def sync_page_fetch(*, run_id: int, number: int) -> PageWork | None:
    """Fetch one page of a run. None when there is nothing to do (done, or the run ended).

    Raises ``MembraneError`` when the request fails; the page keeps the error and its
    attempt count, and the task decides whether to try again.
    """
    page = (
        SyncPage.objects.select_related("run", "run__connection")
        .filter(run_id=run_id, number=number)
        .first()
    )
    if page is None or page.done or page.run.status != SyncRun.Status.RUNNING:
        return None
    run = page.run
    kind = registry.get_kind(run.kind)
    SyncPage.objects.filter(pk=page.pk).update(attempts=F("attempts") + 1)
    SyncRun.objects.filter(pk=run_id).update(requests=F("requests") + 1)
    try:
        fetched = fetch.fetch_page(
            client=membrane_client(),
            connection_id=run.connection.membrane_id,
            kind=kind,
            after_id=page.after_id,
            parent_id=page.parent_id,
            since=run.since if run.mode == SyncRun.Mode.INCREMENTAL else None,
            fields="id" if run.mode == SyncRun.Mode.SWEEP else "",
        )
    except MembraneError as error:
        SyncPage.objects.filter(pk=page.pk).update(error=str(error)[:2000])
        raise
    return PageWork(
        run_id=run_id,
        job_id=run.job_id,
        number=number,
        page_id=page.pk,
        after_id=page.after_id,
        mode=run.mode,
        connection_id=run.connection_id,
        kind=kind,
        fetched=fetched,
        parent_id=page.parent_id,
    )


def sync_page_claim_next(*, work: PageWork) -> tuple[int | None, bool]:
    """Create the row of the page after ``work`` if there is one: (its number, created).

    ``created`` is False when an earlier try of this page already claimed it, so the
    caller does not queue it twice.
    """
    run = SyncRun.objects.get(pk=work.run_id)
    fetched = work.fetched
    after_id, parent_id = None, work.parent_id
    if fetched.full and fetched.last_id is not None:
        # A full sync stops at the page count taken at its start: a record created since
        # has a higher id and a lastUpdated after the watermark, so incremental sync gets it.
        open_ended = run.mode != SyncRun.Mode.FULL or bool(work.kind.parent)
        if open_ended or work.number < run.pages_total:
            after_id = fetched.last_id
    elif work.kind.parent:
        following = _parent_ids(connection_id=work.connection_id, after=work.parent_id)[:1]
        if following:
            after_id, parent_id = 0, following[0]
    if after_id is None:
        return None, False
    number = work.number + 1
    _, created = SyncPage.objects.get_or_create(
        run_id=work.run_id, number=number, defaults={"after_id": after_id, "parent_id": parent_id}
    )
    if created and number > run.pages_total:
        SyncRun.objects.filter(pk=work.run_id, pages_total__lt=number).update(pages_total=number)
    return number, created


def sync_page_store(*, work: PageWork) -> bool:
    """Upsert a fetched page (a sweep: note the mirrored ids it lacks) and count it done.
    True when this finished its run."""
    if work.mode == SyncRun.Mode.SWEEP:
        return _sweep_page_store(work=work)
    stored = store.store_in_batches(
        connection_id=work.connection_id, kind=work.kind, records=work.fetched.records
    )
    with transaction.atomic():
        first_time = SyncPage.objects.filter(pk=work.page_id, done=False).update(
            done=True, records=stored.count, error=""
        )
        if first_time:
            SyncRun.objects.filter(pk=work.run_id).update(
                pages_done=F("pages_done") + 1,
                records_seen=F("records_seen") + len(work.fetched.records),
                records_upserted=F("records_upserted") + stored.count,
            )
        if stored.newest is not None:
            SyncRun.objects.filter(pk=work.run_id).filter(
                Q(watermark__isnull=True) | Q(watermark__lt=stored.newest)
            ).update(watermark=stored.newest)
    run = SyncRun.objects.get(pk=work.run_id)
    _job_progress(run=run)
    if SyncPage.objects.filter(run_id=work.run_id, done=False).exists():
        return False
    return sync_run_finish(run_id=work.run_id)


def _sweep_page_store(*, work: PageWork) -> bool:
    """Note which mirrored ids in this page's id range the PSA did not list (all of them
    above the last id when it is the last page), then count the page done."""
    run = SyncRun.objects.get(pk=work.run_id)
    fetched = work.fetched
    missing = store.missing_in_range(
        connection_id=work.connection_id,
        kind=work.kind,
        listed=[record["id"] for record in fetched.records],
        after_id=work.after_id,
        up_to=fetched.last_id if fetched.full else None,
        before=run.started_at,
    )
    count = missing.count()
    # Past the guard the run deletes nothing, so the ids need not be kept.
    within_guard = count <= deletions_allowed(run.records_total or 0)
    ids = list(missing.values_list("psa_id", flat=True)) if within_guard else []
    with transaction.atomic():
        if SyncPage.objects.filter(pk=work.page_id, done=False).update(
            done=True, records=len(fetched.records), missing=count, missing_ids=ids, error=""
        ):
            SyncRun.objects.filter(pk=work.run_id).update(
                pages_done=F("pages_done") + 1,
                records_seen=F("records_seen") + len(fetched.records),
            )
    _job_progress(run=SyncRun.objects.get(pk=work.run_id))
    if SyncPage.objects.filter(run_id=work.run_id, done=False).exists():
        return False
    return sync_run_finish(run_id=work.run_id)


def sync_run_finish(*, run_id: int) -> bool:
    """Every page is stored: remove what a full sync did not see or a sweep found missing
    (within the guard), move the watermark.

    Returns True for the one caller that finished the run (several may try at once).
    """
    if not SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FINISHING
    ):
        return False
    run = SyncRun.objects.get(pk=run_id)
    kind = registry.get_kind(run.kind)
    ending = {"status": SyncRun.Status.SUCCEEDED}
    with transaction.atomic():
        if run.mode == SyncRun.Mode.FULL:
            ending = _full_sync_deletions(run=run, kind=kind)
        elif run.mode == SyncRun.Mode.SWEEP:
            ending = _sweep_deletions(run=run, kind=kind)
        if run.mode != SyncRun.Mode.SWEEP:
            _move_watermark(run=run)
        SyncRun.objects.filter(pk=run_id).update(**ending, finished_at=store.database_now())
    if run.mode != SyncRun.Mode.SWEEP:
        store.tidy_indexes(kind=kind, analyze=run.mode == SyncRun.Mode.FULL)
    run.refresh_from_db()
    _job_progress(run=run)
    return True


def _full_sync_deletions(*, run: SyncRun, kind: registry.RecordKind) -> dict:
    """Remove what the full sync did not see, or hold it for review when that is more than
    the guard allows (an empty or cut-short answer must not empty the mirror)."""
    unseen = store.unseen(connection_id=run.connection_id, kind=kind, before=run.started_at)
    held = unseen.count()
    mirrored = kind.model.objects.filter(connection_id=run.connection_id).count()
    if held > deletions_allowed(mirrored):
        return {
            "status": SyncRun.Status.REVIEW,
            "records_held": held,
            "error": f"The PSA no longer lists {held:,} of the {mirrored:,} mirrored "
            f"{kind.plural}: more than {_guard_share()}, so none were deleted. Review them "
            "and choose to delete or keep them.",
        }
    deleted = store.delete_unseen(connection_id=run.connection_id, kind=kind, before=run.started_at)
    return {"status": SyncRun.Status.SUCCEEDED, "records_deleted": deleted}


def _sweep_deletions(*, run: SyncRun, kind: registry.RecordKind) -> dict:
    """Remove the records the sweep found missing, unless more than the guard allows."""
    pages = SyncPage.objects.filter(run=run)
    missing = pages.aggregate(n=Sum("missing"))["n"] or 0
    if missing > deletions_allowed(run.records_total or 0):
        return {
            "status": SyncRun.Status.FAILED,
            "records_held": missing,
            "error": f"The id sweep found {missing:,} of the {run.records_total or 0:,} "
            f"mirrored {kind.plural} missing from the PSA: more than {_guard_share()}, so none "
            f"were deleted. A full sync of {kind.plural} lists them for your review.",
        }
    ids = [
        psa_id for page_ids in pages.values_list("missing_ids", flat=True) for psa_id in page_ids
    ]
    deleted = store.delete_missing(
        connection_id=run.connection_id, kind=kind, psa_ids=ids, before=run.started_at
    )
    return {"status": SyncRun.Status.SUCCEEDED, "records_deleted": deleted}


# -- reviewing held deletions (admins) -----------------------------------------------------


def sync_review(*, connection: Connection, run_id: int) -> dict | None:
    """A full sync's held deletions: the run, how many, and the first ``REVIEW_ROWS`` of
    them as list rows. None when there is no such run of this connection."""
    run = SyncRun.objects.filter(
        pk=run_id, connection=connection, mode=SyncRun.Mode.FULL, records_held__gt=0
    ).first()
    kind = registry.get_kind(run.kind) if run else None
    if kind is None:
        return None
    columns = kind.columns or (registry.Column("psa_id", "#"),)
    held = store.unseen(connection_id=connection.pk, kind=kind, before=run.started_at)
    values = held.order_by("psa_id").values(*(column.name for column in columns))
    return {
        "run": run,
        "kind": kind,
        "open": run.status == SyncRun.Status.REVIEW,
        "held": held.count(),
        "labels": [column.label for column in columns],
        "rows": [
            {
                "url": ""
                if kind.is_lookup
                else reverse("records:detail", args=[kind.key, row["psa_id"]]),
                "cells": [display_value(row[column.name]) for column in columns],
            }
            for row in values[:REVIEW_ROWS]
        ],
    }


def sync_review_decide(*, run: SyncRun, delete: bool, user) -> str:
    """An admin's answer to held deletions: delete them from the mirror, or keep them.
    Returns what was done."""
    kind = registry.get_kind(run.kind)
    with transaction.atomic():
        if not SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.REVIEW).update(
            status=SyncRun.Status.SUCCEEDED
        ):
            raise SyncProblem("These deletions were already reviewed.")
        if delete:
            deleted = store.delete_unseen(
                connection_id=run.connection_id, kind=kind, before=run.started_at
            )
            outcome = f"Deleted {deleted:,} {kind.plural} the PSA no longer lists from the mirror."
            SyncRun.objects.filter(pk=run.pk).update(records_deleted=deleted, error=outcome)
        else:
            outcome = f"Kept {run.records_held:,} {kind.plural} the PSA did not list."
            SyncRun.objects.filter(pk=run.pk).update(error=outcome)
        record_audit(
            user=user,
            action="sync.deletions_deleted" if delete else "sync.deletions_kept",
            target_type=kind.key,
            target_id=run.pk,
            summary=outcome,
        )
    return outcome


def _move_watermark(*, run: SyncRun) -> None:
    """The kind's watermark after a run: everything changed before it is in the mirror.

    Never later than the run's start: a record changed while the run went on may have been
    on a page read before the change, so the next incremental sync must ask for it again.
    """
    state, _ = SyncState.objects.select_for_update().get_or_create(
        connection_id=run.connection_id, kind=run.kind
    )
    started = run.started_at
    newest = run.watermark
    now = timezone.now()
    if run.mode == SyncRun.Mode.FULL:
        state.watermark = min(newest, started) if newest else started
        state.last_full_sync_at = now
    else:
        if newest is not None:
            candidate = min(newest, started)
            state.watermark = max(state.watermark, candidate) if state.watermark else candidate
        state.last_incremental_at = now
    state.save()


def sync_run_fail(*, run_id: int, error: str, page_number: int | None = None) -> bool:
    """Give a run up with ``error``. True when this call ended it."""
    if page_number is not None:
        SyncPage.objects.filter(run_id=run_id, number=page_number).update(
            failed=True, error=error[:2000]
        )
        SyncRun.objects.filter(pk=run_id).update(pages_failed=F("pages_failed") + 1)
    ended = SyncRun.objects.filter(pk=run_id, status__in=ACTIVE_RUN).update(
        status=SyncRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is not None:
        _job_progress(run=run, note=f"{run.kind}: {error}"[:500])
    return bool(ended)


def sync_run_ended(*, run_id: int) -> bool:
    """True when the run has succeeded or failed (its job may go on to the next kind)."""
    return SyncRun.objects.filter(pk=run_id, status__in=ENDED_RUN).exists()


# -- refreshing one record live ------------------------------------------------------------


def record_refresh(
    *, connection: Connection, kind: registry.RecordKind, psa_id: int, user=None, result_url=""
) -> Job:
    """Queue a live re-fetch of one record from the PSA; returns its Job."""
    if kind.parent:
        raise SyncProblem(f"{kind.plural.capitalize()} cannot be refreshed one by one.")
    from psaportal.records.sync import tasks

    return job_services.job_start(
        kind=REFRESH_JOB,
        label=f"Refresh {kind.singular} #{int(psa_id)} from the PSA",
        user=user,
        task=tasks.record_refresh,
        args=(connection.pk, kind.key, int(psa_id)),
        result_url=result_url,
    )


def record_refresh_run(*, connection_id: int, kind_key: str, psa_id: int) -> str:
    """GET one record through the proxy and upsert it; a 404 removes it from the mirror."""
    kind = registry.get_kind(kind_key)
    connection = Connection.objects.get(pk=connection_id)
    try:
        response = membrane_client().proxy(connection.membrane_id, "GET", kind.record_path(psa_id))
    except (NotFoundError, PsaError) as error:
        if error.status != 404:
            raise
        removed = store.delete_record(connection_id=connection_id, kind=kind, psa_id=psa_id)
        return f"{kind.singular.capitalize()} #{psa_id} no longer exists in the PSA" + (
            "; removed from the mirror." if removed else "."
        )
    record = fetch.record_from_body(response.json())
    if record is None or record["id"] != psa_id:
        raise SyncProblem(f"The PSA did not send {kind.singular} #{psa_id}.")
    store.store_records(connection_id=connection_id, kind=kind, records=[record])
    return f"{kind.singular.capitalize()} #{psa_id} refreshed from the PSA."
