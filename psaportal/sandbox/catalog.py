"""The ConnectWise PSA connector's 20 actions: schemas, search ranking, and how each
action becomes one PSA request."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CONNECTOR_ID = "6650c0ffee0000000000c0de"
INTEGRATION_ID = "6650c0ffee0000000000a11c"
INTEGRATION_KEY = "connectwise-psa"


def _id(text: str) -> str:
    """A stable 24-hex id, shaped like Membrane's ids."""
    return hashlib.md5(text.encode()).hexdigest()[:24]


# -- record schemas ---------------------------------------------------------------

_REF = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
_REF_IDENTIFIER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "identifier": {"type": "string"},
        "name": {"type": "string"},
    },
}
_INFO = {
    "type": "object",
    "properties": {
        "lastUpdated": {"type": "string", "format": "date-time"},
        "updatedBy": {"type": "string"},
        "dateEntered": {"type": "string", "format": "date-time"},
        "enteredBy": {"type": "string"},
    },
}
_SHORTHAND = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "num": {"type": "number"},
    "date": {"type": "string", "format": "date-time"},
    "ref": _REF,
    "member": _REF_IDENTIFIER,
    "company": _REF_IDENTIFIER,
    "level": {"type": "string", "enum": ["Low", "Medium", "High"]},
    "billable": {"type": "string", "enum": ["Billable", "DoNotBill", "NoCharge", "NoDefault"]},
}


def _record_schema(title: str, fields: str) -> dict:
    properties: dict[str, Any] = {}
    for item in fields.split():
        name, _, kind = item.partition(":")
        properties[name] = _SHORTHAND[kind or "str"]
    properties["_info"] = _INFO
    return {"type": "object", "title": title, "properties": properties}


@dataclass(frozen=True)
class Entity:
    singular: str
    plural: str
    path: str
    synonyms: frozenset[str]
    #: Words about the record's fields or filters that hint at this entity.
    hints: frozenset[str]
    record_schema: dict = field(hash=False, compare=False)


def stem(word: str) -> str:
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(word) for word in re.findall(r"[a-z0-9]+", text.lower())]


def _words(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in text.split())


ENTITIES = {
    "ticket": Entity(
        "Ticket",
        "Tickets",
        "/service/tickets",
        _words("ticket issue case incident request service support helpdesk"),
        _words("open closed status priority board summary owner assigned sla urgent"),
        _record_schema(
            "Ticket",
            "id:int summary recordType board:ref status:ref company:company contact:ref "
            "contactEmailAddress type:ref subType:ref item:ref priority:ref severity:level "
            "impact:level owner:member team:ref source:ref closedFlag:bool closedDate:date "
            "customerUpdatedFlag:bool actualHours:num budgetHours:num requiredDate:date "
            "dateResolved:date",
        ),
    ),
    "company": Entity(
        "Company",
        "Companies",
        "/company/companies",
        _words("company client customer account organization organisation business"),
        _words("identifier website phone address city territory market"),
        _record_schema(
            "Company",
            "id:int identifier name status:ref phoneNumber website addressLine1 city state "
            "zip country:ref territory:ref market:ref accountNumber defaultContact:ref "
            "deletedFlag:bool",
        ),
    ),
    "contact": Entity(
        "Contact",
        "Contacts",
        "/company/contacts",
        _words("contact person people email phone"),
        _words("first last name title inactive"),
        _record_schema(
            "Contact",
            "id:int firstName lastName company:company title inactiveFlag:bool defaultFlag:bool",
        ),
    ),
    "project": Entity(
        "Project",
        "Projects",
        "/project/projects",
        _words("project milestone engagement"),
        _words("manager budget estimated percent complete phase"),
        _record_schema(
            "Project",
            "id:int name company:company contact:ref board:ref status:ref manager:member "
            "estimatedStart:date estimatedEnd:date actualStart:date actualEnd:date "
            "actualHours:num budgetHours:num billingMethod percentComplete:num closedFlag:bool",
        ),
    ),
    "opportunity": Entity(
        "Opportunity",
        "Opportunities",
        "/sales/opportunities",
        _words("opportunity deal sale pipeline lead prospect quote"),
        _words("stage probability forecast won lost rep revenue"),
        _record_schema(
            "Opportunity",
            "id:int name company:company contact:ref stage:ref status:ref probability:ref "
            "type:ref source primarySalesRep:member expectedCloseDate:date closedDate:date "
            "notes totalSales:num",
        ),
    ),
    "time-entry": Entity(
        "Time Entry",
        "Time Entries",
        "/time/entries",
        _words("time hour timesheet log logged worked entry"),
        _words("billable billed member work role utilization"),
        _record_schema(
            "Time Entry",
            "id:int company:company chargeToId:int chargeToType member:member workType:ref "
            "workRole:ref timeStart:date timeEnd:date actualHours:num hoursBilled:num "
            "billableOption:billable notes status",
        ),
    ),
    "product": Entity(
        "Product",
        "Products",
        "/procurement/products",
        _words("product item catalog sku hardware software license"),
        _words("price cost quantity procurement"),
        _record_schema(
            "Product",
            "id:int catalogItem:ref description quantity:num price:num cost:num "
            "billableOption:billable chargeToId:int chargeToType ticket:ref project:ref "
            "opportunity:ref cancelledFlag:bool",
        ),
    ),
    "expense-entry": Entity(
        "Expense Entry",
        "Expense Entries",
        "/expense/entries",
        _words("expense cost receipt mileage reimbursement spend entry"),
        _words("amount payment report classification"),
        _record_schema(
            "Expense Entry",
            "id:int expenseReport:ref company:company chargeToId:int chargeToType type:ref "
            "member:member amount:num billableOption:billable date:date notes paymentMethod:ref "
            "classification:ref status",
        ),
    ),
    "configuration": Entity(
        "Configuration",
        "Configurations",
        "/company/configurations",
        _words("configuration config asset device computer laptop server workstation ci"),
        _words("serial model tag ip os warranty installed"),
        _record_schema(
            "Configuration",
            "id:int name type:ref status:ref company:company contact:ref serialNumber "
            "modelNumber tagNumber ipAddress osType installationDate:date "
            "warrantyExpirationDate:date activeFlag:bool lastLoginName",
        ),
    ),
}

VERBS = {
    "list": _words(
        "list find search show browse all query filter recent which lookup every many overview"
    ),
    "get": _words("get retrieve fetch detail single one view read id lookup"),
    "create": _words("create new add raise submit file make insert"),
    "update": _words(
        "update change edit modify set close reassign assign move patch rename escalate"
    ),
}
#: When nothing but the entity matches, prefer lists, then single records.
VERB_TIE_BREAK = {"list": 0.3, "get": 0.2, "create": 0.1, "update": 0.0}
STOPWORDS = _words(
    "a an the for of to by in on at with from my our me i we and or that this it its is are "
    "be all's please"
)

# -- action input schemas -----------------------------------------------------------

LIST_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "conditions": {
            "type": "string",
            "maxLength": 4000,
            "description": 'ConnectWise conditions, e.g. status/name != "Closed"',
        },
        "childConditions": {"type": "string", "maxLength": 4000},
        "customFieldConditions": {"type": "string", "maxLength": 4000},
        "orderBy": {"type": "string", "description": "e.g. id desc", "maxLength": 500},
        "fields": {"type": "string", "description": "Comma-separated fields to return"},
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "pageSize": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 25},
        "cursor": {"type": "string", "description": "The cursor from a previous output"},
    },
}
GET_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "fields": {"type": "string", "description": "Comma-separated fields to return"},
    },
}
_REF_INPUT = {
    "type": "object",
    "properties": {"id": {"type": "integer", "minimum": 1}, "name": {"type": "string"}},
}
CREATE_TICKET_INPUT = {
    "type": "object",
    "required": ["summary", "company"],
    "properties": {
        "summary": {"type": "string", "minLength": 1, "maxLength": 100},
        "company": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer", "minimum": 1}},
        },
        "board": _REF_INPUT,
        "status": _REF_INPUT,
        "priority": _REF_INPUT,
        "type": _REF_INPUT,
        "contact": _REF_INPUT,
        "owner": _REF_INPUT,
        "initialDescription": {"type": "string"},
        "contactEmailAddress": {"type": "string"},
        "severity": {"type": "string", "enum": ["Low", "Medium", "High"]},
        "impact": {"type": "string", "enum": ["Low", "Medium", "High"]},
        "budgetHours": {"type": "number", "minimum": 0},
        "requiredDate": {"type": "string", "format": "date-time"},
        "recordType": {
            "type": "string",
            "enum": ["ServiceTicket", "ProjectTicket", "ProjectIssue"],
            "default": "ServiceTicket",
        },
        "source": _REF_INPUT,
        "contactName": {"type": "string", "maxLength": 62},
        "contactPhoneNumber": {"type": "string", "maxLength": 20},
        "closedFlag": {
            "type": "boolean",
            "description": "Create the ticket already closed (its board's closed status)",
        },
        "customFields": {
            "type": "array",
            "description": "Values of the PSA's custom fields, by custom field id",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "value": {"type": "string"},
                },
            },
        },
    },
}
UPDATE_TICKET_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "operations"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "operations": {
            "type": "array",
            "minItems": 1,
            "description": "JSON Patch operations, e.g. "
            '[{"op": "replace", "path": "status", "value": {"id": 17}}]',
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["op", "path"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "replace", "remove"]},
                    "path": {"type": "string", "minLength": 1},
                    "value": {},
                },
            },
        },
    },
}

LIST_DESCRIPTIONS = {
    "ticket": "Retrieve a list of service tickets with optional filtering, sorting, and pagination",
    "company": "Retrieve a list of companies with optional filtering, sorting, and pagination",
    "contact": "Retrieve a list of contacts with optional filtering, sorting, and pagination",
    "project": "Retrieve a list of projects with optional filtering, sorting, and pagination",
    "opportunity": "Retrieve a list of sales opportunities with optional filtering, sorting, "
    "and pagination",
    "time-entry": "Retrieve a list of time entries with optional filtering, sorting, and "
    "pagination",
    "product": "List products with optional filtering",
    "expense-entry": "List expense entries with optional filtering",
    "configuration": "List configuration items (assets) with optional filtering and pagination",
}
GET_DESCRIPTIONS = {
    "ticket": "Retrieve a single service ticket by ID",
    "company": "Retrieve a single company by ID",
    "contact": "Retrieve a single contact by ID",
    "project": "Retrieve a single project by ID",
    "opportunity": "Retrieve a single opportunity by ID",
    "time-entry": "Get a single time entry by ID",
    "product": "Get a product by ID",
    "expense-entry": "Get an expense entry by ID",
    "configuration": "Get a single configuration item (asset) by ID",
}


@dataclass(frozen=True)
class Action:
    key: str
    verb: str
    entity_key: str
    name: str
    description: str
    input_schema: dict = field(hash=False, compare=False)
    output_schema: dict = field(hash=False, compare=False)

    @property
    def id(self) -> str:
        return _id(f"action:{self.key}")

    @property
    def entity(self) -> Entity:
        return ENTITIES[self.entity_key]

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": self.output_schema,
            "state": "READY",
            "isDeactivated": False,
            "integrationId": INTEGRATION_ID,
            "connectorId": CONNECTOR_ID,
        }


def _build_actions() -> list[Action]:
    actions = []
    for entity_key, entity in ENTITIES.items():
        actions.append(
            Action(
                key=f"list-{_plural_key(entity_key)}",
                verb="list",
                entity_key=entity_key,
                name=f"List {entity.plural}",
                description=LIST_DESCRIPTIONS[entity_key],
                input_schema=LIST_INPUT,
                output_schema={
                    "type": "object",
                    "properties": {
                        "records": {"type": "array", "items": entity.record_schema},
                        "cursor": {
                            "type": "string",
                            "description": "Pass as input.cursor for the next page; "
                            "absent on the last page",
                        },
                    },
                },
            )
        )
    for entity_key, entity in ENTITIES.items():
        actions.append(
            Action(
                key=f"get-{entity_key}",
                verb="get",
                entity_key=entity_key,
                name=f"Get {entity.singular}",
                description=GET_DESCRIPTIONS[entity_key],
                input_schema=GET_INPUT,
                output_schema=entity.record_schema,
            )
        )
    ticket = ENTITIES["ticket"]
    actions.append(
        Action(
            "create-ticket",
            "create",
            "ticket",
            "Create Ticket",
            "Create a new service ticket",
            CREATE_TICKET_INPUT,
            ticket.record_schema,
        )
    )
    actions.append(
        Action(
            "update-ticket",
            "update",
            "ticket",
            "Update Ticket",
            "Update an existing service ticket using JSON Patch operations",
            UPDATE_TICKET_INPUT,
            ticket.record_schema,
        )
    )
    return actions


def _plural_key(entity_key: str) -> str:
    """ticket → tickets, company → companies, time-entry → time-entries."""
    if entity_key.endswith("y"):
        return entity_key[:-1] + "ies"
    return entity_key + "s"


ACTIONS = _build_actions()
_BY_ID = {action.id: action for action in ACTIONS} | {action.key: action for action in ACTIONS}


def find_action(action_id_or_key: str) -> Action | None:
    return _BY_ID.get(action_id_or_key)


# -- search -------------------------------------------------------------------------


def score(action: Action, intent_tokens: list[str]) -> float:
    """Relevance of ``action`` to the intent; transparent sums of small weights.

    The first record kind named in the intent counts most (3), later ones little (1.5:
    "tickets for a company" is about tickets); a matching verb counts 2; field words
    and description words nudge.
    """
    words = [word for word in intent_tokens if word not in STOPWORDS]
    if not words:
        return 0.0
    if " ".join(words) in (" ".join(tokens(action.key)), " ".join(tokens(action.name))):
        return 100.0
    mentioned: list[str] = []
    for word in words:
        for entity_key, entity in ENTITIES.items():
            if word in entity.synonyms and entity_key not in mentioned:
                mentioned.append(entity_key)
    total = 0.0
    if action.entity_key in mentioned:
        total += 3.0 if mentioned[0] == action.entity_key else 1.5
        total += 0.5 * (sum(word in action.entity.synonyms for word in words) - 1)
    verb_hits = sum(word in VERBS[action.verb] for word in words)
    total += 2.0 * min(verb_hits, 1)
    total += 0.5 * sum(word in action.entity.hints for word in words)
    description = set(tokens(action.description)) - STOPWORDS
    total += 0.25 * sum(word in description for word in words)
    if total:
        total += VERB_TIE_BREAK[action.verb]
    return total


def search(intent: str, limit: int) -> list[Action]:
    """Actions matching a natural-language intent, best first; all actions if it is empty."""
    intent_tokens = tokens(intent)
    if not [word for word in intent_tokens if word not in STOPWORDS]:
        return ACTIONS[:limit]
    scored = [(score(action, intent_tokens), index, action) for index, action in enumerate(ACTIONS)]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
    return [action for _, _, action in ranked[:limit]]


# -- running ----------------------------------------------------------------------


@dataclass(frozen=True)
class PsaCall:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: bytes | None


class InvalidInput(ValueError):
    """The input passed the schema but cannot be turned into a PSA request."""


def plan_call(action: Action, action_input: dict) -> PsaCall:
    """The PSA request an action makes for an input that passed its schema."""
    path = action.entity.path
    if action.verb == "list":
        page = action_input.get("page", 1)
        if "cursor" in action_input:
            if not action_input["cursor"].isdigit() or int(action_input["cursor"]) < 1:
                raise InvalidInput("input.cursor is not a cursor this action returned")
            page = int(action_input["cursor"])
        query = [
            (name, action_input[name])
            for name in (
                "conditions",
                "childConditions",
                "customFieldConditions",
                "orderBy",
                "fields",
            )
            if name in action_input
        ]
        query += [("page", str(page)), ("pageSize", str(action_input.get("pageSize", 25)))]
        return PsaCall("GET", path, query, None)
    if action.verb == "get":
        query = [("fields", action_input["fields"])] if "fields" in action_input else []
        return PsaCall("GET", f"{path}/{action_input['id']}", query, None)
    if action.verb == "create":
        return PsaCall("POST", path, [], json.dumps(action_input).encode())
    if action.verb == "update":
        body = json.dumps(action_input["operations"]).encode()
        return PsaCall("PATCH", f"{path}/{action_input['id']}", [], body)
    raise AssertionError(f"unknown verb {action.verb}")


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([a-z]+)"?', re.IGNORECASE)


def next_page(link_header: str | None) -> int | None:
    """The page number of the ``rel="next"`` link, if any."""
    for url, rel in _LINK.findall(link_header or ""):
        if rel.lower() == "next":
            for name, value in parse_qsl(urlsplit(url).query):
                if name.lower() == "page" and value.isdigit():
                    return int(value)
    return None


def build_output(action: Action, body: Any, headers: dict[str, str]) -> Any:
    if action.verb != "list":
        return body
    output: dict[str, Any] = {"records": body if isinstance(body, list) else []}
    link = next((value for name, value in headers.items() if name.lower() == "link"), None)
    following = next_page(link)
    if following is not None:
        output["cursor"] = str(following)
    return output
