"""A ConnectWise PSA REST API over a SQLite file: the proxy's and the actions' far end.

`PsaSimulator.handle()` answers one request (method, path, query, body) the way
ConnectWise does (connectwise-api.md): bare JSON arrays with a `Link` header, `/count`,
conditions/orderBy/fields, page/pageSize or forward-only `pageId`, POST/PUT/JSON Patch
with per-field validation, DELETE, and `_info/lastUpdated` bumped on every change.

Records live as JSON text in one table per kind (`id`, `last_updated`, `data`), so memory
stays flat however many records are seeded: lists stream rows from SQLite and join their
JSON text without parsing it. The file is a throw-away temp file unless `db_path` is
given, in which case it is reused while its scale, seed and anchor stay the same.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlencode

from .conditions import ConditionError, FieldRef, compile_sql, parse
from .errors import PsaError, bad_request, not_found
from .records import apply_patch, build_record, reference_for
from .schema import KINDS, PSA_BASE_URL, Kind, PathError, walk
from .seed import Seeder

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 25
UPDATED_BY = "membrane"
#: Part of the stored file's fingerprint: bump it when the tables, indexes or stored JSON
#: change (3: hrefs hold PSA_BASE_URL; 4: lookups served, members and boards complete;
#: 5: ticket notes).
STORAGE_VERSION = 5
#: Distinct filters whose counts are remembered (see `_total`).
REMEMBERED_COUNTS = 256


@dataclass(frozen=True)
class SeedScale:
    """How many records of each kind to seed (the default is a small MSP)."""

    members: int = 25
    companies: int = 150
    contacts: int = 600
    tickets: int = 2_000
    projects: int = 60
    opportunities: int = 150
    time_entries: int = 4_000
    products: int = 400
    expense_entries: int = 300
    configurations: int = 800

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            least = 1 if item.name in ("members", "companies") else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{item.name} must be a whole number of at least {least}")
        if self.contacts < self.companies:
            raise ValueError("contacts must be at least companies (each company has one)")


@dataclass
class PsaAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def _json_answer(value: Any, status: int = 200, headers: dict[str, str] | None = None):
    return PsaAnswer(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                     json.dumps(value, separators=(",", ":")).encode())  # fmt: skip


def _today_utc() -> int:
    now = int(time.time())
    return now - now % 86_400


_ORDER_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_/]*)\s*(?:\s(asc|desc))?\s*", re.IGNORECASE)
#: (path segments, kind), longest first, so /company/companies/statuses is not read as a
#: company; "{board}" and "{ticket}" stand for the parent record's id.
ROUTES = sorted(
    ((tuple(kind.path.strip("/").lower().split("/")), kind) for kind in KINDS.values()),
    key=lambda route: -len(route[0]),
)
PARENT_SEGMENTS = {"{board}": "board", "{ticket}": "ticket"}
TICKET_KIND = KINDS["ticket"]
#: Time entries charged to these show on the ticket (allNotes).
TICKET_CHARGE_TYPES = ("ServiceTicket", "ProjectTicket")


class PsaSimulator:
    """Seeded ConnectWise PSA data behind `handle()`; safe to call from many threads."""

    def __init__(
        self,
        scale: SeedScale | None = None,
        seed: int = 1,
        db_path: str | None = None,
        anchor: int | None = None,
    ) -> None:
        self.scale = scale or SeedScale()
        self.seed = seed
        self.anchor = _today_utc() if anchor is None else anchor
        self._temp_dir = None
        if db_path is None:
            self._temp_dir = tempfile.mkdtemp(prefix="psa-sandbox-")
            db_path = os.path.join(self._temp_dir, "psa.sqlite3")
        self.db_path = db_path
        self._lock = threading.Lock()
        self._last_now = 0
        self._counts: dict[tuple, int] = {}
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        try:
            self._open()
        except BaseException:  # also Ctrl+C / SIGTERM mid-seed: leave no temp files behind
            self.close()
            raise

    def _open(self) -> None:
        # The data is disposable: trade durability for seeding and write speed.
        self._conn.execute("PRAGMA journal_mode=MEMORY")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA cache_size=-65536")
        fingerprint = json.dumps(
            {
                "scale": asdict(self.scale),
                "seed": self.seed,
                "anchor": self.anchor,
                "storage": STORAGE_VERSION,
            },
            sort_keys=True,
        )
        if self._stored_fingerprint() != fingerprint:
            self._seed(fingerprint)

    # -- storage -----------------------------------------------------------------------

    def _stored_fingerprint(self) -> str | None:
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    def _seed(self, fingerprint: str) -> None:
        conn = self._conn
        conn.execute("BEGIN")
        conn.execute("DROP TABLE IF EXISTS meta")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for kind in KINDS.values():
            conn.execute(f"DROP TABLE IF EXISTS {kind.table}")
            conn.execute(
                f"CREATE TABLE {kind.table} (id INTEGER PRIMARY KEY, "
                "last_updated TEXT NOT NULL, data TEXT NOT NULL)"
            )
        Seeder(conn, self.scale, self.seed, self.anchor).run()
        for kind in KINDS.values():
            conn.execute(f"CREATE INDEX {kind.table}_updated ON {kind.table} (last_updated)")
            # Narrow, in id order: lists choose their page's ids here (see _page_rows).
            conn.execute(f"CREATE INDEX {kind.table}_by_id ON {kind.table} (id, last_updated)")
        conn.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    # RecordStore (records.py) -------------------------------------------------------

    def fetch(self, table: str, record_id: int) -> dict | None:
        row = self._conn.execute(f"SELECT data FROM {table} WHERE id = ?", (record_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def find_id(self, table: str, json_path: str, value: str) -> int | None:
        row = self._conn.execute(
            f"SELECT id FROM {table} WHERE json_extract(data, ?) = ? COLLATE NOCASE LIMIT 1",
            (json_path, value),
        ).fetchone()
        return row[0] if row else None

    def now_iso(self) -> str:
        # Second precision like ConnectWise; never earlier than a previous change.
        self._last_now = max(self._last_now, int(time.time()))
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._last_now))

    def count(self, kind_name: str) -> int:
        table = KINDS[kind_name].table
        with self._lock:
            return self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # -- HTTP --------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> PsaAnswer:
        """Answer one ConnectWise API request (`path` is below PSA_BASE_URL)."""
        request = _Request(method.upper(), path, query or [], body, headers or {})
        try:
            with self._lock:
                return self._route(request)
        except PsaError as exc:
            return _json_answer(exc.as_body(), exc.status)
        except ConditionError as exc:
            return _json_answer(bad_request(str(exc)).as_body(), 400)

    def _route(self, request: _Request) -> PsaAnswer:
        parts = [part for part in request.path.split("/") if part]
        lowered = [part.lower() for part in parts]
        if lowered[:2] == ["service", "tickets"] and lowered[3:4] == ["allnotes"]:
            ticket_id = _whole_number(parts[2], "ticket id")
            self._require(TICKET_KIND, ticket_id)
            if len(parts) > 4:
                raise not_found(f"No API resource at /{'/'.join(parts)}")
            if request.method != "GET":
                raise PsaError(405, "MethodNotAllowed", "allNotes is read-only")
            return self._all_notes(ticket_id, request)
        kind, parent, rest = self._match(parts)
        if not rest:
            if request.method == "GET":
                return self._list(kind, request, parent)
            if request.method == "POST":
                return self._create(kind, request, parent)
        elif rest == ["count"] or [part.lower() for part in rest] == ["count"]:
            if request.method == "GET":
                return _json_answer({"count": self._count(kind, request, parent)})
        elif len(rest) == 1 and rest[0].isdigit():
            record_id = int(rest[0])
            if request.method == "GET":
                return self._get(kind, record_id, request, parent)
            if request.method in ("PUT", "PATCH"):
                return self._update(kind, record_id, request, parent)
            if request.method == "DELETE":
                return self._delete(kind, record_id, parent)
        else:
            raise not_found(f"No API resource at /{'/'.join(parts)}")
        raise PsaError(405, "MethodNotAllowed", f"{request.method} is not allowed here")

    def _match(self, parts: list[str]) -> tuple[Kind, int | None, list[str]]:
        """The kind a path names, its parent's id when it lives under one (a board's
        statuses, a ticket's notes), and the rest."""
        lowered = [part.lower() for part in parts]
        for segments, kind in ROUTES:
            head = lowered[: len(segments)]
            if len(head) < len(segments) or any(
                want != got
                for want, got in zip(segments, head, strict=True)
                if want not in PARENT_SEGMENTS
            ):
                continue
            parent = None
            for placeholder, parent_kind in PARENT_SEGMENTS.items():
                if placeholder in segments:
                    parent = _whole_number(parts[segments.index(placeholder)], f"{parent_kind} id")
                    self._require(KINDS[parent_kind], parent)
            return kind, parent, parts[len(segments) :]
        raise not_found(f"No API resource at /{'/'.join(parts)}")

    # -- reads -------------------------------------------------------------------------

    def _where(self, kind: Kind, request: _Request, parent: int | None) -> tuple[str, list]:
        clauses, params = [], []
        if parent is not None:
            clauses.append(f"json_extract(t.data, '{kind.parent_field}') = ?")
            params.append(parent)
        conditions = request.param("conditions")
        if conditions:
            node = parse(conditions)
            if node is not None:
                sql, values = compile_sql(node, _resolver(kind))
                clauses.append(sql)
                params += values
        for name, list_field in (
            ("childConditions", None),
            ("customFieldConditions", "customFields"),
        ):
            text = request.param(name)
            if text:
                sql, values = _collection_condition(kind, text, name, list_field)
                clauses.append(sql)
                params += values
        return (" AND ".join(clauses) or "1"), params

    def _count(self, kind: Kind, request: _Request, parent: int | None) -> int:
        return self._total(kind, *self._where(kind, request, parent))

    def _total(self, kind: Kind, where: str, params: list) -> int:
        """How many records match; remembered until the next write, since paging through a
        list asks for the same count (its Link header's last page) on every page."""
        key = (kind.table, where, tuple(params))
        if key not in self._counts:
            if len(self._counts) >= REMEMBERED_COUNTS:
                self._counts.clear()
            sql = f"SELECT COUNT(*) FROM {kind.table} AS t WHERE {where}"
            self._counts[key] = self._conn.execute(sql, params).fetchone()[0]
        return self._counts[key]

    def _list(self, kind: Kind, request: _Request, parent: int | None) -> PsaAnswer:
        where, params = self._where(kind, request, parent)
        size = _page_number(request.param("pageSize"), "pageSize", DEFAULT_PAGE_SIZE)
        size = min(size, MAX_PAGE_SIZE)
        projection = _projection(kind, request.param("fields"))
        forward = (request.header("pagination-type") or "").lower() == "forward-only"
        if request.param("pageId") is not None and not forward:
            # ConnectWise honours pageId only in forward-only mode; say so rather than page.
            raise bad_request("pageId needs the request header 'pagination-type: forward-only'")
        headers: dict[str, str] = {}
        if forward:
            if request.param("orderBy"):
                raise bad_request("orderBy cannot be used with forward-only paging (pageId)")
            after = _whole_number(request.param("pageId") or "0", "pageId")
            rows = self._page_rows(kind, f"({where}) AND t.id > ?", [*params, after], "t.id", size)
            headers["pagination-type"] = "forward-only"
            if len(rows) == size:
                headers["Link"] = _link(request, {"pageId": str(rows[-1][0])}, "next")
        else:
            page = _page_number(request.param("page"), "page", 1)
            order = _order_by(kind, request.param("orderBy"))
            rows = self._page_rows(kind, where, params, order, size, (page - 1) * size)
            if page > 1 or len(rows) == size:
                total = self._total(kind, where, params)
                headers["Link"] = _page_links(request, page, max(1, math.ceil(total / size)))
        if projection is None:
            # The stored JSON as is, joined in a single copy (a page is megabytes, and each
            # extra copy of it costs about a millisecond): the brackets ride on the first
            # and last rows.
            parts = [row[1] for row in rows] or [b""]
            parts[0] = b"[" + parts[0]
            parts[-1] += b"]"
            body = b",".join(parts)
        else:
            records = [projection(json.loads(row[1])) for row in rows]
            body = json.dumps(records, separators=(",", ":")).encode()
        if not headers.get("Link"):
            headers.pop("Link", None)
        return PsaAnswer(200, {"Content-Type": "application/json; charset=utf-8", **headers}, body)

    def _page_rows(
        self, kind: Kind, where: str, params: list, order: str, size: int, offset: int = 0
    ) -> list[tuple[int, bytes]]:
        """One page of (id, JSON bytes) rows, in `order`.

        The page's ids are chosen first: unless the filter or the order reads `data`, SQLite
        finds them in the narrow (id, last_updated) index rather than walking the wide rows
        (an OFFSET, or an `_info/lastUpdated` few records meet, would read the whole table).
        The JSON comes back as bytes, to be joined into the answer unparsed.
        """
        page = f"SELECT t.id FROM {kind.table} AS t WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        sql = (
            f"SELECT t.id, CAST(t.data AS BLOB) FROM {kind.table} AS t "
            f"WHERE t.id IN ({page}) ORDER BY {order}"
        )
        return self._conn.execute(sql, [*params, size, offset]).fetchall()

    def _get(self, kind: Kind, record_id: int, request: _Request, parent: int | None) -> PsaAnswer:
        record = self._require(kind, record_id, parent)
        projection = _projection(kind, request.param("fields"))
        if projection is not None:
            record = projection(record)
        return self._record_answer(record, 200)

    def _require(self, kind: Kind, record_id: int, parent: int | None = None) -> dict:
        record = self.fetch(kind.table, record_id)
        if record is None or (parent is not None and _parent_id(kind, record) != parent):
            raise _missing(kind, record_id)
        return record

    def _all_notes(self, ticket_id: int, request: _Request) -> PsaAnswer:
        """GET /service/tickets/{id}/allNotes: the ticket's notes and the notes of the time
        entries charged to it, as ServiceTicketNote (noteType TicketNote / TimeEntryNote),
        oldest first."""
        for name in ("conditions", "childConditions", "orderBy", "fields"):
            if request.param(name):
                raise bad_request(f"The sandbox's allNotes does not take {name}")
        size = min(_page_number(request.param("pageSize"), "pageSize", DEFAULT_PAGE_SIZE),
                   MAX_PAGE_SIZE)  # fmt: skip
        page = _page_number(request.param("page"), "page", 1)
        ticket = reference_for(self, "ticket", ticket_id)
        notes = [
            _ticket_note_entry(json.loads(row[0]), ticket)
            for row in self._conn.execute(
                "SELECT data FROM ticket_note WHERE json_extract(data, '$.ticketId') = ?",
                (ticket_id,),
            )
        ]
        placeholders = ", ".join("?" for _ in TICKET_CHARGE_TYPES)
        entries = self._conn.execute(
            "SELECT data FROM time_entry WHERE json_extract(data, '$.chargeToId') = ? "
            f"AND json_extract(data, '$.chargeToType') IN ({placeholders})",
            (ticket_id, *TICKET_CHARGE_TYPES),
        )
        for row in entries:
            entry = json.loads(row[0])
            if entry.get("notes"):
                notes.append(_time_entry_note(entry, ticket))
        notes.sort(key=lambda note: (note.get("timeStart") or "", note["noteType"], note["id"]))
        headers = {}
        if page > 1 or len(notes) > size:
            headers["Link"] = _page_links(request, page, max(1, math.ceil(len(notes) / size)))
        return _json_answer(notes[(page - 1) * size : page * size], 200, headers)

    @staticmethod
    def _record_answer(record: dict, status: int) -> PsaAnswer:
        body = json.dumps(record, separators=(",", ":")).encode()
        return PsaAnswer(status, {"Content-Type": "application/json; charset=utf-8"}, body)

    # -- writes ------------------------------------------------------------------------

    def _write(self, sql: str, params: tuple) -> sqlite3.Cursor:
        self._counts.clear()  # any change can change any count
        return self._conn.execute(sql, params)

    def _writable(self, kind: Kind) -> None:
        if not kind.writable:
            raise PsaError(405, "MethodNotAllowed", f"The sandbox serves {kind.name} read-only")

    def _create(self, kind: Kind, request: _Request, parent: int | None = None) -> PsaAnswer:
        self._writable(kind)
        body = request.json()
        if parent is not None and isinstance(body, dict):
            # The path names the parent; a parent id in the body does not move the record.
            body = {key: value for key, value in body.items() if key.lower() != "ticketid"}
            body["ticketId"] = parent
        record = build_record(self, kind, body)
        record_id = self._conn.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {kind.table}")
        record_id = record_id.fetchone()[0]
        now = self.now_iso()
        info = {"lastUpdated": now, "updatedBy": UPDATED_BY, "dateEntered": now,
                "enteredBy": UPDATED_BY}  # fmt: skip
        stored = {"id": record_id, **record, "_info": info}
        self._write(
            f"INSERT INTO {kind.table} (id, last_updated, data) VALUES (?, ?, ?)",
            (record_id, now, json.dumps(stored, separators=(",", ":"))),
        )
        return self._record_answer(stored, 201)

    def _update(
        self, kind: Kind, record_id: int, request: _Request, parent: int | None = None
    ) -> PsaAnswer:
        self._writable(kind)
        existing = self._require(kind, record_id, parent)
        body = request.json()
        if request.method == "PATCH":
            body = apply_patch(kind, existing, body)
        record = build_record(self, kind, body, existing=existing)
        now = self.now_iso()
        info = {**existing.get("_info", {}), "lastUpdated": now, "updatedBy": UPDATED_BY}
        stored = {"id": record_id, **record, "_info": info}
        self._write(
            f"UPDATE {kind.table} SET last_updated = ?, data = ? WHERE id = ?",
            (now, json.dumps(stored, separators=(",", ":")), record_id),
        )
        return self._record_answer(stored, 200)

    def _delete(self, kind: Kind, record_id: int, parent: int | None = None) -> PsaAnswer:
        self._writable(kind)
        if parent is not None:
            self._require(kind, record_id, parent)
        deleted = self._write(f"DELETE FROM {kind.table} WHERE id = ?", (record_id,))
        if deleted.rowcount == 0:
            raise _missing(kind, record_id)
        return PsaAnswer(204, {}, b"")


# -- request parsing -------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: bytes | None
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        # ConnectWise reads query parameter names case-insensitively; the last one wins.
        wanted, found = name.lower(), None
        for key, value in self.query:
            if key.lower() == wanted:
                found = value
        return found

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        if not self.body or not self.body.strip():
            raise bad_request("The request body is empty; send a JSON document")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise bad_request(f"The request body is not valid JSON ({exc})") from None


def _missing(kind: Kind, record_id: int) -> PsaError:
    label = re.sub(r"(?<!^)(?=[A-Z])", " ", kind.name).lower().capitalize()
    return not_found(f"{label} with id {record_id} was not found")


def _parent_id(kind: Kind, record: dict) -> int | None:
    value: Any = record
    for name in kind.parent_field.removeprefix("$.").split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


NOTE_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "issueFlag")


def _ticket_note_entry(note: dict, ticket: dict | None) -> dict:
    """A ticket note as allNotes lists it (ServiceTicketNote)."""
    entry = {"id": note["id"], "noteType": "TicketNote", "ticket": ticket, "text": note.get("text")}
    entry.update({flag: bool(note.get(flag)) for flag in NOTE_FLAGS})
    for name in ("member", "contact"):
        if note.get(name):
            entry[name] = note[name]
    # ServiceTicketNote has no dateCreated: the note's time is its timeStart (unverified).
    entry["timeStart"] = note.get("dateCreated")
    entry["originalAuthor"] = (note.get("member") or {}).get("name") or note.get("createdBy")
    entry["_info"] = note.get("_info", {})
    return entry


def _time_entry_note(time_entry: dict, ticket: dict | None) -> dict:
    """A time entry's notes as allNotes lists them; its addTo*Flags place them."""
    return {
        "id": time_entry["id"],
        "noteType": "TimeEntryNote",
        "ticket": ticket,
        "text": time_entry.get("notes"),
        "detailDescriptionFlag": bool(time_entry.get("addToDetailDescriptionFlag")),
        "internalAnalysisFlag": bool(time_entry.get("addToInternalAnalysisFlag")),
        "resolutionFlag": bool(time_entry.get("addToResolutionFlag")),
        "issueFlag": False,
        "member": time_entry.get("member"),
        "timeStart": time_entry.get("timeStart"),
        "timeEnd": time_entry.get("timeEnd"),
        "originalAuthor": (time_entry.get("member") or {}).get("name"),
        "_info": time_entry.get("_info", {}),
    }


def _whole_number(text: str, name: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise bad_request(f"{name} must be a whole number, not '{text[:40]}'")
    return int(text)


def _page_number(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    value = _whole_number(text.strip(), name)
    if value < 1:
        raise bad_request(f"{name} must be at least 1")
    return value


def _link(request: _Request, changes: dict[str, str], rel: str) -> str:
    query = [(k, v) for k, v in request.query if k.lower() not in {c.lower() for c in changes}]
    query += list(changes.items())
    path = "/" + request.path.strip("/")
    return f'<{PSA_BASE_URL}{path}?{urlencode(query)}>; rel="{rel}"'


def _page_links(request: _Request, page: int, last: int) -> str:
    links = []
    if page > 1:
        links.append(_link(request, {"page": "1"}, "first"))
        links.append(_link(request, {"page": str(min(page - 1, last))}, "prev"))
    if page < last:
        links.append(_link(request, {"page": str(page + 1)}, "next"))
        links.append(_link(request, {"page": str(last)}, "last"))
    return ", ".join(links)


# -- field paths -----------------------------------------------------------------------


def _steps(kind: Kind, path: str, pos: int | None) -> list[tuple[str, Any]]:
    try:
        return walk(kind, path)
    except PathError as exc:
        raise ConditionError(str(exc), pos) from None


def _resolver(kind: Kind):
    """Map a condition's field path to a trusted SQL expression over `t.data`."""

    def resolve(path: str, pos: int) -> FieldRef:
        steps = _steps(kind, path, pos)
        names = [name for name, _ in steps]
        for name, spec in steps:
            if spec.type == "list":
                raise ConditionError(f"'{name}' is a list; filter it with childConditions", pos)
        last = steps[-1][1]
        if last.type in ("ref", "object"):
            raise ConditionError(
                f"'{path}' is an object; compare one of its members, e.g. {path}/id", pos
            )
        if names == ["id"]:
            return FieldRef("t.id", "int")
        if names == ["_info", "lastUpdated"]:
            return FieldRef("t.last_updated", "datetime")
        return FieldRef(f"json_extract(t.data, '$.{'.'.join(names)}')", last.type)

    return resolve


def _collection_condition(
    kind: Kind, text: str, parameter: str, list_field: str | None
) -> tuple[str, list]:
    """childConditions / customFieldConditions: a condition on the items of one list field.

    Every path names a member of the same list (`communicationItems/value`), or, for
    custom fields, a member of a custom field (`caption`, `value`); a record matches when
    one item satisfies the whole condition.
    """
    seen: set[str] = set()

    def resolve(path: str, pos: int) -> FieldRef:
        full = f"{list_field}/{path}" if list_field else path
        try:
            steps = walk(kind, full)
        except PathError as exc:
            raise ConditionError(f"{parameter}: {exc}", pos) from None
        list_at = next((i for i, (_, spec) in enumerate(steps) if spec.type == "list"), None)
        if list_at is None or list_at == len(steps) - 1:
            raise ConditionError(f"{parameter}: '{path}' is not a member of a list field", pos)
        member = steps[list_at + 1 :]
        if any(spec.type in ("ref", "object", "list") for _, spec in member[-1:]):
            raise ConditionError(f"{parameter}: compare a plain member, not '{path}'", pos)
        seen.add(".".join(name for name, _ in steps[: list_at + 1]))
        inner = ".".join(name for name, _ in member)
        return FieldRef(f"json_extract(item.value, '$.{inner}')", member[-1][1].type)

    node = parse(text)
    if node is None:
        return "1", []
    sql, params = compile_sql(node, resolve)
    if len(seen) != 1:
        raise ConditionError(f"{parameter} must name members of one list field only")
    (list_path,) = seen
    return f"EXISTS (SELECT 1 FROM json_each(t.data, '$.{list_path}') AS item WHERE {sql})", params


def _order_by(kind: Kind, text: str | None) -> str:
    terms = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _ORDER_RE.fullmatch(part)
        if not match:
            raise bad_request(f"orderBy: '{part.strip()[:60]}' is not 'field [asc|desc]'")
        try:
            field = _resolver(kind)(match.group(1), 0)
        except ConditionError as exc:
            raise bad_request(f"orderBy: {exc.message}") from None
        collate = " COLLATE NOCASE" if field.type == "str" else ""
        terms.append(f"{field.sql}{collate} {(match.group(2) or 'asc').upper()}")
    terms.append("t.id ASC")  # a stable order, so pages never overlap
    return ", ".join(terms)


def _projection(kind: Kind, text: str | None):
    """A function keeping only the requested `fields` (nested paths allowed), or None."""
    if not text or not text.strip():
        return None
    paths = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            steps = walk(kind, part.strip())
        except PathError as exc:
            raise bad_request(f"fields: {exc}") from None
        paths.append([name for name, _ in steps])

    def project(record: dict) -> dict:
        out: dict = {}
        for names in paths:
            source, target = record, out
            for depth, name in enumerate(names):
                if not isinstance(source, dict) or name not in source:
                    break
                if depth == len(names) - 1:
                    target[name] = source[name]
                else:
                    source = source[name]
                    target = target.setdefault(name, {})
        return out

    return project
