"""Writing PSA records into the mirror in bulk, and removing what the PSA deleted.

One page at a time: a statement per table (a COPY upsert on PostgreSQL), never a row at a
time, and nothing here keeps more than one page in memory.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
import psycopg
from django.db import connection as db_connection
from django.db import transaction
from psycopg.types.json import Jsonb

from psaportal.records import generations, models, registry, search

#: Records a sync page writes per transaction (``store_in_batches``).
WRITE_BATCH = 250
#: The search index's pending list (new GIN entries every search reads in full until they
#: are merged) is merged by the writer once it holds this much: often and briefly during a
#: sync, rather than 4 MB (the default) at a time while a list's search reads it all.
GIN_PENDING_LIST_LIMIT = "256kB"
#: Rows are COPied in PostgreSQL's binary format: psycopg sends numbers, dates and JSON as
#: they are, where the text format would have every value turned into escaped text first
#: (a tenth of the worker's time a record).
BINARY = "(FORMAT BINARY)"
#: The documents' COPY columns: connection_id, kind, psa_id, data.
DOCUMENT_TYPES = ["bigint", "varchar", "bigint", "jsonb"]


@dataclass
class StoredPage:
    count: int
    newest: datetime | None  # the newest _info/lastUpdated on the page


def database_now() -> datetime:
    """The database's clock, so every worker marks what it saw by one clock, whatever its own."""
    from django.db import connection

    # clock_timestamp(): the time now, not the start of the surrounding transaction.
    sql = {
        "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
        "postgresql": "SELECT clock_timestamp()",
    }.get(connection.vendor, "SELECT CURRENT_TIMESTAMP")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def mirror_rows(
    *,
    connection_id: int,
    kind: registry.RecordKind,
    records: Iterable[dict],
    synced_at: datetime,
) -> tuple[list[dict], datetime | None]:
    """Column values (by attribute name) for ``records``, one per id in id order, and
    their newest lastUpdated. Each row also holds the record itself as ``data``."""
    model = kind.model
    search_fields = kind.search_fields
    by_id = {record["id"]: record for record in records}
    rows = []
    newest = None
    for psa_id in sorted(by_id):
        record = by_id[psa_id]
        values = model.psa_values(record)
        updated = models.last_updated(record)
        if updated is not None and (newest is None or updated > newest):
            newest = updated
        values["psa_id"] = psa_id
        values["search_text"] = search.search_text([values.get(name) for name in search_fields])
        values.update(
            connection_id=connection_id, data=record, last_updated=updated, synced_at=synced_at
        )
        rows.append(values)
    return rows, newest


def store_records(
    *,
    connection_id: int,
    kind: registry.RecordKind,
    records: list[dict],
    synced_at: datetime | None = None,
    only_new: bool = False,
) -> StoredPage:
    """Insert or update ``records`` and their documents in bulk (a statement per table).

    ``only_new`` inserts the records not mirrored yet and leaves the others as they are.
    """
    if not records:
        return StoredPage(count=0, newest=None)
    with transaction.atomic():
        synced_at = synced_at or database_now()
        rows, newest = mirror_rows(
            connection_id=connection_id, kind=kind, records=records, synced_at=synced_at
        )
        if db_connection.vendor == "postgresql":
            _copy_upsert(kind, rows, only_new=only_new)
        else:
            kind.model.objects.bulk_create(
                [kind.model(**_without_data(values)) for values in rows],
                **_on_conflict(only_new, ["connection", "psa_id"], kind.model.typed_field_names()),
            )
            models.RecordDocument.objects.bulk_create(
                [
                    models.RecordDocument(
                        connection_id=connection_id,
                        kind=kind.key,
                        psa_id=values["psa_id"],
                        data=values["data"],
                    )
                    for values in rows
                ],
                **_on_conflict(only_new, ["connection", "kind", "psa_id"], ["data"]),
            )
        generations.mirror_changed(connection_id=connection_id, kind=kind.key)
    return StoredPage(count=len(rows), newest=newest)


def store_in_batches(
    *, connection_id: int, kind: registry.RecordKind, records: list[dict]
) -> StoredPage:
    """A sync page's ``store_records``, ``WRITE_BATCH`` records to a transaction.

    Short transactions keep the bursts of locks, WAL and index merging that the lists'
    queries run beside short; their commits do not wait for the disk, so four of them
    cost no more than one. Every batch is marked seen at the same moment, and a page cut
    short by a crash is simply stored again when its task is retried.
    """
    synced_at = database_now()
    ordered = sorted({record["id"]: record for record in records}.values(), key=_record_id)
    count, newest = 0, None
    for start in range(0, len(ordered), WRITE_BATCH):
        with transaction.atomic():
            _commit_without_waiting()
            stored = store_records(
                connection_id=connection_id,
                kind=kind,
                records=ordered[start : start + WRITE_BATCH],
                synced_at=synced_at,
            )
        count += stored.count
        if stored.newest is not None and (newest is None or stored.newest > newest):
            newest = stored.newest
    return StoredPage(count=count, newest=newest)


def _commit_without_waiting() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    A batch lost in a crash is harmless: the page is marked done only by a later, waiting
    commit, which writes the batches' WAL out before its own (WAL is written in order).
    """
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)")


def _record_id(record: dict) -> int:
    return record["id"]


def _on_conflict(only_new: bool, unique_fields: list[str], update_fields: list[str]) -> dict:
    """``bulk_create``'s arguments for rows already mirrored: leave them, or update them."""
    if only_new:
        return {"ignore_conflicts": True}
    return {
        "update_conflicts": True,
        "unique_fields": unique_fields,
        "update_fields": update_fields,
    }


def _without_data(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "data"}


@functools.cache
def _lz4_available() -> bool:
    """Whether the server was built with lz4 (asked once per process)."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
        return cursor.fetchone() is not None


class _CopyPlan(NamedTuple):
    columns: list[tuple[str, Any]]  # (attribute name, default) per mirror column
    column_types: list[int]  # the mirror columns' PostgreSQL type oids, for a binary COPY
    any_mirrored: str
    copy_new: str
    copy_new_documents: str
    create_load: str
    empty_load: str
    copy: str
    upsert: str
    upsert_documents: str
    insert_new: str
    insert_new_documents: str


@functools.cache
def _copy_plan(model: type[models.MirrorRecord]) -> _CopyPlan:
    """The columns of a mirror table and the SQL of its COPY upsert, worked out once."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = db_connection.ops.quote_name
    table = quote(model._meta.db_table)
    documents = quote(models.RecordDocument._meta.db_table)
    load = quote(f"load_{model._meta.db_table}")
    columns = ", ".join(quote(field.column) for field in fields)
    typed = set(model.typed_field_names())
    updates = ", ".join(
        f"{quote(field.column)} = EXCLUDED.{quote(field.column)}"
        for field in fields
        if field.name in typed
    )
    plan_columns = [
        (field.attname, field.get_default() if field.has_default() else None) for field in fields
    ]
    insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {load} ON CONFLICT "
    insert_documents = (
        f"INSERT INTO {documents} (connection_id, kind, psa_id, data) "
        f"SELECT connection_id, %s, psa_id, data FROM {load} ON CONFLICT "
    )
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} LIMIT 0")
        column_types = [column.type_code for column in cursor.description]
    return _CopyPlan(
        columns=plan_columns,
        column_types=column_types,
        any_mirrored=(
            f"SELECT EXISTS (SELECT 1 FROM {table} "
            "WHERE connection_id = %s AND psa_id BETWEEN %s AND %s)"
        ),
        copy_new=f"COPY {table} ({columns}) FROM STDIN {BINARY}",
        copy_new_documents=(
            f"COPY {documents} (connection_id, kind, psa_id, data) FROM STDIN {BINARY}"
        ),
        create_load=(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {load} ON COMMIT DELETE ROWS AS "
            f"SELECT {columns}, NULL::jsonb AS data FROM {table} WITH NO DATA"
        ),
        # Empty even when an earlier upsert ran in the same (test or outer) transaction.
        # DELETE, not TRUNCATE: the table is nearly always empty here, and TRUNCATE gives
        # it a new file (a catalog write) every time.
        empty_load=f"DELETE FROM {load}",
        copy=f"COPY {load} ({columns}, data) FROM STDIN {BINARY}",
        upsert=f"{insert}(connection_id, psa_id) DO UPDATE SET {updates}",
        # A document the PSA did not change is left as it is: no new row version to write.
        upsert_documents=(
            f"{insert_documents}(connection_id, kind, psa_id) DO UPDATE SET data = EXCLUDED.data "
            f"WHERE {documents}.data IS DISTINCT FROM EXCLUDED.data"
        ),
        insert_new=f"{insert}DO NOTHING",
        insert_new_documents=f"{insert_documents}DO NOTHING",
    )


def _copy_row(plan: _CopyPlan, values: dict) -> list:
    """A mirror row's column values for COPY, without its document."""
    return [values.get(name, default) for name, default in plan.columns]


def _json_bytes(record: dict) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:
        # orjson holds integers to 64 bits; jsonb takes any number the PSA sent.
        return json.dumps(record).encode()


def _document(record: dict) -> Jsonb:
    return Jsonb(record, dumps=_json_bytes)


def _copy_upsert(kind: registry.RecordKind, rows: list[dict], *, only_new: bool) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then upsert them in one statement
    per table; rows none of which is mirrored yet (a first full sync) are COPied straight
    into the tables.

    Many times faster than ``bulk_create``, whose UNNEST arrays make psycopg escape every
    JSON document character by character.
    """
    plan = _copy_plan(kind.model)
    with db_connection.cursor() as cursor:
        # For this transaction: compress the JSON with lz4 (a third cheaper than the
        # default pglz here) where the server has it, and merge the search index's pending
        # entries often (see GIN_PENDING_LIST_LIMIT).
        cursor.execute(
            "SELECT set_config('default_toast_compression', %s, true), "
            "set_config('gin_pending_list_limit', %s, true)",
            ["lz4" if _lz4_available() else "pglz", GIN_PENDING_LIST_LIMIT],
        )
        if _copy_new(cursor, plan, kind, rows):
            return
        cursor.execute(plan.create_load)
        cursor.execute(plan.empty_load)
        with cursor.connection.cursor().copy(plan.copy) as copy:
            copy.set_types([*plan.column_types, "jsonb"])
            for values in rows:
                row = _copy_row(plan, values)
                row.append(_document(values["data"]))  # the load table's last column
                copy.write_row(row)
        if only_new:
            cursor.execute(plan.insert_new)
            cursor.execute(plan.insert_new_documents, [kind.key])
        else:
            cursor.execute(plan.upsert)
            cursor.execute(plan.upsert_documents, [kind.key])


def _copy_new(cursor, plan: _CopyPlan, kind: registry.RecordKind, rows: list[dict]) -> bool:
    """COPY ``rows`` (in id order) straight into the mirror table and the documents when no
    record in their id range is mirrored yet. True when it did.

    An upsert through the temporary table costs a fifth more in PostgreSQL, for conflicts
    a first full sync does not have. A record stored meanwhile (an edit, a page sent
    twice) makes the COPY fail; the rows are then upserted as usual.
    """
    cursor.execute(
        plan.any_mirrored, [rows[0]["connection_id"], rows[0]["psa_id"], rows[-1]["psa_id"]]
    )
    if cursor.fetchone()[0]:
        return False
    try:
        with transaction.atomic():  # a savepoint, to fall back to the upsert
            with cursor.connection.cursor().copy(plan.copy_new) as copy:
                copy.set_types(plan.column_types)
                for values in rows:
                    copy.write_row(_copy_row(plan, values))
            with cursor.connection.cursor().copy(plan.copy_new_documents) as copy:
                copy.set_types(DOCUMENT_TYPES)
                for values in rows:
                    copy.write_row(
                        (
                            values["connection_id"],
                            kind.key,
                            values["psa_id"],
                            _document(values["data"]),
                        )
                    )
    except psycopg.errors.UniqueViolation:
        return False
    return True


def unseen(*, connection_id: int, kind: registry.RecordKind, before: datetime):
    """Mirrored records no sync has seen since ``before``: after a full sync that began at
    ``before``, the ones gone from the PSA."""
    return kind.model.objects.filter(connection_id=connection_id, synced_at__lt=before)


def delete_unseen(*, connection_id: int, kind: registry.RecordKind, before: datetime) -> int:
    """Remove the records ``unseen`` since ``before`` and their documents."""
    return _delete_with_documents(
        connection_id=connection_id,
        kind=kind,
        records=unseen(connection_id=connection_id, kind=kind, before=before),
    )


def missing_in_range(
    *,
    connection_id: int,
    kind: registry.RecordKind,
    listed: list[int],
    after_id: int,
    up_to: int | None,
    before: datetime,
):
    """Mirrored records with ids in (``after_id``, ``up_to``] (no upper end: None) that the
    PSA did not list on that page of an id sweep, leaving out any stored since ``before``
    (the sweep's start: an edit or sync may have just added it)."""
    records = unseen(connection_id=connection_id, kind=kind, before=before).filter(
        psa_id__gt=after_id
    )
    if up_to is not None:
        records = records.filter(psa_id__lte=up_to)
    return records.exclude(psa_id__in=listed)


def delete_missing(
    *, connection_id: int, kind: registry.RecordKind, psa_ids: list[int], before: datetime
) -> int:
    """Remove the records an id sweep found missing from the PSA, unless stored since."""
    return _delete_with_documents(
        connection_id=connection_id,
        kind=kind,
        records=unseen(connection_id=connection_id, kind=kind, before=before).filter(
            psa_id__in=psa_ids
        ),
    )


def tidy_indexes(*, kind: registry.RecordKind, analyze: bool) -> None:
    """PostgreSQL, after a sync run: merge the search index's pending entries, and (after a
    full sync) ANALYZE the table.

    A GIN index takes new entries into a pending list that every search reads in full, and
    only autovacuum or an overflow merges it; a sync leaves thousands there. ANALYZE plans
    the very next list query for the rows the table now holds.
    """
    if db_connection.vendor != "postgresql":
        return
    table = kind.model._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE i.indrelid = %s::regclass AND am.amname = 'gin'",
            [table],
        )
        if analyze:
            cursor.execute(f"ANALYZE {db_connection.ops.quote_name(table)}")


def delete_record(*, connection_id: int, kind: registry.RecordKind, psa_id: int) -> int:
    return _delete_with_documents(
        connection_id=connection_id,
        kind=kind,
        records=kind.model.objects.filter(connection_id=connection_id, psa_id=psa_id),
    )


def _delete_with_documents(*, connection_id: int, kind: registry.RecordKind, records) -> int:
    """Delete the mirrored ``records`` of ``kind`` and their documents; how many records."""
    with transaction.atomic():
        models.RecordDocument.objects.filter(
            connection_id=connection_id, kind=kind.key, psa_id__in=records.values("psa_id")
        ).delete()
        deleted, _ = records.delete()
        generations.mirror_changed(connection_id=connection_id, kind=kind.key)
    return deleted
