"""Reading PSA records page by page through Membrane's proxy.

Paging is forward-only (``pageId=N``, meaning "ids above N", in id order), not
``page=N&orderBy=id asc``. Offset pages shift when a record on an earlier page is deleted
while a sync runs: a record slides from page N+1 onto page N after page N was read and is
never seen (a gap), and on a full sync it would then be removed from the mirror as deleted.
With "ids above N" a deletion or a new record (new records get higher ids) never moves a
record across a page boundary, so every record alive during the whole sync is read exactly
once, and a page fetched again after an error holds the same records. The cost is that
page N+1 is known only once page N has arrived; services.py hands it to the next worker
as soon as the fetch returns, so fetching one page and storing another overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from psaportal.membrane import MalformedResponseError, MembraneClient
from psaportal.records import models
from psaportal.records.registry import RecordKind

# A JSON escape of a UTF-16 surrogate (paired ones are fine; a lone one is not storable).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: The first sync's page of the newest records (``RecordKind.first_page_conditions``): two
#: list pages' worth, small so that it arrives within a fraction of a second.
NEWEST_PAGE_SIZE = 100
#: Incremental syncs ask again for this much time before the watermark, so a change that
#: landed while the previous sync ran (or a small clock difference) is not missed.
OVERLAP = timedelta(minutes=2)
FORWARD_ONLY = {"pagination-type": "forward-only"}


@dataclass
class FetchedPage:
    """One page of PSA records as the PSA sent them."""

    records: list[dict]
    last_id: int | None  # the highest id on the page: the next page asks for ids above it
    full: bool  # as many records as asked for, so there may be more


def kind_path(kind: RecordKind, parent_id: int | None = None) -> str:
    if kind.parent:
        if parent_id is None:
            raise ValueError(f"{kind.key} needs the id of its {kind.parent} record")
        return kind.path.replace("{parent_id}", str(int(parent_id)))
    return kind.path


def since_condition(since: datetime) -> str:
    """The ConnectWise condition for records changed after ``since``."""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"_info/lastUpdated > [{stamp}]"


def count_records(*, client: MembraneClient, connection_id: str, kind: RecordKind) -> int:
    """The PSA's count of ``kind`` (GET {path}/count)."""
    response = client.proxy(connection_id, "GET", f"{kind_path(kind)}/count")
    body = response.json()
    count = body.get("count") if isinstance(body, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise MalformedResponseError(
            f"ConnectWise PSA answered the {kind.plural} count without a count.", data=body
        )
    return count


def fetch_page(
    *,
    client: MembraneClient,
    connection_id: str,
    kind: RecordKind,
    after_id: int = 0,
    parent_id: int | None = None,
    since: datetime | None = None,
    page_size: int | None = None,
    fields: str = "",
) -> FetchedPage:
    """One forward-only page: up to ``page_size`` (``RECORDS_SYNC_PAGE_SIZE``) records with
    ids above ``after_id`` (with ``fields``, only those fields of each: ``"id"`` for an id
    sweep)."""
    page_size = page_size or settings.RECORDS_SYNC_PAGE_SIZE
    query: dict[str, object] = {"pageSize": page_size}
    if after_id:
        query["pageId"] = after_id
    if since is not None:
        query["conditions"] = since_condition(since)
    if fields:
        query["fields"] = fields
    response = client.proxy(
        connection_id, "GET", kind_path(kind, parent_id), query=query, headers=FORWARD_ONLY
    )
    body = _list_body(response, kind)
    records = _records(body)
    last_id = max((record["id"] for record in records), default=None)
    return FetchedPage(records=records, last_id=last_id, full=len(body) >= page_size)


def fetch_newest(
    *,
    client: MembraneClient,
    connection_id: str,
    kind: RecordKind,
    page_size: int = NEWEST_PAGE_SIZE,
) -> list[dict]:
    """The most recently updated records matching the kind's ``first_page_conditions``:
    one offset page ordered by ``_info/lastUpdated desc`` (the full sync reads them again
    in its own order)."""
    query = {
        "pageSize": page_size,
        "orderBy": "_info/lastUpdated desc",
        "conditions": kind.first_page_conditions,
    }
    response = client.proxy(connection_id, "GET", kind_path(kind), query=query)
    return _records(_list_body(response, kind))


def _list_body(response, kind: RecordKind) -> list:
    """A list answer's JSON list, made storable (see ``storable``)."""
    body = response.json()
    if not isinstance(body, list):
        raise MalformedResponseError(
            f"ConnectWise PSA answered a page of {kind.plural} with something not a list.",
            status=response.status_code,
        )
    if b"\\u0000" in response.content or SURROGATE_ESCAPE.search(response.content):
        body = storable(body)
    return body


def _records(body: list) -> list[dict]:
    """The records of a list answer: the dicts with a whole-number id a bigint holds."""
    return [
        record
        for record in body
        if isinstance(record, dict) and models.whole(record.get("id")) is not None
    ]


def storable(value):
    """A JSON value PostgreSQL can store: text and jsonb refuse NUL characters and lone
    surrogates (a "\\ud800" escape without its pair), so they are taken out."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


def record_from_body(body) -> dict | None:
    """A single PSA record from a GET answer (storable), or None when it is not one."""
    if isinstance(body, dict) and models.whole(body.get("id")) is not None:
        return storable(body)
    return None
