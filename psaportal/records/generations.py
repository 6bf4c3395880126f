"""The mirror's generation per kind: a counter bumped in the same transaction as every write
to that kind's mirrored records (``mirror_changed``, called by the mirror's writers in
records.sync.store). What is worked out from the mirror (the reports) is cached under the
generations of the kinds it read, so a cached answer is never served once the data under it
changed."""

from __future__ import annotations

from django.db import connection as db_connection
from django.utils import timezone

from psaportal.records.models import SyncState


def mirror_changed(*, connection_id: int, kind: str) -> None:
    """Count a write to ``kind``'s mirror. Called inside the writing transaction, after the
    write: every writer locks the records before this row, so none wait for each other in a
    circle, and the row is held only until the commit."""
    table = db_connection.ops.quote_name(SyncState._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (connection_id, kind, mirror_generation, updated_at) "
            "VALUES (%s, %s, 1, %s) ON CONFLICT (connection_id, kind) "
            f"DO UPDATE SET mirror_generation = {table}.mirror_generation + 1",
            [connection_id, kind, timezone.now()],
        )


def mirror_generations(*, connection_id: int, kinds: tuple[str, ...]) -> tuple[int, ...]:
    """The generation of each of ``kinds`` (0 for a kind never written), in that order."""
    found = dict(
        SyncState.objects.filter(connection_id=connection_id, kind__in=kinds).values_list(
            "kind", "mirror_generation"
        )
    )
    return tuple(found.get(kind, 0) for kind in kinds)
