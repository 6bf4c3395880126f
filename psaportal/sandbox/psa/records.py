"""Validating writes: turn a POST/PUT body or a JSON Patch into a stored record.

Rules: every field is checked against the schema (type, length, choices); reference
objects given by `id` (or `identifier`/`name`) are resolved to full ConnectWise
references; unknown fields and unknown references are field errors, reported together
in one 400 `InvalidObject`. Kind hooks add the few cross-field rules (ticket status
follows its board and drives closedFlag; time entries charge to a ticket).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

from .conditions import parse_datetime
from .errors import PsaError, field_error, invalid_object
from .schema import (
    BOARD_LOOKUP_ROWS,
    BOARD_STATUSES,
    KINDS,
    LOOKUPS,
    PRIORITIES,
    Field,
    Kind,
    board_lookup_id,
    lookup_board,
    lookup_by_name,
    lookup_ref,
    make_ref,
    status_id,
)

READ_ONLY = ("id", "_info")
PATCH_OPS = ("add", "replace", "remove")


class RecordStore(Protocol):
    def fetch(self, table: str, record_id: int) -> dict | None: ...

    def find_id(self, table: str, json_path: str, value: str) -> int | None: ...

    def now_iso(self) -> str: ...


class _Errors:
    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.items: list[dict[str, str]] = []

    def add(self, code: str, field: str, message: str) -> None:
        self.items.append(field_error(code, message, self.resource, field))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]["message"]
            raise invalid_object(
                self.resource, self.items, f"{self.resource} object is invalid: {first}"
            )


# ------------------------------------------------------------------ references


def reference_for(store: RecordStore, target: str, record_id: int) -> dict | None:
    """The reference object for `target` id, built from the stored record or lookup."""
    if target in LOOKUPS:
        return lookup_ref(target, record_id)
    table = KINDS[target].table
    record = store.fetch(table, record_id)
    if record is None:
        return None
    if target in ("company", "member"):
        name = record.get("name") if target == "company" else _person(record)
        return make_ref(target, record_id, identifier=record.get("identifier"), name=name)
    if target == "contact":
        return make_ref(target, record_id, name=_person(record))
    if target == "ticket":
        return make_ref(target, record_id, summary=record.get("summary"))
    if target == "status":
        board_id = (record.get("board") or {}).get("id")
        return make_ref(target, record_id, name=record.get("name"), board_id=board_id)
    if target == "expenseReport":
        return make_ref(target, record_id)
    return make_ref(target, record_id, name=record.get("name"))


def _person(record: dict) -> str:
    return " ".join(part for part in (record.get("firstName"), record.get("lastName")) if part)


def _resolve_ref(store: RecordStore, target: str, value: Any, field: str, errors: _Errors):
    if not isinstance(value, dict):
        errors.add("InvalidField", field, f'{field} must be an object like {{"id": 1}}')
        return None
    ref_id = value.get("id")
    if ref_id is not None:
        if isinstance(ref_id, bool) or not isinstance(ref_id, int):
            errors.add("InvalidField", field, f"{field}/id must be a whole number")
            return None
        ref = reference_for(store, target, ref_id)
        if ref is None:
            errors.add("InvalidField", field, f"{field} id {ref_id} was not found")
        return ref
    for key in ("identifier", "name"):
        wanted = value.get(key)
        if isinstance(wanted, str) and wanted:
            found = _find_by_text(store, target, key, wanted)
            if found is None:
                errors.add("InvalidField", field, f"{field} {key} '{wanted}' was not found")
                return None
            return reference_for(store, target, found)
    errors.add("NullObject", field, f"{field} needs an id")
    return None


def _find_by_text(store: RecordStore, target: str, key: str, wanted: str) -> int | None:
    if target in LOOKUPS:
        return lookup_by_name(target, wanted)
    if target in ("contact", "member") and key == "name":
        return None
    if target == "status":
        return None  # status names repeat per board; the ticket hook resolves them
    return store.find_id(KINDS[target].table, f"$.{key}", wanted)


# ------------------------------------------------------------------ values


def _check_value(
    store: RecordStore, spec: Field, value: Any, field: str, errors: _Errors
) -> tuple[bool, Any]:
    """(ok, normalised value) for one non-null value."""
    kind = spec.type
    if kind == "str":
        if not isinstance(value, str):
            errors.add("InvalidField", field, f"{field} must be a string")
            return False, None
        if spec.max_length is not None and len(value) > spec.max_length:
            errors.add(
                "InvalidField",
                field,
                f"{field} is too long ({len(value)} characters, at most {spec.max_length})",
            )
            return False, None
        if spec.choices:
            for choice in spec.choices:
                if choice.lower() == value.lower():
                    return True, choice
            errors.add("InvalidField", field, f"{field} must be one of {', '.join(spec.choices)}")
            return False, None
        return True, value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.add("InvalidField", field, f"{field} must be a whole number")
            return False, None
        return True, value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.add("InvalidField", field, f"{field} must be a number")
            return False, None
        return True, float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            errors.add("InvalidField", field, f"{field} must be true or false")
            return False, None
        return True, value
    if kind == "datetime":
        normalised = parse_datetime(value) if isinstance(value, str) else None
        if normalised is None:
            errors.add("InvalidField", field, f"{field} must be an ISO-8601 date/time")
            return False, None
        return True, normalised
    if kind == "ref":
        ref = _resolve_ref(store, spec.target or "", value, field, errors)
        return ref is not None, ref
    if kind == "list":
        if not isinstance(value, list):
            errors.add("InvalidField", field, f"{field} must be a list")
            return False, None
        items = []
        ok = True
        for index, item in enumerate(value):
            label = f"{field}/{index}"
            if spec.target:  # a list of references (company types)
                item_ok, item_value = _check_value(
                    store, Field("ref", target=spec.target), item, label, errors
                )
            else:
                item_ok, item_value = _check_object(store, spec.items or {}, item, label, errors)
            ok = ok and item_ok
            items.append(item_value)
        return ok, items
    return True, value


def _check_object(
    store: RecordStore, fields: dict[str, Field], value: Any, label: str, errors: _Errors
) -> tuple[bool, Any]:
    if not isinstance(value, dict):
        errors.add("InvalidField", label, f"{label} must be an object")
        return False, None
    out: dict = {}
    ok = True
    for key, item in value.items():
        spec = fields.get(key)
        if spec is None:
            errors.add("InvalidField", f"{label}/{key}", f"{label}/{key} is not a known field")
            ok = False
            continue
        if item is None:
            continue
        item_ok, normalised = _check_value(store, spec, item, f"{label}/{key}", errors)
        ok = ok and item_ok
        if item_ok:
            out[key] = normalised
    return ok, out


def _canonical(kind: Kind, key: str) -> str | None:
    if key in kind.fields:
        return key
    lowered = key.lower()
    for name in kind.fields:
        if name.lower() == lowered:
            return name
    return None


def build_record(
    store: RecordStore, kind: Kind, body: Any, *, existing: dict | None = None
) -> dict:
    """Validate a full body (create or PUT) into a record without `id`/`_info`."""
    errors = _Errors(kind.name)
    if not isinstance(body, dict):
        raise invalid_object(kind.name, [], f"{kind.name} must be a JSON object")
    record: dict = {}
    for key, value in body.items():
        name = _canonical(kind, key)
        if name is None:
            errors.add("InvalidField", key, f"{key} is not a field of {kind.name}")
            continue
        if name in READ_ONLY or value is None:
            continue
        spec = kind.fields[name]
        ok, normalised = _check_value(store, spec, value, name, errors)
        if ok and not spec.write_only:
            record[name] = normalised
    HOOKS.get(kind.name, _no_hook)(store, record, existing, body, errors)
    for name, spec in kind.fields.items():
        if spec.required and record.get(name) in (None, ""):
            if not any(item["field"] == name for item in errors.items):
                errors.add("NullObject", name, f"{name} object cannot be null")
    errors.raise_if_any()
    # ConnectWise lists fields in a fixed order; follow the schema's order.
    return {name: record[name] for name in kind.fields if name in record}


def _no_hook(store, record, existing, body, errors) -> None:
    return None


# ------------------------------------------------------------------ kind rules


def _ticket_hook(store: RecordStore, record: dict, existing, body, errors: _Errors) -> None:
    record.setdefault("recordType", "ServiceTicket")
    if "board" not in record:
        record["board"] = reference_for(store, "board", 1)
    if "priority" not in record:
        default = next(pid for pid, _name, _color in PRIORITIES if pid == 3)
        record["priority"] = reference_for(store, "priority", default)
    board_id = record["board"]["id"]
    _board_lookups(record, existing, body, board_id, errors)
    record.setdefault("customerUpdatedFlag", False)
    status = record.get("status")
    raw_status = _raw(body, "status")
    if status is None and isinstance(raw_status, dict) and isinstance(raw_status.get("name"), str):
        index = _status_index(raw_status["name"])
        if index is None:
            errors.add("InvalidField", "status", f"status '{raw_status['name']}' was not found")
            return
        status = reference_for(store, "status", status_id(board_id, index))
        errors.items = [item for item in errors.items if item["field"] != "status"]
    if status is None:
        if raw_status is not None and any(item["field"] == "status" for item in errors.items):
            return
        status = reference_for(store, "status", status_id(board_id, 0))
    status_record = store.fetch("board_status", status["id"])
    status_board = ((status_record or {}).get("board") or {}).get("id")
    if status_board != board_id:
        old_board = ((existing or {}).get("board") or {}).get("id")
        if existing and old_board != board_id and _same(existing.get("status"), status):
            index = _status_index(status.get("name") or "")
            status = reference_for(store, "status", status_id(board_id, index or 0))
            status_record = store.fetch("board_status", status["id"])
        else:
            errors.add(
                "InvalidField",
                "status",
                f"status {status['id']} does not belong to board {board_id}",
            )
            return
    closed_flag_given = "closedFlag" in record
    wants_closed = record.get("closedFlag")
    was_closed = bool((existing or {}).get("closedFlag"))
    status_closed = bool((status_record or {}).get("closedStatus"))
    status_changed = not existing or not _same(existing.get("status"), status)
    if closed_flag_given and not status_changed and wants_closed != status_closed:
        target = "Closed" if wants_closed else "In Progress"
        index = _status_index(target) or 0
        status = reference_for(store, "status", status_id(board_id, index))
        status_closed = bool(wants_closed)
    record["status"] = status
    record["closedFlag"] = status_closed
    if status_closed:
        if not was_closed or "closedDate" not in record:
            record.setdefault("closedDate", store.now_iso())
            record.setdefault("dateResolved", record["closedDate"])
            record.setdefault("closedBy", API_MEMBER)
    else:
        for key in ("closedDate", "closedBy", "dateResolved"):
            record.pop(key, None)
    contact = record.get("contact")
    if contact and "contactName" not in record:
        record["contactName"] = contact.get("name")


#: Ticket fields that name an entry of the ticket's own board.
BOARD_SCOPED = (("type", "ticketType"), ("subType", "ticketSubType"), ("item", "ticketItem"),
                ("team", "team"))  # fmt: skip


def _board_lookups(record: dict, existing, body, board_id: int, errors: _Errors) -> None:
    """Types, subtypes, items and teams belong to one board: one named by name, or kept
    from before a move to another board, becomes the same-named entry of the ticket's
    board; one given by id from another board is refused."""
    old_board = ((existing or {}).get("board") or {}).get("id")
    for name, target in BOARD_SCOPED:
        ref = record.get(name)
        if not ref or lookup_board(target, ref["id"]) == board_id:
            continue
        raw = _raw(body, name)
        by_name = isinstance(raw, dict) and raw.get("id") is None
        carried = existing is not None and old_board != board_id and _same(existing.get(name), ref)
        if by_name or carried:
            base = (ref["id"] - 1) % len(BOARD_LOOKUP_ROWS[target]) + 1
            record[name] = lookup_ref(target, board_lookup_id(target, board_id, base))
        else:
            errors.add(
                "InvalidField", name, f"{name} {ref['id']} does not belong to board {board_id}"
            )


def _status_index(name: str) -> int | None:
    for index, (status_name, _closed, _default) in enumerate(BOARD_STATUSES):
        if status_name.lower() == name.lower():
            return index
    return None


def _same(left: dict | None, right: dict | None) -> bool:
    return (left or {}).get("id") == (right or {}).get("id")


def _raw(body: dict, name: str) -> Any:
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def _unique_hook(field: str, table: str) -> Callable:
    def hook(store: RecordStore, record: dict, existing, body, errors: _Errors) -> None:
        value = record.get(field)
        if isinstance(value, str):
            found = store.find_id(table, f"$.{field}", value)
            if found is not None and found != (existing or {}).get("id"):
                errors.add("InvalidField", field, f"{field} '{value}' is already in use")

    return hook


def _company_hook(store, record, existing, body, errors) -> None:
    _unique_hook("identifier", "company")(store, record, existing, body, errors)
    identifier = record.get("identifier")
    if isinstance(identifier, str) and (" " in identifier or not identifier):
        errors.add("InvalidField", "identifier", "identifier cannot contain spaces")
    record.setdefault("status", lookup_ref("companyStatus", 1))
    record.setdefault("types", [lookup_ref("companyType", 1)])
    record.setdefault("deletedFlag", False)


def _member_hook(store, record, existing, body, errors) -> None:
    _unique_hook("identifier", "member")(store, record, existing, body, errors)
    record.setdefault("inactiveFlag", False)
    # The values ConnectWise gives a new member unless told otherwise.
    record.setdefault("licenseClass", "F")
    record.setdefault("hireDate", store.now_iso()[:10] + "T00:00:00Z")
    record.setdefault("defaultEmail", "Office")
    record.setdefault("defaultPhone", "Office")
    record.setdefault("securityRole", lookup_ref("securityRole", 2))
    record.setdefault("invoicingDisplayOptions", "RemainOnInvoicingScreen")
    record.setdefault("agreementInvoicingDisplayOptions", "RemainOnInvoicingScreen")
    record.setdefault("invoiceScreenDefaultTabFormat", "ShowInvoicingTab")


def _contact_hook(store, record, existing, body, errors) -> None:
    items = record.get("communicationItems")
    if not items:
        record.setdefault("inactiveFlag", False)
        return
    next_id = max((item.get("id") or 0 for item in items), default=0)
    for index, item in enumerate(items):
        label = f"communicationItems/{index}"
        comm_type = item.get("type")
        if comm_type is None:
            errors.add("NullObject", f"{label}/type", f"{label}/type object cannot be null")
            continue
        if not item.get("value"):
            errors.add("NullObject", f"{label}/value", f"{label}/value cannot be empty")
            continue
        kind = {"Email": "Email", "Fax": "Fax"}.get(comm_type.get("name"), "Phone")
        if kind == "Email" and "@" not in item["value"]:
            errors.add("InvalidField", f"{label}/value", f"{label}/value is not an email address")
        item["communicationType"] = kind
        item.setdefault("defaultFlag", False)
        if "id" not in item:
            next_id += 1
            item["id"] = next_id
    record.setdefault("inactiveFlag", False)


def _charge_hook(ticket_types: tuple[str, ...]) -> Callable:
    def hook(store: RecordStore, record: dict, existing, body, errors: _Errors) -> None:
        charge_id = record.get("chargeToId")
        if charge_id is not None and "chargeToType" not in record:
            record["chargeToType"] = ticket_types[0]
        if record.get("chargeToType") in ticket_types:
            if charge_id is None:
                errors.add("NullObject", "chargeToId", "chargeToId cannot be null for a ticket")
                return
            ticket = reference_for(store, "ticket", charge_id)
            if ticket is None:
                errors.add("InvalidField", "chargeToId", f"ticket {charge_id} was not found")
                return
            record["ticket"] = ticket
            if "company" not in record:
                stored = store.fetch("ticket", charge_id) or {}
                if stored.get("company"):
                    record["company"] = stored["company"]
        if "company" not in record and not any(i["field"] == "company" for i in errors.items):
            errors.add("NullObject", "company", "company object cannot be null")

    return hook


def _time_entry_hook(store, record, existing, body, errors) -> None:
    _charge_hook(("ServiceTicket", "ProjectTicket"))(store, record, existing, body, errors)
    start, end = record.get("timeStart"), record.get("timeEnd")
    if start and end:
        if end < start:
            errors.add("InvalidField", "timeEnd", "timeEnd must not be before timeStart")
            return
        if "actualHours" not in record:
            record["actualHours"] = round(_seconds_between(start, end) / 3600, 2)
    record.setdefault("billableOption", "Billable")
    record.setdefault("status", "Open")
    if "hoursBilled" not in record and "actualHours" in record:
        billable = record["billableOption"] == "Billable"
        record["hoursBilled"] = record["actualHours"] if billable else 0.0


def _seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    pattern = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, pattern) - datetime.strptime(start, pattern)).total_seconds()


def _expense_hook(store, record, existing, body, errors) -> None:
    _charge_hook(("ServiceTicket", "ProjectTicket"))(store, record, existing, body, errors)
    record.setdefault("billableOption", "Billable")
    record.setdefault("status", "Open")


def _product_hook(store, record, existing, body, errors) -> None:
    charge_type, charge_id = record.get("chargeToType"), record.get("chargeToId")
    target = {"Ticket": "ticket", "ProjectTicket": "ticket", "Project": "project"}.get(
        charge_type or "", "opportunity" if charge_type == "Opportunity" else None
    )
    if target and charge_id is not None:
        ref = reference_for(store, target, charge_id)
        if ref is None:
            errors.add("InvalidField", "chargeToId", f"{target} {charge_id} was not found")
        else:
            record[target] = ref
    record.setdefault("quantity", 1.0)
    record.setdefault("cancelledFlag", False)
    if "description" not in record and record.get("catalogItem"):
        record["description"] = (record["catalogItem"].get("name") or "")[:60]


def _project_hook(store, record, existing, body, errors) -> None:
    record.setdefault("status", lookup_ref("projectStatus", 1))
    record.setdefault("closedFlag", False)


def _opportunity_hook(store, record, existing, body, errors) -> None:
    record.setdefault("status", lookup_ref("opportunityStatus", 1))
    record.setdefault("stage", lookup_ref("opportunityStage", 1))


def _configuration_hook(store, record, existing, body, errors) -> None:
    record.setdefault("status", lookup_ref("configurationStatus", 1))
    record.setdefault("activeFlag", record["status"]["id"] == 1)


NOTE_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")


def _ticket_note_hook(store, record, existing, body, errors: _Errors) -> None:
    """A note needs text and a place on the ticket; who wrote it and when stay as created."""
    already = {item["field"] for item in errors.items}
    text = record.get("text")
    if "text" not in already and (not isinstance(text, str) or not text.strip()):
        errors.add("MissingRequiredField", "text", "The text field is required.")
    for flag in (*NOTE_FLAGS, "issueFlag"):
        record.setdefault(flag, False)
    # Whether ConnectWise insists on a flag is unverified (reference 4.2); a note with none
    # would show nowhere on the ticket, so the sandbox refuses it.
    if not any(record[flag] for flag in NOTE_FLAGS) and not already & set(NOTE_FLAGS):
        errors.add(
            "InvalidField",
            "detailDescriptionFlag",
            "Choose at least one of detailDescriptionFlag, internalAnalysisFlag, resolutionFlag.",
        )
    if existing:
        for name in ("ticketId", "dateCreated", "createdBy"):
            if name in existing:
                record[name] = existing[name]
    else:
        record["dateCreated"] = store.now_iso()
        record["createdBy"] = API_MEMBER
    record["internalFlag"] = record["internalAnalysisFlag"]
    record["externalFlag"] = record["detailDescriptionFlag"]


API_MEMBER = "MembraneAPI"
HOOKS: dict[str, Callable] = {
    "ticket": _ticket_hook,
    "company": _company_hook,
    "member": _member_hook,
    "contact": _contact_hook,
    "timeEntry": _time_entry_hook,
    "expenseEntry": _expense_hook,
    "product": _product_hook,
    "project": _project_hook,
    "opportunity": _opportunity_hook,
    "configuration": _configuration_hook,
    "ticketNote": _ticket_note_hook,
}


# ------------------------------------------------------------------ JSON Patch


def apply_patch(kind: Kind, record: dict, operations: Any) -> dict:
    """Apply a JSON Patch array to a copy of `record`; the result still needs build_record."""
    resource = kind.name
    if not isinstance(operations, list) or not operations:
        raise invalid_object(
            resource, [], "PATCH body must be a non-empty JSON array of operations"
        )
    document = copy.deepcopy(record)
    for number, operation in enumerate(operations):
        _apply_one(kind, document, operation, number)
    return document


def _patch_error(resource: str, field: str, message: str) -> PsaError:
    return invalid_object(
        resource, [field_error("InvalidField", message, resource, field)], message
    )


def _apply_one(kind: Kind, document: dict, operation: Any, number: int) -> None:
    resource = kind.name
    label = f"operation {number}"
    if not isinstance(operation, dict):
        raise _patch_error(resource, "", f"{label} must be an object with op, path and value")
    op = operation.get("op")
    path = operation.get("path")
    if not isinstance(op, str) or op.lower() not in PATCH_OPS:
        raise _patch_error(
            resource,
            str(path or ""),
            f"{label}: op must be one of add, replace, remove (got {op!r})",
        )
    op = op.lower()
    if not isinstance(path, str) or not path.strip("/"):
        raise _patch_error(resource, "", f"{label}: path must be a non-empty string")
    if op != "remove" and "value" not in operation:
        raise _patch_error(resource, path, f"{label}: '{op}' needs a value")
    value = operation.get("value")
    parts = [part.replace("~1", "/").replace("~0", "~") for part in path.strip("/").split("/")]
    name = _canonical(kind, parts[0])
    if name is None:
        raise _patch_error(resource, path, f"{label}: {parts[0]} is not a field of {resource}")
    if name in READ_ONLY:
        raise _patch_error(resource, name, f"{label}: {name} is read-only")
    spec = kind.fields[name]
    rest = parts[1:]
    if not rest:
        if op == "remove":
            document.pop(name, None)
        else:
            document[name] = value
        return
    if spec.type == "ref":
        sub = rest[0].lower()
        if len(rest) != 1 or sub not in ("id", "identifier", "name"):
            raise _patch_error(resource, path, f"{label}: {path} is not a settable path")
        if op == "remove":
            document.pop(name, None)
        else:
            document[name] = {{"id": "id", "identifier": "identifier", "name": "name"}[sub]: value}
        return
    if spec.type != "list":
        raise _patch_error(resource, path, f"{label}: {name} has no member '{rest[0]}'")
    items = document.get(name)
    if items is None:
        items = document[name] = []
    _patch_list(kind, items, rest, op, value, path, label)


def _patch_list(kind: Kind, items: list, rest: list[str], op, value, path: str, label: str):
    resource = kind.name
    token = rest[0]
    if token == "-" and op == "add" and len(rest) == 1:
        items.append(value)
        return
    if not token.isdigit():
        raise _patch_error(resource, path, f"{label}: '{token}' is not a list index")
    index = int(token)
    if len(rest) == 1:
        if op == "add" and index <= len(items):
            items.insert(index, value)
            return
        if index >= len(items):
            raise _patch_error(resource, path, f"{label}: index {index} is out of range")
        if op == "remove":
            del items[index]
        else:
            items[index] = value
        return
    if index >= len(items) or not isinstance(items[index], dict):
        raise _patch_error(resource, path, f"{label}: index {index} is out of range")
    item = items[index]
    key = rest[1]
    if len(rest) > 3:
        raise _patch_error(resource, path, f"{label}: {path} is too deep")
    if op == "remove":
        item.pop(key, None)
    elif len(rest) == 3:
        item[key] = {rest[2]: value}
    else:
        item[key] = value
