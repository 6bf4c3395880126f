"""The outbox: storing an edit as a ``PendingChange``, then applying it to the PSA.

Applying a change, step by step:
1. Claim it (pending or applying → applying); a change already applied, discarded or in
   conflict is left alone, so a task that runs twice does no harm.
2. Read the record as the PSA has it now (through Membrane's proxy).
3. For each changed field: already the wanted value → nothing to send; still what the
   user saw → send it; changed by someone else meanwhile → a conflict (unless the user
   chose "apply mine anyway"). Fields nobody else touched merge without asking.
4. Send the operations (JSON Patch): through the kind's update action where the connector
   has one (``update-ticket``), else as a PATCH through the proxy; store the PSA's answer
   in the mirror.
A PSA validation error (400) fails the change with the PSA's messages on its fields; a
passing failure (429, 5xx, no answer) propagates for the task base to retry.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from psaportal.accounts.audit import record_audit
from psaportal.connections.client import describe_error, membrane_client
from psaportal.connections.models import Connection
from psaportal.jobs import selectors as job_selectors
from psaportal.jobs import services as job_services
from psaportal.jobs.models import Job
from psaportal.jobs.services import UNFINISHED
from psaportal.membrane import ActionRunError, BadRequestError, PsaError
from psaportal.records import registry
from psaportal.records.changes import fields as field_values
from psaportal.records.models import PendingChange, RecordDocument, last_updated
from psaportal.records.notes import services as notes
from psaportal.records.sync import fetch, store

CHANGE_JOB = "records.change"
BULK_JOB = "records.bulk_change"
#: A bulk edit is applied in parts of this many records (by PSA id), one task each, so
#: the worker processes share it; a part reads its records in one request.
BULK_CHUNK = 50
#: What the PSA or Membrane answers when it will not do a change (a passing error is
#: raised again for the task base to retry).
REFUSALS = (PsaError, ActionRunError, BadRequestError)
#: Actions by (connection, action key): found once per process by intent.
_ACTIONS: dict[tuple[str, str], dict] = {}
RESEND_BATCH = 500
Status = PendingChange.Status


class ChangeProblem(job_services.JobProblem):
    """A change that cannot be applied, in words the user can act on."""


def _field(kind: registry.RecordKind, path: str) -> registry.EditableField:
    return next(field for field in kind.editable_fields if field.path == path)


# -- storing (views call these) -----------------------------------------------------------


def pending_change_create(
    *,
    connection: Connection,
    kind: registry.RecordKind,
    psa_id: int,
    changes: dict,
    seen: dict,
    idempotency_key: str,
    user,
) -> PendingChange:
    """Store the edit and queue it, in the request's transaction. The same form sent twice
    (a double click, a browser retry) returns the change the first one stored."""
    seen = {path: seen.get(path) for path in changes}
    return _store(
        idempotency_key=idempotency_key,
        fields={
            "connection": connection,
            "kind": kind.key,
            "psa_id": psa_id,
            "changes": changes,
            "seen": seen,
            "seen_updated": _mirrored_last_updated(connection, kind, psa_id),
            "author": user,
        },
        audit={
            "action": "record.change",
            "target_id": psa_id,
            "summary": f"Changed {', '.join(_labels(kind, changes))} of {kind.singular} #{psa_id}",
            "before": seen,
            "after": changes,
        },
    )


def record_create(
    *,
    connection: Connection,
    kind: registry.RecordKind,
    action_input: dict,
    idempotency_key: str,
    user,
    summary: str,
) -> PendingChange:
    """Store a new record (a ticket, a time entry) and queue its creation. The same form
    sent twice stores one."""
    return _store(
        idempotency_key=idempotency_key,
        fields={
            "connection": connection,
            "kind": kind.key,
            "operation": PendingChange.Operation.CREATE,
            "changes": action_input,
            "seen": {},
            "author": user,
        },
        audit={"action": "record.create", "summary": summary, "after": action_input},
    )


def _store(*, idempotency_key: str, fields: dict, audit: dict) -> PendingChange:
    """Store a change once per idempotency key; the first time, queue it and audit it."""
    with transaction.atomic():
        change, created = PendingChange.objects.get_or_create(
            idempotency_key=idempotency_key, defaults=fields
        )
        if created:
            _queue(change=change, user=fields["author"])
            record_audit(user=fields["author"], target_type=fields["kind"], **audit)
    return change


def _mirrored_last_updated(connection, kind, psa_id):
    document = RecordDocument.objects.filter(
        connection=connection, kind=kind.key, psa_id=psa_id
    ).first()
    return last_updated(document.data) if document else None


def _labels(kind: registry.RecordKind, changes: dict) -> list[str]:
    return [_field(kind, path).label.lower() for path in changes]


def _queue(*, change: PendingChange, user) -> Job:
    from psaportal.records.changes import tasks

    kind = registry.outbox_kind(change.kind)
    what = f"{kind.singular} #{change.psa_id}" if change.psa_id else f"the new {kind.singular}"
    job = job_services.job_start(
        kind=CHANGE_JOB,
        label=f"Save {what} to the PSA",
        user=user,
        task=tasks.apply_pending_change,
        args=(change.pk,),
    )
    PendingChange.objects.filter(pk=change.pk).update(job=job)
    change.job = job
    return job


def pending_change_retry(*, change: PendingChange, user, force: bool = False) -> PendingChange:
    """Send a failed, conflicting or waiting change again (``force``: over the conflict)."""
    if change.status not in (Status.PENDING, Status.FAILED, Status.CONFLICT):
        return change
    with transaction.atomic():
        PendingChange.objects.filter(pk=change.pk).update(
            status=Status.PENDING, error="", field_errors={}, force=force or change.force
        )
        _queue(change=change, user=user)
        record_audit(
            user=user,
            action="record.change_force" if force else "record.change_retry",
            target_type=change.kind,
            target_id=change.psa_id,
            summary=("Applied anyway" if force else "Retried") + f" change #{change.pk}",
        )
    change.refresh_from_db()
    return change


def pending_change_discard(*, change: PendingChange, user) -> None:
    """Give up an open change that is not being sent right now."""
    discarded = PendingChange.objects.filter(
        pk=change.pk, status__in=[Status.PENDING, Status.FAILED, Status.CONFLICT]
    ).update(status=Status.DISCARDED)
    if discarded:
        record_audit(
            user=user,
            action="record.change_discard",
            target_type=change.kind,
            target_id=change.psa_id,
            summary=f"Discarded change #{change.pk}",
            before=change.changes,
        )


def bulk_change_start(
    *,
    connection: Connection,
    kind: registry.RecordKind,
    psa_ids: list[int],
    changes: dict,
    user,
    result_url: str = "",
) -> Job:
    """One change per record, all in one Job that applies them (a task per part of
    ``BULK_CHUNK`` records) and counts the outcome."""
    from psaportal.records.changes import tasks

    documents = dict(
        RecordDocument.objects.filter(
            connection=connection, kind=kind.key, psa_id__in=psa_ids
        ).values_list("psa_id", "data")
    )
    fields = [_field(kind, path) for path in changes]
    ordered = sorted(documents)
    parts = [
        (ordered[start], ordered[min(start + BULK_CHUNK, len(ordered)) - 1])
        for start in range(0, len(ordered), BULK_CHUNK)
    ]
    with transaction.atomic():
        job = job_services.job_start(
            kind=BULK_JOB,
            label=f"Change {', '.join(_labels(kind, changes))} of {len(documents):,} {kind.plural}",
            user=user,
            task=tasks.apply_bulk_changes,
            result_url=result_url,
            parts=parts or None,  # nothing to change: one task still ends the job
        )
        PendingChange.objects.bulk_create(
            PendingChange(
                connection=connection,
                kind=kind.key,
                psa_id=psa_id,
                changes=changes,
                seen={field.path: field_values.value_in(data, field) for field in fields},
                seen_updated=last_updated(data),
                idempotency_key=uuid.uuid4().hex,
                author=user,
                job=job,
            )
            for psa_id, data in sorted(documents.items())
        )
        record_audit(
            user=user,
            action="record.bulk_change",
            target_type=kind.key,
            summary=f"Changed {', '.join(_labels(kind, changes))} of {len(documents)} "
            f"{kind.plural}",
            after={"changes": changes, "ids": sorted(documents)},
        )
    return job


# -- applying (the task calls these) --------------------------------------------------------


def pending_change_apply(*, change_id: int, job_id: int | None = None) -> str:
    """Apply one change to the PSA (see the module docstring). Returns a summary.

    ``job_id``: the job sending it. Only the change's latest job may apply it: a message
    of an earlier one (a lost worker's, handed out again after the sweep sent the change
    anew) finds nothing to do, so two tasks never send one change at once.
    """
    claimable = PendingChange.objects.filter(
        pk=change_id, status__in=[Status.PENDING, Status.APPLYING]
    )
    if job_id is not None:
        claimable = claimable.filter(job_id=job_id)
    claimed = claimable.update(
        status=Status.APPLYING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    change = PendingChange.objects.select_related("connection").filter(pk=change_id).first()
    if not claimed or change is None:
        return "Nothing to do: this change is no longer waiting, or a later job sends it."
    kind = registry.outbox_kind(change.kind)
    client = membrane_client()
    membrane_id = change.connection.membrane_id
    if change.operation == PendingChange.Operation.CREATE:
        return _apply_create(change=change, kind=kind, client=client, membrane_id=membrane_id)
    try:
        answer = client.proxy(membrane_id, "GET", kind.record_path(change.psa_id)).json()
    except REFUSALS as error:
        _refused(change, error=error, kind=kind)
    record = fetch.record_from_body(answer)
    if record is None:
        raise ChangeProblem(f"The PSA did not send {kind.singular} #{change.psa_id}.")
    record, operations = _send_change(
        change=change, kind=kind, client=client, membrane_id=membrane_id, record=record
    )
    _store_applied(kind=kind, applied={change.pk: record}, connection_id=change.connection_id)
    if not operations:
        return f"{kind.singular.capitalize()} #{change.psa_id} already had these values."
    return f"Saved {', '.join(_labels(kind, change.changes))} of {kind.singular} #{change.psa_id}."


def _send_change(*, change: PendingChange, kind, client, membrane_id: str, record: dict):
    """Send ``change`` against ``record``, the PSA's as read a moment ago: (the record as
    the PSA has it after, the operations sent). A conflict or a refusal is written on the
    change and raised as a ``ChangeProblem``; a passing failure propagates."""
    operations, conflicts, now = _plan(change=change, kind=kind, record=record)
    if conflicts and not change.force:
        error = f"Not saved: someone changed {', '.join(_labels(kind, conflicts))} in the PSA"
        PendingChange.objects.filter(pk=change.pk).update(
            status=Status.CONFLICT, current=now, error=f"{error} meanwhile."
        )
        raise ChangeProblem(f"{error} since you opened it. Compare and choose on its page.")
    if operations:
        try:
            sent = _send_update(
                client=client, membrane_id=membrane_id, kind=kind, psa_id=change.psa_id,
                operations=operations,
            )  # fmt: skip
        except REFUSALS as error:
            _refused(change, error=error, kind=kind)
        record = sent or record
    return record, operations


def _store_applied(*, kind, applied: dict[int, dict], connection_id: int) -> None:
    """The PSA took these changes (change id → the record as it is now): mirror the records
    and mark the changes applied, together."""
    if not applied:
        return
    with transaction.atomic():
        store.store_records(connection_id=connection_id, kind=kind, records=[*applied.values()])
        PendingChange.objects.filter(pk__in=applied).update(
            status=Status.APPLIED, error="", field_errors={}, applied_at=timezone.now()
        )


def bulk_changes_apply(
    *, job_id: int, first_psa_id: int | None = None, last_psa_id: int | None = None
) -> None:
    """Apply the job's open changes of records ``first_psa_id``…``last_psa_id`` (all without
    them): their records read in one request, their mirror rows written together. A change
    the PSA refuses or that conflicts is recorded on it and the others go on. The part that
    leaves none of the job's changes open ends the job with the tally."""
    job_services.job_mark_running(job_id=job_id)
    part = PendingChange.objects.filter(job_id=job_id)
    if first_psa_id is not None:
        part = part.filter(psa_id__range=(first_psa_id, last_psa_id))
    claimed = part.filter(status__in=[Status.PENDING, Status.APPLYING]).update(
        status=Status.APPLYING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    changes = (
        list(part.filter(status=Status.APPLYING).select_related("connection").order_by("psa_id"))
        if claimed
        else []
    )
    applied: dict[int, dict] = {}
    try:
        _apply_part(changes, applied=applied, job_id=job_id)
    finally:  # what the PSA took is recorded even when a passing failure stops the part
        if applied:
            kind = registry.get_kind(changes[0].kind)
            _store_applied(kind=kind, applied=applied, connection_id=changes[0].connection_id)
    _bulk_progress(job_id)


def _apply_part(changes: list[PendingChange], *, applied: dict[int, dict], job_id: int) -> None:
    if not changes:
        return
    kind = registry.get_kind(changes[0].kind)
    client = membrane_client()
    membrane_id = changes[0].connection.membrane_id
    currents = _read_many(changes)
    for change in changes:
        try:
            if change.psa_id not in currents:  # gone from the PSA? Its own read says.
                pending_change_apply(change_id=change.pk, job_id=job_id)
                continue
            record, _ = _send_change(
                change=change,
                kind=kind,
                client=client,
                membrane_id=membrane_id,
                record=currents[change.psa_id],
            )
        except ChangeProblem:
            continue  # written on the change: refused, or a conflict
        applied[change.pk] = record


def _bulk_progress(job_id: int) -> None:
    """Count the job's changes on it; when none is left open, the job has succeeded (unless
    a part gave up and failed it)."""
    counts = _bulk_counts(job_id)
    total = sum(counts.values())
    still_open = counts.get(Status.PENDING, 0) + counts.get(Status.APPLYING, 0)
    summary = bulk_tally(job_id, counts=counts)
    job_services.job_progress(job_id=job_id, done=total - still_open, total=total, summary=summary)
    if not still_open and Job.objects.filter(pk=job_id, status__in=UNFINISHED).exists():
        job_services.job_succeed(job_id=job_id, summary=summary)


def _read_many(changes: list[PendingChange]) -> dict[int, dict]:
    """The PSA's current records for ``changes`` (one kind, one connection), in one request."""
    if not changes:
        return {}
    kind = registry.get_kind(changes[0].kind)
    ids = ", ".join(str(int(change.psa_id)) for change in changes)
    answer = (
        membrane_client()
        .proxy(
            changes[0].connection.membrane_id,
            "GET",
            kind.path,
            query={"conditions": f"id in ({ids})", "pageSize": len(changes)},
        )
        .json()
    )
    return {row["id"]: row for row in answer if fetch.record_from_body(row) is not None}


def _bulk_counts(job_id: int) -> dict[str, int]:
    return dict(
        PendingChange.objects.filter(job_id=job_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def bulk_tally(job_id: int, counts: dict[str, int] | None = None) -> str:
    counts = _bulk_counts(job_id) if counts is None else counts
    parts = [
        f"{counts[status]:,} {label}"
        for status, label in (
            (Status.APPLIED, "applied"),
            (Status.CONFLICT, "in conflict"),
            (Status.FAILED, "failed"),
            (Status.PENDING, "waiting"),
            (Status.APPLYING, "being sent"),
        )
        if counts.get(status)
    ]
    return ", ".join(parts) + "." if parts else "Nothing to change."


def bulk_changes_give_up(
    *,
    job_id: int,
    error: str,
    passing: bool,
    first_psa_id: int | None = None,
    last_psa_id: int | None = None,
) -> None:
    """A bulk task gave up: the open changes of its part wait for the sweep (or fail, if
    refused)."""
    still_open = PendingChange.objects.filter(
        job_id=job_id, status__in=[Status.PENDING, Status.APPLYING]
    )
    if first_psa_id is not None:
        still_open = still_open.filter(psa_id__range=(first_psa_id, last_psa_id))
    if passing:
        still_open.update(
            status=Status.PENDING,
            error=f"{error} It will be sent again in the background."[:2000],
        )
    else:
        still_open.update(status=Status.FAILED, error=error[:2000])


def _apply_create(*, change: PendingChange, kind, client, membrane_id: str) -> str:
    """Create the record with the kind's ``create-*`` action (or a POST through the proxy
    where the connector has none). A try after one that may have reached the PSA (it timed
    out, or the answer was lost) first looks for the record."""
    try:
        record = _created_earlier(change=change, kind=kind, client=client, membrane_id=membrane_id)
        # retry_safe: an unreadable answer is tried again, and the next try looks first.
        if record is None and kind.actions.create:
            action_id = _action_id(client, membrane_id, kind.actions.create)
            answer = client.run_action(
                action_id, connection_id=membrane_id, input=change.changes, retry_safe=True
            )
            record = fetch.record_from_body(answer["output"])
        elif record is None:
            answer = client.proxy(
                membrane_id, "POST", _create_path(change, kind), json=change.changes,
                retry_safe=True,
            )  # fmt: skip
            record = fetch.record_from_body(answer.json())
        if record is None:
            raise ChangeProblem(f"The PSA did not send the new {kind.singular} back.")
    except REFUSALS as error:
        _refused(change, error=error, kind=kind)
    if kind is registry.TICKET_NOTES:
        notes.note_store(connection_id=change.connection_id, record=record)
    else:
        store.store_records(connection_id=change.connection_id, kind=kind, records=[record])
    PendingChange.objects.filter(pk=change.pk).update(
        status=Status.APPLIED, psa_id=record["id"], error="", field_errors={},
        applied_at=timezone.now(),
    )  # fmt: skip
    return f"Created {kind.singular} #{record['id']}."


#: How to recognise a record an earlier try created: (the condition's field, "" when the
#: parent is in the path; where the parent's id is in the input; the field saying when the
#: record was entered; the fields that must equal the input's).
NEW_RECORD_IDENTITY = {
    "tickets": ("company/id", ("company", "id"), "_info/dateEntered", ("summary",)),
    "time_entries": ("chargeToId", ("chargeToId",), "_info/dateEntered", ("timeStart", "notes")),
    "ticket_notes": (
        "",
        ("ticketId",),
        "dateCreated",
        ("text", "detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag"),
    ),
}


def _parent_id(change: PendingChange, kind) -> int:
    parent = change.changes
    for key in NEW_RECORD_IDENTITY[kind.key][1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    return int(parent)


def _create_path(change: PendingChange, kind) -> str:
    """Where the new record is POSTed: under its parent for a nested kind (a note)."""
    return fetch.kind_path(kind, _parent_id(change, kind) if kind.parent else None)


def _created_earlier(*, change: PendingChange, kind, client, membrane_id: str) -> dict | None:
    """On a second try, the record an earlier try may have created: entered since the change
    was stored, with the same parent and the same identifying fields."""
    if change.attempts <= 1:
        return None
    parent_field, _, entered_field, same = NEW_RECORD_IDENTITY[kind.key]
    since = (change.created_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = f"{entered_field} >= [{since}]"
    if parent_field:
        conditions = f"{parent_field} = {_parent_id(change, kind)} and {conditions}"
    candidates = client.proxy(
        membrane_id,
        "GET",
        _create_path(change, kind),
        query={"conditions": conditions, "orderBy": "id desc", "pageSize": 50},
    ).json()
    return next(
        (
            row
            for row in candidates
            if isinstance(row, dict)
            and all(row.get(name) == change.changes.get(name) for name in same)
        ),
        None,
    )


def _action_id(client, membrane_id: str, key: str) -> str:
    """The id of the connection's action ``key``, found by intent as Membrane advises."""
    return _action(client, membrane_id, key)["id"]


def _action(client, membrane_id: str, key: str) -> dict:
    """The connection's action ``key`` (id, input schema), found by intent as Membrane
    advises, once per process."""
    cached = _ACTIONS.get((membrane_id, key))
    if cached:
        return cached
    for action in client.search_actions(connection_id=membrane_id, intent=key.replace("-", " ")):
        if isinstance(action, dict) and action.get("key") == key and action.get("id"):
            _ACTIONS[(membrane_id, key)] = action
            return action
    raise ChangeProblem(f"Membrane has no {key} action for this connection.")


#: What an update action's input holds: the record's id and the JSON Patch operations.
UPDATE_INPUT = ("id", "operations")


def _send_update(*, client, membrane_id: str, kind, psa_id: int, operations: list[dict]):
    """Send the operations: through the kind's update action where the connector has one
    (its input: the id and the operations), else as a PATCH through the proxy. Returns the
    record the PSA sent back (None when the answer holds none). Sending them twice is safe:
    a try after an unreadable answer reads the record again and sends only what differs."""
    if not kind.actions.update:
        answer = client.proxy(
            membrane_id, "PATCH", kind.record_path(psa_id), json=operations, retry_safe=True
        )
        return fetch.record_from_body(answer.json())
    action = _action(client, membrane_id, kind.actions.update)
    schema = action.get("inputSchema") or {}
    properties, required = schema.get("properties") or {}, schema.get("required") or []
    if not set(UPDATE_INPUT) <= set(properties) or not set(required) <= set(UPDATE_INPUT):
        # Another shape than documented: refuse rather than send a guess.
        raise ChangeProblem(
            f"The connector's {kind.actions.update} action asks for input this portal does "
            f"not know ({', '.join(sorted(required)) or 'none required'})."
        )
    answer = client.run_action(
        action["id"],
        connection_id=membrane_id,
        input={"id": psa_id, "operations": operations},
        retry_safe=True,
    )
    return fetch.record_from_body(answer["output"])


def _refused(change: PendingChange, *, error, kind) -> None:
    """The PSA (or Membrane) said no: fail the change with its words, on the fields."""
    if error.retryable:
        raise error
    message = _psa_message(error, kind)
    pending_change_fail(change_id=change.pk, error=message, field_errors=_field_errors(error))
    raise ChangeProblem(message) from error


def _field_errors(error) -> dict[str, str]:
    if isinstance(error, PsaError):
        return error.field_errors
    psa_error = error.psa_error if isinstance(error, ActionRunError) else None
    problems = (psa_error or {}).get("errors") or []
    return {
        problem["field"]: problem.get("message") or "is invalid"
        for problem in problems
        if isinstance(problem, dict) and problem.get("field")
    }


def _plan(*, change: PendingChange, kind, record: dict) -> tuple[list[dict], list[str], dict]:
    """(operations to send, paths in conflict, every changed path's value in the PSA now)."""
    operations, conflicts, now = [], [], {}
    for path, wanted in change.changes.items():
        field = _field(kind, path)
        now[path] = field_values.value_in(record, field)
        if now[path] == wanted:
            continue
        if now[path] != change.seen.get(path):
            conflicts.append(path)
        operations.append(field_values.patch_operation(wanted, field))
    return operations, conflicts, now


def _psa_message(error, kind) -> str:
    if error.status == 404:
        return f"This {kind.singular} no longer exists in the PSA."
    return describe_error(error)


def pending_change_wait(*, change_id: int, error: str) -> None:
    """The tries ran out on a cause that may pass: keep the change pending, saying why."""
    PendingChange.objects.filter(pk=change_id, status=Status.APPLYING).update(
        status=Status.PENDING, error=f"{error} It will be sent again in the background."[:2000]
    )


def pending_change_resend_stalled(*, older_than: timedelta | None = None) -> int:
    """Queue again every change left pending or applying for longer than ``older_than`` (by
    default, until it has stalled: ``jobs.selectors.stalled_after``): its tries ran out
    while Membrane was down, or its worker or message was lost. Returns how many were
    sent."""
    if older_than is None:
        older_than = job_selectors.stalled_after()
    stalled_before = timezone.now() - older_than
    sent = 0
    stalled = PendingChange.objects.filter(
        status__in=[Status.PENDING, Status.APPLYING], updated_at__lt=stalled_before
    )
    for change in stalled.select_related("author")[:RESEND_BATCH]:
        # Claimed by a conditional update, so two sweeps never send one change twice.
        claimed = PendingChange.objects.filter(pk=change.pk, updated_at=change.updated_at).update(
            status=Status.PENDING, updated_at=timezone.now()
        )
        if claimed:
            with transaction.atomic():
                _queue(change=change, user=change.author)
            sent += 1
    return sent


def pending_change_fail(*, change_id: int, error: str, field_errors: dict | None = None) -> None:
    """The PSA refused the change, or the task gave up on it: keep it, failed, with why."""
    PendingChange.objects.filter(pk=change_id, status=Status.APPLYING).update(
        status=Status.FAILED, error=error[:2000], field_errors=field_errors or {}
    )
