"""What each simulated record kind looks like: fields, types, references and lookups.

One `Kind` per ConnectWise path. Field names follow ConnectWise (pyconnectwise models).
The schema is the single whitelist for conditions, orderBy, fields and JSON Patch paths.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

# Where the simulated PSA lives. Hrefs and Link headers name the PSA's own URLs, as the real
# API's do (the proxy passes the PSA's answer through); `.invalid` never resolves.
PSA_BASE_URL = "https://sandbox-psa.invalid/v4_6_release/apis/3.0"
SCALAR_TYPES = ("int", "float", "str", "bool", "datetime")


@dataclass(frozen=True)
class Field:
    type: str  # int float str bool datetime | ref | list | object
    target: str | None = None  # ref: a record kind or lookup name
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    read_only: bool = False
    write_only: bool = False  # accepted on create, never stored (ticket initialDescription)
    items: dict[str, Field] | None = None  # list items / object members


@dataclass(frozen=True)
class Lookup:
    """A small fixed table referenced by records (ticket types, company statuses...).

    The sandbox serves each one read-only at its `href` (list, get, /count), with the
    fields ConnectWise's OpenAPI description marks required on it filled in.
    """

    href: str  # API path of the lookup, for reference `_info` links
    rows: tuple[tuple, ...]  # (id, name) or (id, identifier, name)
    with_identifier: bool = False
    #: The record's own field for the row's name: a few kinds call it `description`
    #: (communication types, configuration statuses, opportunity types); references still
    #: say `name`.
    label: str = "name"
    #: "board": the rows are repeated on every service board, ids in one block per board.
    parent: str | None = None
    #: More fields of the lookup's own records, with the value every row gets.
    extra: dict[str, tuple[Field, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str  # resource name used in errors: "ticket"
    table: str
    path: str  # "/service/tickets"
    fields: dict[str, Field]
    writable: bool = True
    parent: str | None = None  # statuses live under a board: /service/boards/{id}/statuses
    parent_field: str = ""  # the JSON path holding the parent's id ("$.board.id")
    unique: tuple[str, ...] = field(default=())


def _s(max_length: int | None = None, *, required: bool = False, choices=None) -> Field:
    return Field("str", max_length=max_length, required=required, choices=choices)


def _ref(target: str, *, required: bool = False) -> Field:
    return Field("ref", target=target, required=required)


INT, FLOAT, BOOL, DATETIME = Field("int"), Field("float"), Field("bool"), Field("datetime")
ID = Field("int", read_only=True)
INFO = Field(
    "object",
    read_only=True,
    items={
        "lastUpdated": DATETIME,
        "updatedBy": Field("str"),
        "dateEntered": DATETIME,
        "enteredBy": Field("str"),
    },
)
BILLABLE = ("Billable", "DoNotBill", "NoCharge", "NoDefault")
CHARGE_TO = ("ServiceTicket", "ProjectTicket", "ChargeCode", "Activity")
ENTRY_STATUS = (
    "Open",
    "Rejected",
    "PendingApproval",
    "ErrorsCorrected",
    "PendingProjectApproval",
    "ApprovedByTierOne",
    "RejectBySecondTier",
    "ApprovedByTierTwo",
    "ReadyToBill",
    "Billed",
    "WrittenOff",
    "BilledAgreement",
)
LEVELS = ("Low", "Medium", "High")
LICENSE_CLASSES = ("A", "C", "F", "X")  # API, StreamlineIT, Full, Subcontractor
CONTACT_CHANNELS = ("Office", "Mobile", "Home")
INVOICING_DISPLAY = ("RemainOnInvoicingScreen", "ShowRecentInvoices")
INVOICE_TABS = ("ShowInvoicingTab", "ShowAgreementInvoicingTab")
CUSTOM_FIELDS = Field(
    "list",
    items={
        "id": INT,
        "caption": Field("str"),
        "type": Field("str"),
        "entryMethod": Field("str"),
        "numberOfDecimals": INT,
        "value": Field("str"),
    },
)

LOOKUPS: dict[str, Lookup] = {
    "companyStatus": Lookup(
        "company/companies/statuses",
        ((1, "Active"), (2, "Inactive"), (3, "Credit Hold"), (4, "Not Approved")),
        extra={"defaultFlag": (BOOL, False), "inactiveFlag": (BOOL, False)},
    ),
    "companyType": Lookup(
        "company/companies/types",
        ((1, "Client"), (2, "Prospect"), (3, "Vendor"), (4, "Partner"), (5, "Former Client")),
        extra={"defaultFlag": (BOOL, False), "vendorFlag": (BOOL, False)},
    ),
    "country": Lookup(
        "company/countries", ((1, "United States"), (2, "Canada"), (3, "United Kingdom"))
    ),
    "territory": Lookup(
        "system/locations",
        ((1, "Main"), (2, "North"), (3, "South"), (4, "West")),
        extra={"where": (Field("str"), "OnSite"), "clientFlag": (BOOL, False)},
    ),
    "market": Lookup(
        "company/marketDescriptions",
        (
            (1, "Healthcare"),
            (2, "Legal"),
            (3, "Manufacturing"),
            (4, "Financial Services"),
            (5, "Non-Profit"),
            (6, "Retail"),
            (7, "Education"),
            (8, "Construction"),
        ),
    ),
    "communicationType": Lookup(
        "company/communicationTypes",
        ((1, "Email"), (2, "Direct"), (3, "Cell"), (4, "Fax"), (5, "Home")),
        label="description",
        extra={"defaultFlag": (BOOL, False), "inactiveFlag": (BOOL, False)},
    ),
    "ticketType": Lookup(
        "service/boards/{board}/types",
        ((1, "Incident"), (2, "Service Request"), (3, "Problem"), (4, "Change"), (5, "Alert")),
        parent="board",
        extra={
            "category": (_s(choices=("Reactive", "Proactive")), "Reactive"),
            "defaultFlag": (BOOL, False),
            "inactiveFlag": (BOOL, False),
            "requestForChangeFlag": (BOOL, False),
        },
    ),
    "ticketSubType": Lookup(
        "service/boards/{board}/subtypes",
        (
            (1, "Email"),
            (2, "Hardware"),
            (3, "Software"),
            (4, "Network"),
            (5, "Security"),
            (6, "User Account"),
            (7, "Printing"),
            (8, "Backup"),
        ),
        parent="board",
        extra={"inactiveFlag": (BOOL, False)},
    ),
    "ticketItem": Lookup(
        "service/boards/{board}/items",
        ((1, "Workstation"), (2, "Server"), (3, "Firewall"), (4, "Microsoft 365"), (5, "Phone")),
        parent="board",
        extra={"inactiveFlag": (BOOL, False)},
    ),
    # Team leaders and members are members, chosen when seeding.
    "team": Lookup(
        "service/boards/{board}/teams",
        ((1, "Tier 1"), (2, "Tier 2")),
        parent="board",
        extra={
            "teamLeader": (Field("ref", target="member"), None),
            "members": (Field("list", items={}), None),
            "defaultFlag": (BOOL, False),
            "roundRobinFlag": (BOOL, False),
        },
    ),
    "ticketSource": Lookup(
        "service/sources",
        ((1, "Email"), (2, "Phone"), (3, "Portal"), (4, "Monitoring")),
        extra={"defaultFlag": (BOOL, False)},
    ),
    "projectBoard": Lookup(
        "project/boards",
        ((1, "Professional Services"), (2, "Onboarding"), (3, "Internal")),
        extra={
            "location": (Field("ref", target="territory"), 1),
            "department": (Field("ref", target="department"), 2),
            "inactiveFlag": (BOOL, False),
        },
    ),
    "projectStatus": Lookup(
        "project/statuses",
        ((1, "Open"), (2, "In Progress"), (3, "On Hold"), (4, "Completed"), (5, "Closed")),
        extra={"defaultFlag": (BOOL, False), "inactiveFlag": (BOOL, False)},
    ),
    "projectType": Lookup(
        "project/projectTypes",
        ((1, "Migration"), (2, "Onboarding"), (3, "Infrastructure"), (4, "Security Audit")),
    ),
    "opportunityStage": Lookup(
        "sales/stages",
        (
            (1, "1. Prospect"),
            (2, "2. Qualification"),
            (3, "3. Proposal"),
            (4, "4. Negotiation"),
            (5, "5. Closed"),
        ),
    ),
    "opportunityStatus": Lookup(
        "sales/opportunities/statuses",
        ((1, "Open"), (2, "Won"), (3, "Lost"), (4, "No Decision")),
        extra={"defaultFlag": (BOOL, False), "inactiveFlag": (BOOL, False)},
    ),
    "opportunityProbability": Lookup(
        "sales/probabilities",
        ((1, "10%"), (2, "25%"), (3, "50%"), (4, "75%"), (5, "90%"), (6, "100%")),
    ),
    "opportunityType": Lookup(
        "sales/opportunities/types",
        ((1, "New Business"), (2, "Managed Services"), (3, "Project"), (4, "Hardware Refresh")),
        label="description",
        extra={"inactiveFlag": (BOOL, False)},
    ),
    "workType": Lookup(
        "time/workTypes",
        ((1, "Remote Support"), (2, "Onsite"), (3, "After Hours"), (4, "Project Work")),
        extra={
            "billTime": (_s(choices=BILLABLE), "Billable"),
            "rateType": (_s(choices=("AdjAmount", "Custom", "Multiplier")), "Multiplier"),
            "rate": (FLOAT, 1.0),
            "inactiveFlag": (BOOL, False),
        },
    ),
    "workRole": Lookup(
        "time/workRoles",
        ((1, "Technician"), (2, "Senior Engineer"), (3, "Project Manager"), (4, "Help Desk")),
        extra={"hourlyRate": (FLOAT, 125.0), "inactiveFlag": (BOOL, False)},
    ),
    "expenseType": Lookup(
        "expense/types",
        (
            (1, "Mileage"),
            (2, "Meals"),
            (3, "Parking"),
            (4, "Hotel"),
            (5, "Airfare"),
            (6, "Supplies"),
        ),
        extra={
            "amountCaption": (_s(50), "Amount"),
            "billExpenses": (_s(choices=BILLABLE), "Billable"),
            "invoiceMarkupOption": (_s(choices=("Amount", "Percent")), "Percent"),
            "invoiceMarkupAmount": (FLOAT, 0.0),
            "inactiveFlag": (BOOL, False),
        },
    ),
    "paymentMethod": Lookup(
        "expense/paymentTypes", ((1, "Company Card"), (2, "Personal Card"), (3, "Cash"))
    ),
    "expenseClassification": Lookup(
        "expense/classifications", ((1, "Reimbursable"), (2, "NonReimbursable"))
    ),
    "configurationType": Lookup(
        "company/configurations/types",
        (
            (1, "Server"),
            (2, "Workstation"),
            (3, "Laptop"),
            (4, "Firewall"),
            (5, "Switch"),
            (6, "Wireless Access Point"),
            (7, "Printer"),
        ),
    ),
    "configurationStatus": Lookup(
        "company/configurations/statuses",
        ((1, "Active"), (2, "Inactive"), (3, "Retired")),
        label="description",
        extra={"defaultFlag": (BOOL, False), "closedFlag": (BOOL, False)},
    ),
    "manufacturer": Lookup(
        "procurement/manufacturers",
        ((1, "Dell"), (2, "HP"), (3, "Lenovo"), (4, "Fortinet"), (5, "Cisco"), (6, "Ubiquiti")),
    ),
    "catalogItem": Lookup(
        "procurement/catalog",
        (
            (1, "M365-BP", "Microsoft 365 Business Premium"),
            (2, "M365-BS", "Microsoft 365 Business Standard"),
            (3, "DELL-OPT-7010", "Dell OptiPlex 7010 Desktop"),
            (4, "DELL-LAT-5440", "Dell Latitude 5440 Laptop"),
            (5, "HP-PRO-400", "HP ProDesk 400 G9"),
            (6, "FG-60F", "Fortinet FortiGate 60F"),
            (7, "FG-60F-UTP", "FortiGate 60F UTP Bundle 1yr"),
            (8, "CSCO-C1000-24", "Cisco Catalyst 1000 24-port Switch"),
            (9, "UBNT-U6-PRO", "Ubiquiti UniFi U6 Pro Access Point"),
            (10, "SSD-1TB", "Samsung 870 EVO 1TB SSD"),
            (11, "MON-24", "Dell 24in Monitor P2423"),
            (12, "LABOR-BLK-10", "Block of 10 Labor Hours"),
            (13, "BACKUP-1TB", "Cloud Backup 1TB Monthly"),
            (14, "AV-EDR", "Endpoint Detection and Response Seat"),
            (15, "UPS-1500", "APC Smart-UPS 1500VA"),
        ),
        with_identifier=True,
        label="description",
        extra={
            "customerDescription": (Field("str"), None),  # the description, per row
            "subcategory": (Field("ref", target="productSubcategory"), 1),
            "type": (Field("ref", target="productType"), 1),
            "productClass": (
                _s(choices=("Agreement", "Bundle", "Inventory", "NonInventory", "Service")),
                "NonInventory",
            ),  # fmt: skip
            "inactiveFlag": (BOOL, False),
        },
    ),
    "productSubcategory": Lookup(
        "procurement/subcategories",
        ((1, "General"), (2, "Hardware"), (3, "Software"), (4, "Services")),
        extra={"inactiveFlag": (BOOL, False)},
    ),
    "productType": Lookup(
        "procurement/types",
        ((1, "Product"), (2, "Service"), (3, "Subscription")),
        extra={"inactiveFlag": (BOOL, False)},
    ),
    "securityRole": Lookup(
        "system/securityRoles",
        ((1, "Admin"), (2, "Technician"), (3, "Project Manager"), (4, "Sales")),
        extra={"roleType": (_s(choices=("CU", "MS", "SU")), "MS")},
    ),
    "department": Lookup(
        "system/departments",
        ((1, "ADMIN", "Administration"), (2, "SVC", "Services"), (3, "SALES", "Sales")),
        with_identifier=True,
        extra={"inactiveFlag": (BOOL, False)},
    ),
}

BOARDS = ((1, "Service Desk"), (2, "Network Ops"), (3, "Projects"), (4, "Alerts"))
# (name, closedStatus, defaultFlag) per board, in sort order.
BOARD_STATUSES = (
    ("New", False, True),
    ("In Progress", False, False),
    ("Waiting on Client", False, False),
    ("Scheduled", False, False),
    ("Resolved", True, False),
    ("Closed", True, False),
)
PRIORITIES = (
    (1, "Priority 1 - Critical", "Red"),
    (2, "Priority 2 - High", "Orange"),
    (3, "Priority 3 - Normal", "Yellow"),
    (4, "Priority 4 - Low", "Green"),
    (5, "Priority 5 - Planning", "Blue"),
)


#: Board-scoped lookups (types, subtypes, items, teams): one copy of the rows per board,
#: ids in blocks like statuses', so each id names one board's entry.
BOARD_LOOKUP_ROWS = {name: item.rows for name, item in LOOKUPS.items() if item.parent == "board"}


def board_lookup_id(target: str, board_id: int, base_id: int) -> int:
    """The id of row `base_id` of a board-scoped lookup on `board_id`."""
    return (board_id - 1) * len(BOARD_LOOKUP_ROWS[target]) + base_id


def lookup_board(target: str, record_id: int) -> int | None:
    """The board a board-scoped lookup row belongs to (None for other lookups)."""
    if target not in BOARD_LOOKUP_ROWS:
        return None
    return (record_id - 1) // len(BOARD_LOOKUP_ROWS[target]) + 1


for _name, _base in BOARD_LOOKUP_ROWS.items():
    LOOKUPS[_name] = dataclasses.replace(
        LOOKUPS[_name],
        rows=tuple(
            (board_lookup_id(_name, board_id, row[0]), *row[1:])
            for board_id, _ in BOARDS
            for row in _base
        ),
    )


def status_id(board_id: int, index: int) -> int:
    """Board statuses get ids in blocks: board 1 -> 1..6, board 2 -> 7..12..."""
    return (board_id - 1) * len(BOARD_STATUSES) + index + 1


TICKET = Kind(
    "ticket",
    "ticket",
    "/service/tickets",
    {
        "id": ID,
        "summary": _s(100, required=True),
        "recordType": _s(choices=("ServiceTicket", "ProjectTicket", "ProjectIssue")),
        "board": _ref("board"),
        "status": _ref("status"),
        "company": _ref("company", required=True),
        "contact": _ref("contact"),
        "contactName": _s(62),
        "contactEmailAddress": _s(250),
        "contactPhoneNumber": _s(20),
        "type": _ref("ticketType"),
        "subType": _ref("ticketSubType"),
        "item": _ref("ticketItem"),
        "priority": _ref("priority"),
        "severity": _s(choices=LEVELS),
        "impact": _s(choices=LEVELS),
        "owner": _ref("member"),
        "team": _ref("team"),
        "source": _ref("ticketSource"),
        "closedFlag": BOOL,
        # ConnectWise always sends it; clients keep it in a non-null column.
        "customerUpdatedFlag": BOOL,
        "closedDate": DATETIME,
        "closedBy": _s(30),
        "actualHours": FLOAT,
        "budgetHours": FLOAT,
        "requiredDate": DATETIME,
        "dateResolved": DATETIME,
        "dateResponded": DATETIME,
        "initialDescription": Field("str", write_only=True),
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

COMPANY = Kind(
    "company",
    "company",
    "/company/companies",
    {
        "id": ID,
        "identifier": _s(25, required=True),
        "name": _s(50, required=True),
        "status": _ref("companyStatus"),
        "types": Field("list", target="companyType", items={"id": INT, "name": Field("str")}),
        "phoneNumber": _s(30),
        "faxNumber": _s(30),
        "website": _s(255),
        "addressLine1": _s(50),
        "addressLine2": _s(50),
        "city": _s(50),
        "state": _s(50),
        "zip": _s(12),
        "country": _ref("country"),
        "territory": _ref("territory"),
        "market": _ref("market"),
        "accountNumber": _s(30),
        "defaultContact": _ref("contact"),
        "annualRevenue": FLOAT,
        "numberOfEmployees": INT,
        "leadFlag": BOOL,
        "deletedFlag": BOOL,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
    unique=("identifier",),
)

CONTACT = Kind(
    "contact",
    "contact",
    "/company/contacts",
    {
        "id": ID,
        "firstName": _s(30, required=True),
        "lastName": _s(30),
        "company": _ref("company"),
        "title": _s(100),
        "communicationItems": Field(
            "list",
            items={
                "id": INT,
                "type": _ref("communicationType"),
                "value": _s(250),
                "defaultFlag": BOOL,
                "communicationType": _s(choices=("Email", "Phone", "Fax")),
            },
        ),
        "inactiveFlag": BOOL,
        "defaultFlag": BOOL,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

PROJECT = Kind(
    "project",
    "project",
    "/project/projects",
    {
        "id": ID,
        "name": _s(100, required=True),
        "company": _ref("company", required=True),
        "contact": _ref("contact"),
        "board": _ref("projectBoard", required=True),
        "status": _ref("projectStatus"),
        "type": _ref("projectType"),
        "manager": _ref("member"),
        "description": _s(),
        "estimatedStart": Field("datetime", required=True),
        "estimatedEnd": Field("datetime", required=True),
        "actualStart": DATETIME,
        "actualEnd": DATETIME,
        "actualHours": FLOAT,
        "budgetHours": FLOAT,
        "estimatedHours": FLOAT,
        "billingMethod": _s(
            choices=("ActualRates", "FixedFee", "NotToExceed", "OverrideRate"), required=True
        ),
        "percentComplete": FLOAT,
        "closedFlag": BOOL,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

OPPORTUNITY = Kind(
    "opportunity",
    "opportunity",
    "/sales/opportunities",
    {
        "id": ID,
        "name": _s(100, required=True),
        "company": _ref("company", required=True),
        "contact": _ref("contact", required=True),
        "stage": _ref("opportunityStage"),
        "status": _ref("opportunityStatus"),
        "probability": _ref("opportunityProbability"),
        "type": _ref("opportunityType"),
        "source": _s(50),
        "primarySalesRep": _ref("member", required=True),
        "expectedCloseDate": DATETIME,
        "closedDate": DATETIME,
        "notes": _s(),
        "totalSales": FLOAT,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

TIME_ENTRY = Kind(
    "timeEntry",
    "time_entry",
    "/time/entries",
    {
        "id": ID,
        "company": _ref("company"),
        "chargeToId": INT,
        "chargeToType": _s(choices=CHARGE_TO),
        "ticket": _ref("ticket"),
        "project": _ref("project"),
        "member": _ref("member", required=True),
        "workType": _ref("workType"),
        "workRole": _ref("workRole"),
        "timeStart": Field("datetime", required=True),
        "timeEnd": DATETIME,
        "actualHours": FLOAT,
        "hoursBilled": FLOAT,
        "billableOption": _s(choices=BILLABLE),
        "notes": _s(),
        "internalNotes": _s(),
        # Where the notes also appear on the charged ticket (reference: TimeEntry fields).
        "addToDetailDescriptionFlag": BOOL,
        "addToInternalAnalysisFlag": BOOL,
        "addToResolutionFlag": BOOL,
        "status": _s(choices=ENTRY_STATUS),
        "hourlyRate": FLOAT,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

PRODUCT = Kind(
    "product",
    "product",
    "/procurement/products",
    {
        "id": ID,
        "catalogItem": _ref("catalogItem", required=True),
        "description": _s(60),
        "customerDescription": _s(),
        "quantity": FLOAT,
        "price": FLOAT,
        "cost": FLOAT,
        "billableOption": _s(choices=BILLABLE, required=True),
        "productClass": _s(choices=("Agreement", "Bundle", "Inventory", "NonInventory", "Service")),
        "chargeToId": INT,
        "chargeToType": _s(choices=("Ticket", "ProjectTicket", "Project", "Opportunity")),
        "company": _ref("company"),
        "ticket": _ref("ticket"),
        "project": _ref("project"),
        "opportunity": _ref("opportunity"),
        "cancelledFlag": BOOL,
        "taxableFlag": BOOL,
        "purchaseDate": DATETIME,
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

EXPENSE_ENTRY = Kind(
    "expenseEntry",
    "expense_entry",
    "/expense/entries",
    {
        "id": ID,
        "expenseReport": _ref("expenseReport"),
        "company": _ref("company"),
        "chargeToId": INT,
        "chargeToType": _s(choices=CHARGE_TO),
        "ticket": _ref("ticket"),
        "type": _ref("expenseType", required=True),
        "member": _ref("member", required=True),
        "amount": Field("float", required=True),
        "billAmount": FLOAT,
        "billableOption": _s(choices=BILLABLE),
        "date": Field("datetime", required=True),
        "notes": _s(),
        "paymentMethod": _ref("paymentMethod"),
        "classification": _ref("expenseClassification"),
        "status": _s(choices=ENTRY_STATUS),
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

CONFIGURATION = Kind(
    "configuration",
    "configuration",
    "/company/configurations",
    {
        "id": ID,
        "name": _s(100, required=True),
        "type": _ref("configurationType", required=True),
        "status": _ref("configurationStatus"),
        "company": _ref("company", required=True),
        "contact": _ref("contact"),
        "manufacturer": _ref("manufacturer"),
        "serialNumber": _s(250),
        "modelNumber": _s(50),
        "tagNumber": _s(50),
        "ipAddress": _s(50),
        "macAddress": _s(50),
        "defaultGateway": _s(50),
        "osType": _s(250),
        "osInfo": _s(250),
        "installationDate": DATETIME,
        "warrantyExpirationDate": DATETIME,
        "activeFlag": BOOL,
        "lastLoginName": _s(100),
        "notes": _s(),
        "customFields": CUSTOM_FIELDS,
        "_info": INFO,
    },
)

MEMBER = Kind(
    "member",
    "member",
    "/system/members",
    {
        "id": ID,
        "identifier": _s(15, required=True),
        "firstName": _s(30, required=True),
        "lastName": _s(30, required=True),
        "licenseClass": _s(choices=LICENSE_CLASSES, required=True),
        "hireDate": Field("datetime", required=True),
        "officeEmail": _s(250),
        "primaryEmail": _s(250),
        "defaultEmail": _s(choices=CONTACT_CHANNELS, required=True),
        "officePhone": _s(15),
        "defaultPhone": _s(choices=CONTACT_CHANNELS, required=True),
        "securityRole": _ref("securityRole", required=True),
        "title": _s(50),
        "inactiveFlag": BOOL,
        "dailyCapacity": FLOAT,
        # Required in some of ConnectWise's published descriptions of Member (not 2025.8's),
        # so generated clients may insist on them.
        "invoicingDisplayOptions": _s(choices=INVOICING_DISPLAY, required=True),
        "agreementInvoicingDisplayOptions": _s(choices=INVOICING_DISPLAY, required=True),
        "invoiceScreenDefaultTabFormat": _s(choices=INVOICE_TABS, required=True),
        "_info": INFO,
    },
    unique=("identifier",),
)

BOARD = Kind(
    "board",
    "board",
    "/service/boards",
    {
        "id": ID,
        "name": _s(50, required=True),
        "location": _ref("territory", required=True),
        "department": _ref("department", required=True),
        "inactiveFlag": BOOL,
        "projectFlag": BOOL,
        "_info": INFO,
    },
    writable=False,
)

STATUS = Kind(
    "status",
    "board_status",
    "/service/boards/{board}/statuses",
    {
        "id": ID,
        "name": _s(50, required=True),
        "board": _ref("board"),
        "closedStatus": BOOL,
        "defaultFlag": BOOL,
        "inactive": BOOL,
        "displayOnBoard": BOOL,
        "sortOrder": INT,
        "_info": INFO,
    },
    writable=False,
    parent="board",
    parent_field="$.board.id",
)

# ServiceNote (reference 5.4): a ticket's discussion / internal analysis / resolution notes.
TICKET_NOTE = Kind(
    "ticketNote",
    "ticket_note",
    "/service/tickets/{ticket}/notes",
    {
        "id": ID,
        "ticketId": INT,
        "text": _s(required=True),
        "detailDescriptionFlag": BOOL,
        "internalAnalysisFlag": BOOL,
        "resolutionFlag": BOOL,
        "issueFlag": BOOL,
        "member": _ref("member"),
        "contact": _ref("contact"),
        "customerUpdatedFlag": BOOL,
        "processNotifications": BOOL,
        "internalFlag": BOOL,
        "externalFlag": BOOL,
        "dateCreated": DATETIME,
        "createdBy": _s(30),
        "_info": INFO,
    },
    parent="ticket",
    parent_field="$.ticketId",
)

PRIORITY = Kind(
    "priority",
    "priority",
    "/service/priorities",
    {
        "id": ID,
        "name": _s(50, required=True),
        "color": _s(20),
        "sortOrder": INT,
        "defaultFlag": BOOL,
        "_info": INFO,
    },
    writable=False,
)


# The reports expense entries are filed on: one per member and 30-day period, seeded with
# the entries.
EXPENSE_REPORT = Kind(
    "expenseReport",
    "expense_report",
    "/expense/reports",
    {
        "id": ID,
        "member": _ref("member", required=True),
        "year": INT,
        "period": INT,
        "dateStart": DATETIME,
        "dateEnd": DATETIME,
        "status": _s(choices=ENTRY_STATUS),
        "total": FLOAT,
        "_info": INFO,
    },
    writable=False,
)


def _lookup_kind(name: str, lookup: Lookup) -> Kind:
    """The read-only record kind a lookup is served as."""
    fields: dict[str, Field] = {"id": ID}
    if lookup.with_identifier:
        fields["identifier"] = _s(50, required=True)
    fields[lookup.label] = _s(100, required=True)
    for key, (spec, _value) in lookup.extra.items():
        fields[key] = spec
    if lookup.parent:
        fields["board"] = _ref("board")
    fields["_info"] = INFO
    table = "lookup_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return Kind(
        name,
        table,
        "/" + lookup.href,
        fields,
        writable=False,
        parent=lookup.parent,
        parent_field="$.board.id" if lookup.parent else "",
    )


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        TICKET,
        COMPANY,
        CONTACT,
        PROJECT,
        OPPORTUNITY,
        TIME_ENTRY,
        PRODUCT,
        EXPENSE_ENTRY,
        CONFIGURATION,
        MEMBER,
        BOARD,
        STATUS,
        PRIORITY,
        TICKET_NOTE,
        EXPENSE_REPORT,
    )
}
# Every lookup a reference points at is served too.
KINDS.update({name: _lookup_kind(name, item) for name, item in LOOKUPS.items()})

# Which record fields a reference to that kind carries (besides id and _info).
REF_FIELDS: dict[str, tuple[str, ...]] = {
    "company": ("identifier", "name"),
    "member": ("identifier", "name"),
    "contact": ("name",),
    "ticket": ("summary",),
    "project": ("name",),
    "opportunity": ("name",),
    "board": ("name",),
    "status": ("name",),
    "priority": ("name",),
    "expenseReport": (),
}
HREF_PATHS = {
    "company": "company/companies",
    "member": "system/members",
    "contact": "company/contacts",
    "ticket": "service/tickets",
    "project": "project/projects",
    "opportunity": "sales/opportunities",
    "board": "service/boards",
    "priority": "service/priorities",
    "expenseReport": "expense/reports",
}


def ref_subfields(target: str) -> dict[str, Field]:
    """The queryable members of a reference object to `target`."""
    if target in REF_FIELDS:
        names = REF_FIELDS[target]
    elif LOOKUPS[target].with_identifier:
        names = ("identifier", "name")
    else:
        names = ("name",)
    subfields = {"id": INT}
    for name in names:
        subfields[name] = Field("str")
    return subfields


def href(target: str, record_id: int, *, board_id: int | None = None) -> str:
    if target == "status":
        return f"{PSA_BASE_URL}/service/boards/{board_id}/statuses/{record_id}"
    if target in HREF_PATHS:
        return f"{PSA_BASE_URL}/{HREF_PATHS[target]}/{record_id}"
    path = LOOKUPS[target].href.format(board=lookup_board(target, record_id))
    return f"{PSA_BASE_URL}/{path}/{record_id}"


def make_ref(target: str, record_id: int, **values) -> dict:
    """A reference object as ConnectWise writes it: id, a few names, `_info` with an href."""
    board_id = values.pop("board_id", None)
    ref = {"id": record_id, **values}
    ref["_info"] = {f"{target}_href": href(target, record_id, board_id=board_id)}
    return ref


def lookup_ref(target: str, record_id: int) -> dict | None:
    """Reference to a row of a fixed lookup table, or None when the id is unknown."""
    lookup = LOOKUPS[target]
    for row in lookup.rows:
        if row[0] == record_id:
            if lookup.with_identifier:
                return make_ref(target, row[0], identifier=row[1], name=row[2])
            return make_ref(target, row[0], name=row[1])
    return None


def lookup_by_name(target: str, name: str) -> int | None:
    lookup = LOOKUPS[target]
    wanted = name.casefold()
    for row in lookup.rows:
        if any(isinstance(cell, str) and cell.casefold() == wanted for cell in row[1:]):
            return row[0]
    return None


class PathError(ValueError):
    """A field path that the schema does not know (message names the bad part)."""


def walk(kind: Kind, path: str) -> list[tuple[str, Field]]:
    """Resolve `a/b/c` against `kind` case-insensitively: canonical (name, Field) steps."""
    steps: list[tuple[str, Field]] = []
    fields: dict[str, Field] | None = kind.fields
    parts = path.strip("/").split("/")
    for depth, part in enumerate(parts):
        if fields is None:
            parent = "/".join(name for name, _ in steps)
            raise PathError(f"'{parent}' has no member '{part}'")
        found = _find(fields, part)
        if found is None:
            where = "/".join(name for name, _ in steps)
            if depth == 0:
                raise PathError(f"unknown field '{part}' for {kind.name}")
            raise PathError(f"unknown field '{part}' in '{where}'")
        name, spec = found
        steps.append((name, spec))
        if spec.type == "ref":
            fields = ref_subfields(spec.target or "")
        elif spec.type in ("list", "object"):
            fields = spec.items
        else:
            fields = None
    return steps


def _find(fields: dict[str, Field], name: str) -> tuple[str, Field] | None:
    if name in fields:
        return name, fields[name]
    lowered = name.lower()
    for candidate, spec in fields.items():
        if candidate.lower() == lowered:
            return candidate, spec
    return None
