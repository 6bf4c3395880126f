"""The entity registry: one declarative entry per PSA record kind.

Lists, filters, detail pages, forms and sync read these entries; adding a kind is one
``RecordKind`` here plus a ``MirrorRecord`` model. Names in ``columns``, ``filters``,
``search_fields``, ``default_ordering`` and ``related`` are typed model fields; paths in
``detail_sections`` and ``editable_fields`` are PSA JSON paths (``status/name``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psaportal import site_urls
from psaportal.records import models

# Filter kinds (how the list UI renders and applies a filter).
CHOICE = "choice"  # one value from the distinct values of `field` (or the `lookup` kind)
TEXT = "text"  # fk-like text: exact match on an identifier/name column, e.g. company
BOOL = "bool"  # yes / no on a boolean column
DATE_RANGE = "date_range"  # `<name>_from` / `<name>_to` on a date or datetime column
OPEN_CLOSED = "open_closed"  # open / closed / all on a boolean "closed" column
FILTER_KINDS = (CHOICE, TEXT, BOOL, DATE_RANGE, OPEN_CLOSED)


@dataclass(frozen=True)
class Column:
    name: str  # a typed model field
    label: str
    sortable: bool = True


@dataclass(frozen=True)
class Filter:
    name: str  # URL parameter
    label: str
    kind: str  # one of FILTER_KINDS
    field: str  # the typed model field it filters on
    lookup: str = ""  # a lookup kind key whose display names are the choices (CHOICE only)

    @property
    def params(self) -> tuple[str, ...]:
        """The URL parameter(s) it reads: a date range has two ends."""
        if self.kind == DATE_RANGE:
            return (f"{self.name}_from", f"{self.name}_to")
        return (self.name,)


@dataclass(frozen=True)
class Related:
    """Records of another kind that point at this one: ``kind``'s ``field`` holds our psa_id."""

    kind: str
    field: str
    label: str


@dataclass(frozen=True)
class EditableField:
    path: str  # PSA field path used in JSON Patch ("status" is a reference: {"id": N})
    label: str
    widget: str = "text"  # text | textarea | date | number | reference
    lookup: str = ""  # for widget "reference": the lookup kind whose ids are the choices
    model_field: str = ""  # the typed column showing the current value
    required: bool = False


@dataclass(frozen=True)
class Actions:
    """Membrane action keys of the ConnectWise PSA connector ("" when it has none)."""

    list: str = ""
    get: str = ""
    create: str = ""
    update: str = ""


@dataclass(frozen=True)
class RecordKind:
    key: str  # URL slug and SyncRun.kind, e.g. "tickets"
    singular: str
    plural: str
    path: str  # ConnectWise API path for proxy calls
    model: type[models.MirrorRecord]
    actions: Actions = field(default_factory=Actions)
    columns: tuple[Column, ...] = ()
    filters: tuple[Filter, ...] = ()
    search_fields: tuple[str, ...] = ()
    default_ordering: tuple[str, ...] = ("-psa_id",)
    detail_sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    related: tuple[Related, ...] = ()
    editable_fields: tuple[EditableField, ...] = ()
    is_lookup: bool = False  # members, boards, statuses, priorities: synced, not listed
    #: For records nested under another kind (board statuses): that kind's key; the path
    #: holds ``{parent_id}``.
    parent: str = ""
    #: The ConnectWise conditions of the records a first sync fetches before the rest, the
    #: newest first, so the list shows real work at once ("" for none: most kinds).
    first_page_conditions: str = ""

    @property
    def list_url(self) -> str:
        """The kind's list page (reversed once per process, for the kind navigation)."""
        return site_urls.record_list_url(self.key)

    @property
    def sortable_columns(self) -> set[str]:
        return {column.name for column in self.columns if column.sortable}

    def record_path(self, psa_id: int) -> str:
        return f"{self.path}/{int(psa_id)}"


INFO_SECTION = ("_info/dateEntered", "_info/enteredBy", "_info/lastUpdated", "_info/updatedBy")
COMPANY_FILTER = Filter("company", "Company", TEXT, "company_name")

KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        key="tickets",
        singular="ticket",
        plural="tickets",
        path="/service/tickets",
        model=models.Ticket,
        first_page_conditions="closedFlag = false",
        actions=Actions("list-tickets", "get-ticket", "create-ticket", "update-ticket"),
        columns=(
            Column("psa_id", "#"),
            Column("summary", "Summary"),
            Column("company_name", "Company"),
            Column("board_name", "Board"),
            Column("status_name", "Status"),
            Column("priority_name", "Priority"),
            Column("owner_identifier", "Owner"),
            Column("date_entered", "Entered"),
            Column("last_updated", "Updated"),
        ),
        filters=(
            Filter("open", "Open/closed", OPEN_CLOSED, "closed_flag"),
            Filter("status", "Status", CHOICE, "status_name", lookup="statuses"),
            Filter("board", "Board", CHOICE, "board_name", lookup="boards"),
            Filter("priority", "Priority", CHOICE, "priority_name", lookup="priorities"),
            COMPANY_FILTER,
            Filter("owner", "Owner", TEXT, "owner_identifier"),
            Filter("entered", "Entered", DATE_RANGE, "date_entered"),
            Filter("required", "Required by", DATE_RANGE, "required_date"),
            # For the reports' drill-down: tickets closed in a period, by type and item.
            Filter("closed", "Closed", DATE_RANGE, "closed_date"),
            Filter("type", "Type", CHOICE, "type_name"),
            Filter("item", "Item", CHOICE, "item_name"),
        ),
        search_fields=("psa_id", "summary", "company_name", "contact_name", "owner_identifier"),
        default_ordering=("-last_updated", "-psa_id"),
        detail_sections={
            "Ticket": (
                "summary",
                "recordType",
                "board/name",
                "status/name",
                "priority/name",
                "type/name",
                "subType/name",
                "item/name",
                "severity",
                "impact",
            ),
            "Customer": (
                "company/name",
                "contact/name",
                "contactName",
                "contactEmailAddress",
                "contactPhoneNumber",
            ),
            "Work": (
                "owner/name",
                "requiredDate",
                "budgetHours",
                "actualHours",
                "closedFlag",
                "closedDate",
                "closedBy",
                "dateResponded",
                "dateResolved",
            ),
            "History": INFO_SECTION,
        },
        related=(
            Related("time_entries", "ticket_id", "Time entries"),
            Related("products", "ticket_id", "Products"),
            Related("expense_entries", "ticket_id", "Expenses"),
        ),
        editable_fields=(
            EditableField("summary", "Summary", "text", model_field="summary", required=True),
            EditableField("board", "Board", "reference", "boards", "board_id"),
            EditableField("status", "Status", "reference", "statuses", "status_id"),
            EditableField("priority", "Priority", "reference", "priorities", "priority_id"),
            EditableField("owner", "Owner", "reference", "members", "owner_identifier"),
            EditableField("requiredDate", "Required date", "date", model_field="required_date"),
            EditableField("budgetHours", "Budget hours", "number", model_field="budget_hours"),
        ),
    ),
    RecordKind(
        key="companies",
        singular="company",
        plural="companies",
        path="/company/companies",
        model=models.Company,
        actions=Actions("list-companies", "get-company"),
        columns=(
            Column("psa_id", "#"),
            Column("identifier", "Identifier"),
            Column("name", "Name"),
            Column("status_name", "Status"),
            Column("type_names", "Types", sortable=False),
            Column("city", "City"),
            Column("phone_number", "Phone", sortable=False),
            Column("last_updated", "Updated"),
        ),
        filters=(
            Filter("status", "Status", CHOICE, "status_name"),
            Filter("market", "Market", CHOICE, "market_name"),
            Filter("territory", "Territory", CHOICE, "territory_name"),
            Filter("deleted", "Deleted", BOOL, "deleted_flag"),
        ),
        search_fields=("psa_id", "identifier", "name", "city", "phone_number"),
        default_ordering=("name",),
        detail_sections={
            "Company": ("identifier", "name", "status/name", "types", "accountNumber"),
            "Contact": ("phoneNumber", "faxNumber", "website", "defaultContact/name"),
            "Address": ("addressLine1", "addressLine2", "city", "state", "zip", "country/name"),
            "Market": ("territory/name", "market/name", "annualRevenue", "numberOfEmployees"),
            "History": INFO_SECTION,
        },
        related=(
            Related("tickets", "company_id", "Tickets"),
            Related("contacts", "company_id", "Contacts"),
            Related("configurations", "company_id", "Configurations"),
            Related("projects", "company_id", "Projects"),
            Related("opportunities", "company_id", "Opportunities"),
        ),
        editable_fields=(
            EditableField("name", "Name", "text", model_field="name", required=True),
            EditableField("phoneNumber", "Phone", "text", model_field="phone_number"),
            EditableField("website", "Website", "text"),
            EditableField("addressLine1", "Address", "text"),
            EditableField("city", "City", "text", model_field="city"),
        ),
    ),
    RecordKind(
        key="contacts",
        singular="contact",
        plural="contacts",
        path="/company/contacts",
        model=models.Contact,
        actions=Actions("list-contacts", "get-contact"),
        columns=(
            Column("psa_id", "#"),
            Column("last_name", "Last name"),
            Column("first_name", "First name"),
            Column("company_name", "Company"),
            Column("title", "Title"),
            Column("email", "Email"),
            Column("phone", "Phone", sortable=False),
        ),
        filters=(COMPANY_FILTER, Filter("inactive", "Inactive", BOOL, "inactive_flag")),
        search_fields=("psa_id", "first_name", "last_name", "company_name", "email", "phone"),
        default_ordering=("last_name", "first_name"),
        detail_sections={
            "Contact": ("firstName", "lastName", "title", "company/name", "inactiveFlag"),
            "Communication": ("communicationItems",),
            "History": INFO_SECTION,
        },
        editable_fields=(
            # The PSA refuses a contact without a first name.
            EditableField(
                "firstName", "First name", "text", model_field="first_name", required=True
            ),
            EditableField("lastName", "Last name", "text", model_field="last_name"),
            EditableField("title", "Title", "text", model_field="title"),
        ),
    ),
    RecordKind(
        key="projects",
        singular="project",
        plural="projects",
        path="/project/projects",
        model=models.Project,
        actions=Actions("list-projects", "get-project"),
        columns=(
            Column("psa_id", "#"),
            Column("name", "Name"),
            Column("company_name", "Company"),
            Column("status_name", "Status"),
            Column("manager_identifier", "Manager"),
            Column("estimated_end", "Due"),
            Column("percent_complete", "% done"),
            Column("actual_hours", "Hours"),
        ),
        filters=(
            Filter("open", "Open/closed", OPEN_CLOSED, "closed_flag"),
            Filter("status", "Status", CHOICE, "status_name"),
            Filter("board", "Board", CHOICE, "board_name"),
            COMPANY_FILTER,
            Filter("manager", "Manager", TEXT, "manager_identifier"),
            Filter("due", "Due", DATE_RANGE, "estimated_end"),
        ),
        search_fields=("psa_id", "name", "company_name", "manager_identifier"),
        default_ordering=("-last_updated", "-psa_id"),
        detail_sections={
            "Project": ("name", "company/name", "contact/name", "board/name", "status/name"),
            "Plan": (
                "manager/name",
                "estimatedStart",
                "estimatedEnd",
                "actualStart",
                "actualEnd",
                "billingMethod",
            ),
            "Hours": ("budgetHours", "estimatedHours", "actualHours", "percentComplete"),
            "History": INFO_SECTION,
        },
        related=(
            Related("time_entries", "project_id", "Time entries"),
            Related("products", "project_id", "Products"),
        ),
        editable_fields=(
            EditableField("name", "Name", "text", model_field="name", required=True),
            EditableField("manager", "Manager", "reference", "members", "manager_identifier"),
            # Required on create, so never removed by an edit.
            EditableField(
                "estimatedEnd", "Estimated end", "date", model_field="estimated_end", required=True
            ),
            EditableField("budgetHours", "Budget hours", "number"),
        ),
    ),
    RecordKind(
        key="opportunities",
        singular="opportunity",
        plural="opportunities",
        path="/sales/opportunities",
        model=models.Opportunity,
        actions=Actions("list-opportunities", "get-opportunity"),
        columns=(
            Column("psa_id", "#"),
            Column("name", "Name"),
            Column("company_name", "Company"),
            Column("stage_name", "Stage"),
            Column("status_name", "Status"),
            Column("probability_name", "Probability"),
            Column("sales_rep_identifier", "Sales rep"),
            Column("expected_close_date", "Expected close"),
            Column("total_sales", "Total"),
        ),
        filters=(
            Filter("stage", "Stage", CHOICE, "stage_name"),
            Filter("status", "Status", CHOICE, "status_name"),
            COMPANY_FILTER,
            Filter("rep", "Sales rep", TEXT, "sales_rep_identifier"),
            Filter("close", "Expected close", DATE_RANGE, "expected_close_date"),
            # For the pipeline report's drill-down: won or lost in a period.
            Filter("closed", "Closed", DATE_RANGE, "closed_date"),
        ),
        search_fields=("psa_id", "name", "company_name", "sales_rep_identifier"),
        default_ordering=("expected_close_date", "psa_id"),
        detail_sections={
            "Opportunity": ("name", "company/name", "contact/name", "type/name", "source"),
            "Pipeline": (
                "stage/name",
                "status/name",
                "probability/name",
                "primarySalesRep/name",
                "expectedCloseDate",
                "closedDate",
                "totalSales",
            ),
            "Notes": ("notes",),
            "History": INFO_SECTION,
        },
        related=(Related("products", "opportunity_id", "Products"),),
        editable_fields=(
            EditableField("name", "Name", "text", model_field="name", required=True),
            EditableField(
                "primarySalesRep",
                "Sales rep",
                "reference",
                "members",
                "sales_rep_identifier",
                required=True,
            ),
            # "Required On Updates" in the PSA's API.
            EditableField(
                "expectedCloseDate",
                "Expected close",
                "date",
                model_field="expected_close_date",
                required=True,
            ),
            EditableField("source", "Source", "text"),
            EditableField("notes", "Notes", "textarea"),
        ),
    ),
    RecordKind(
        key="time_entries",
        singular="time entry",
        plural="time entries",
        path="/time/entries",
        model=models.TimeEntry,
        actions=Actions("list-time-entries", "get-time-entry"),
        columns=(
            Column("psa_id", "#"),
            Column("work_date", "Date"),
            Column("member_identifier", "Member"),
            Column("company_name", "Company"),
            Column("charge_to_type", "Charged to"),
            Column("charge_to_id", "Charge id"),
            Column("actual_hours", "Hours"),
            Column("hours_billed", "Billed"),
            Column("billable_option", "Billable"),
        ),
        filters=(
            Filter("member", "Member", TEXT, "member_identifier"),
            COMPANY_FILTER,
            Filter("billable", "Billable", CHOICE, "billable_option"),
            Filter("charge_to", "Charged to", CHOICE, "charge_to_type"),
            Filter("status", "Status", CHOICE, "status"),
            Filter("date", "Date", DATE_RANGE, "work_date"),
        ),
        search_fields=("psa_id", "member_identifier", "company_name", "charge_to_id"),
        default_ordering=("-work_date", "-psa_id"),
        detail_sections={
            "Time": ("member/name", "timeStart", "timeEnd", "actualHours", "hoursBilled"),
            "Charge": ("company/name", "chargeToType", "chargeToId", "ticket/summary"),
            "Billing": ("workType/name", "workRole/name", "billableOption", "status"),
            "Notes": ("notes", "internalNotes"),
            "History": INFO_SECTION,
        },
    ),
    RecordKind(
        key="products",
        singular="product",
        plural="products",
        path="/procurement/products",
        model=models.Product,
        actions=Actions("list-products", "get-product"),
        columns=(
            Column("psa_id", "#"),
            Column("catalog_identifier", "Item"),
            Column("description", "Description"),
            Column("company_name", "Company"),
            Column("quantity", "Qty"),
            Column("price", "Price"),
            Column("cost", "Cost"),
            Column("billable_option", "Billable"),
        ),
        filters=(
            COMPANY_FILTER,
            Filter("billable", "Billable", CHOICE, "billable_option"),
            Filter("charge_to", "Charged to", CHOICE, "charge_to_type"),
            Filter("cancelled", "Cancelled", BOOL, "cancelled_flag"),
        ),
        search_fields=("psa_id", "catalog_identifier", "description", "company_name"),
        default_ordering=("-psa_id",),
        detail_sections={
            "Product": ("catalogItem/identifier", "description", "customerDescription"),
            "Price": ("quantity", "price", "cost", "billableOption", "taxableFlag"),
            "Charge": ("company/name", "chargeToType", "chargeToId", "ticket/summary"),
            "History": INFO_SECTION,
        },
    ),
    RecordKind(
        key="expense_entries",
        singular="expense entry",
        plural="expense entries",
        path="/expense/entries",
        model=models.ExpenseEntry,
        actions=Actions("list-expense-entries", "get-expense-entry"),
        columns=(
            Column("psa_id", "#"),
            Column("expense_date", "Date"),
            Column("member_identifier", "Member"),
            Column("type_name", "Type"),
            Column("company_name", "Company"),
            Column("amount", "Amount"),
            Column("billable_option", "Billable"),
            Column("status", "Status"),
        ),
        filters=(
            Filter("member", "Member", TEXT, "member_identifier"),
            COMPANY_FILTER,
            Filter("type", "Type", CHOICE, "type_name"),
            Filter("billable", "Billable", BOOL, "billable"),
            Filter("date", "Date", DATE_RANGE, "expense_date"),
        ),
        search_fields=("psa_id", "member_identifier", "type_name", "company_name"),
        default_ordering=("-expense_date", "-psa_id"),
        detail_sections={
            "Expense": ("type/name", "amount", "billAmount", "date", "member/name"),
            "Charge": ("company/name", "chargeToType", "chargeToId", "billableOption"),
            "Payment": ("paymentMethod/name", "classification/name", "status"),
            "Notes": ("notes",),
            "History": INFO_SECTION,
        },
    ),
    RecordKind(
        key="configurations",
        singular="configuration",
        plural="configurations",
        path="/company/configurations",
        model=models.Configuration,
        actions=Actions("list-configurations", "get-configuration"),
        columns=(
            Column("psa_id", "#"),
            Column("name", "Name"),
            Column("type_name", "Type"),
            Column("company_name", "Company"),
            Column("status_name", "Status"),
            Column("serial_number", "Serial"),
            Column("ip_address", "IP address"),
            Column("warranty_expiration_date", "Warranty ends"),
        ),
        filters=(
            Filter("type", "Type", CHOICE, "type_name"),
            Filter("status", "Status", CHOICE, "status_name"),
            COMPANY_FILTER,
            Filter("active", "Active", BOOL, "active_flag"),
            Filter("warranty", "Warranty ends", DATE_RANGE, "warranty_expiration_date"),
        ),
        search_fields=(
            "psa_id",
            "name",
            "company_name",
            "serial_number",
            "tag_number",
            "ip_address",
        ),
        default_ordering=("name",),
        detail_sections={
            "Configuration": ("name", "type/name", "status/name", "company/name", "contact/name"),
            "Hardware": (
                "manufacturer/name",
                "modelNumber",
                "serialNumber",
                "tagNumber",
                "installationDate",
                "warrantyExpirationDate",
            ),
            "Network": ("ipAddress", "macAddress", "defaultGateway", "osType", "osInfo"),
            "Notes": ("lastLoginName", "notes"),
            "History": INFO_SECTION,
        },
        editable_fields=(
            EditableField("name", "Name", "text", model_field="name", required=True),
            EditableField("serialNumber", "Serial number", "text", model_field="serial_number"),
            EditableField("ipAddress", "IP address", "text", model_field="ip_address"),
            EditableField(
                "warrantyExpirationDate",
                "Warranty ends",
                "date",
                model_field="warranty_expiration_date",
            ),
            EditableField("notes", "Notes", "textarea"),
        ),
    ),
    # -- lookups ---------------------------------------------------------------------
    RecordKind(
        key="members",
        singular="member",
        plural="members",
        path="/system/members",
        model=models.Member,
        columns=(Column("identifier", "Identifier"), Column("display_name", "Name")),
        search_fields=("identifier", "first_name", "last_name"),
        default_ordering=("identifier",),
        is_lookup=True,
    ),
    RecordKind(
        key="boards",
        singular="board",
        plural="boards",
        path="/service/boards",
        model=models.Board,
        columns=(Column("name", "Name"),),
        search_fields=("name",),
        default_ordering=("name",),
        is_lookup=True,
    ),
    RecordKind(
        key="statuses",
        singular="status",
        plural="statuses",
        path="/service/boards/{parent_id}/statuses",
        model=models.BoardStatus,
        columns=(Column("name", "Name"), Column("board_name", "Board")),
        search_fields=("name",),
        default_ordering=("board_name", "sort_order"),
        is_lookup=True,
        parent="boards",
    ),
    RecordKind(
        key="priorities",
        singular="priority",
        plural="priorities",
        path="/service/priorities",
        model=models.Priority,
        columns=(Column("name", "Name"),),
        search_fields=("name",),
        default_ordering=("sort_order", "name"),
        is_lookup=True,
    ),
)

REGISTRY: dict[str, RecordKind] = {kind.key: kind for kind in KINDS}


def get_kind(key: str) -> RecordKind | None:
    """The entry for a URL slug, or None for an unknown kind."""
    return REGISTRY.get(key)


#: Records the outbox creates under a parent record that are not a listed or synced kind:
#: a ticket's notes live in ``TicketNote``, refreshed from the ticket page. The parent's
#: id travels in the new record's input (``ticketId``).
TICKET_NOTES = RecordKind(
    key="ticket_notes",
    singular="note",
    plural="notes",
    path="/service/tickets/{parent_id}/notes",
    model=models.TicketNote,
    parent="tickets",
)
OUTBOX_ONLY: dict[str, RecordKind] = {TICKET_NOTES.key: TICKET_NOTES}


def outbox_kind(key: str) -> RecordKind | None:
    """The entry of a PendingChange's ``kind``: a registry kind or an outbox-only one."""
    return REGISTRY.get(key) or OUTBOX_ONLY.get(key)


def record_kinds() -> list[RecordKind]:
    """The nine record kinds staff list and open (not the lookups)."""
    return [kind for kind in KINDS if not kind.is_lookup]


def sync_order() -> list[RecordKind]:
    """Every kind in the order a sync of everything runs them: parents before children."""
    return [kind for kind in KINDS if not kind.parent] + [kind for kind in KINDS if kind.parent]
