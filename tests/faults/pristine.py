"""Is the mirror the PSA's data, exactly? Every kind, every id, each record's document and
its typed columns, compared with what the sandbox sends now (read with plain offset pages,
not the sync's own fetch, and with the faults off)."""

from __future__ import annotations

from psaportal.membrane import MembraneClient
from psaportal.records import registry
from psaportal.records.models import RecordDocument, last_updated

PAGE = 1000


def psa_records(client: MembraneClient, membrane_id: str, path: str) -> dict[int, dict]:
    """Every record under ``path`` in the PSA, by id."""
    records: dict[int, dict] = {}
    page = 1
    while True:
        query = {"page": page, "pageSize": PAGE, "orderBy": "id asc"}
        body = client.proxy(membrane_id, "GET", path, query=query).json()
        records.update((record["id"], record) for record in body)
        if len(body) < PAGE:
            return records
        page += 1


def psa_kind(client: MembraneClient, membrane_id: str, kind: registry.RecordKind):
    if not kind.parent:
        return psa_records(client, membrane_id, kind.path)
    parent = registry.get_kind(kind.parent)
    records: dict[int, dict] = {}
    for parent_id in psa_records(client, membrane_id, parent.path):
        records.update(psa_records(client, membrane_id, kind.path.format(parent_id=parent_id)))
    return records


def mirror_differences(
    *, connection, client: MembraneClient, kinds: list[str] | None = None
) -> list[str]:
    """What differs between the mirror of ``connection`` and the PSA, in words (empty when
    they are the same)."""
    differences: list[str] = []
    for kind in registry.sync_order():
        if kinds is not None and kind.key not in kinds:
            continue
        psa = psa_kind(client, connection.membrane_id, kind)
        columns = kind.model.psa_values(next(iter(psa.values()))) if psa else {}
        mirrored = {
            row["psa_id"]: row
            for row in kind.model.objects.filter(connection=connection).values(
                "psa_id", "last_updated", *columns
            )
        }
        documents = dict(
            RecordDocument.objects.filter(connection=connection, kind=kind.key).values_list(
                "psa_id", "data"
            )
        )
        if set(mirrored) != set(psa):
            missing = sorted(set(psa) - set(mirrored))[:10]
            extra = sorted(set(mirrored) - set(psa))[:10]
            differences.append(f"{kind.key}: missing ids {missing}, extra ids {extra}")
        for psa_id, record in psa.items():
            row = mirrored.get(psa_id)
            if row is None:
                continue
            if documents.get(psa_id) != record:
                differences.append(f"{kind.key} #{psa_id}: the document differs")
            wanted = kind.model.psa_values(record) | {"last_updated": last_updated(record)}
            for name, value in wanted.items():
                if row[name] != value:
                    differences.append(f"{kind.key} #{psa_id}.{name}: {row[name]!r} != {value!r}")
    return differences
