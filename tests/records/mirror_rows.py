"""Mirror rows for the list/detail/export tests, written straight into the mirror tables.

The views read only the mirror, so these tests fill it with the sync's own upsert
(``store.store_records``), without a PSA round trip.
``sample_record(kind, n)`` builds the n-th PSA record of a kind with values that vary, so
every filter and sort has something to choose between.
"""

from __future__ import annotations

import datetime

from psaportal.connections.models import Connection
from psaportal.records import registry
from psaportal.records.sync import store

BASE = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
COMPANIES = [
    (1, "ACME", "Acme Dental Group"),
    (2, "BLUE", "Blue Ridge Law Partners"),
    (3, "CASC", "Cascade Manufacturing"),
]
MEMBERS = [(1, "jsmith", "John Smith"), (2, "akhan", "Aisha Khan"), (3, "mlopez", "Mateo Lopez")]
STATUSES = ["New", "In Progress", "Waiting on Client", "Closed"]
BOARDS = ["Service Desk", "Network", "Projects"]
PRIORITIES = ["Priority 1 - Critical", "Priority 3 - Normal", "Priority 4 - Low"]
SUMMARIES = [
    "Printer offline on second floor",
    "Outlook keeps asking for password",
    "VPN disconnects every few minutes",
    "Backup job failed on FS01",
    "New user setup: Priya Patel",
]


def iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ref(ref_id: int, name: str, **extra) -> dict:
    return {"id": ref_id, "name": name, **extra}


def company_ref(n: int) -> dict:
    company_id, identifier, name = COMPANIES[n % len(COMPANIES)]
    return {"id": company_id, "identifier": identifier, "name": name}


def member_ref(n: int) -> dict:
    member_id, identifier, name = MEMBERS[n % len(MEMBERS)]
    return {"id": member_id, "identifier": identifier, "name": name}


def info(n: int) -> dict:
    entered = BASE + datetime.timedelta(days=n)
    return {
        "dateEntered": iso(entered),
        "enteredBy": "admin",
        "lastUpdated": iso(entered + datetime.timedelta(hours=n % 7)),
        "updatedBy": "admin",
    }


def sample_record(kind: str, n: int) -> dict:
    """The n-th (1-based) PSA record of `kind`: id n, values cycling through small sets."""
    day = BASE + datetime.timedelta(days=n)
    common = {"id": n, "_info": info(n)}
    if kind == "tickets":
        status = STATUSES[n % len(STATUSES)]
        return {
            **common,
            "summary": f"{SUMMARIES[n % len(SUMMARIES)]} #{n}",
            "recordType": "ServiceTicket",
            "board": ref(1 + n % 3, BOARDS[n % 3]),
            "status": ref(10 + n % 4, status),
            "company": company_ref(n),
            "contact": ref(100 + n, f"Contact {n}"),
            "owner": member_ref(n + 1),
            "priority": ref(20 + n % 3, PRIORITIES[n % 3]),
            "type": ref(1 + n % 2, ["Incident", "Service Request"][n % 2]),
            "item": ref(1 + n % 3, ["Workstation", "Server", "Firewall"][n % 3]),
            "severity": ["Low", "Medium", "High"][n % 3],
            "impact": "Medium",
            "closedFlag": status == "Closed",
            "closedDate": iso(day + datetime.timedelta(days=2)) if status == "Closed" else None,
            "requiredDate": iso(day + datetime.timedelta(days=5)),
            "actualHours": float(n % 5),
            "budgetHours": 4.0,
        }
    if kind == "companies":
        company_id, identifier, name = COMPANIES[(n - 1) % len(COMPANIES)]
        return {
            **common,
            "identifier": f"{identifier}{n}",
            "name": f"{name} {n}",
            "status": ref(1 + n % 2, ["Active", "Inactive"][n % 2]),
            "types": [ref(1, "Client")] + ([ref(2, "Prospect")] if n % 3 == 0 else []),
            "phoneNumber": f"555-010{n % 10}",
            "website": f"https://example{n}.com",
            "addressLine1": f"{n} Main St",
            "city": ["Tampa", "Denver", "Austin"][n % 3],
            "state": ["FL", "CO", "TX"][n % 3],
            "territory": ref(1 + n % 2, ["East", "West"][n % 2]),
            "market": ref(1 + n % 3, ["Healthcare", "Legal", "Manufacturing"][n % 3]),
            "deletedFlag": n % 5 == 0,
        }
    if kind == "contacts":
        first = ["Priya", "Carlos", "Ingrid", "Kenji"][n % 4]
        return {
            **common,
            "firstName": first,
            "lastName": ["Smith", "Garcia", "Nguyen"][n % 3],
            "company": company_ref(n),
            "title": ["Office Manager", "Owner", "Controller"][n % 3],
            "communicationItems": [
                {
                    "type": ref(1, "Email"),
                    "value": f"{first.lower()}{n}@example.com",
                    "defaultFlag": True,
                    "communicationType": "Email",
                },
                {
                    "type": ref(2, "Direct"),
                    "value": f"555-02{n:02d}",
                    "defaultFlag": False,
                    "communicationType": "Phone",
                },
            ],
            "inactiveFlag": n % 4 == 0,
        }
    if kind == "projects":
        status = ["Open", "On Hold", "Closed"][n % 3]
        return {
            **common,
            "name": f"Office 365 migration {n}",
            "company": company_ref(n),
            "board": ref(3, ["Projects", "Network"][n % 2]),
            "status": ref(1 + n % 3, status),
            "type": ref(1, "Migration"),
            "manager": member_ref(n),
            "billingMethod": "FixedFee",
            "estimatedStart": iso(day),
            "estimatedEnd": iso(day + datetime.timedelta(days=30)),
            "actualHours": float(n * 2),
            "budgetHours": 40.0,
            "percentComplete": float((n * 10) % 100),
            "closedFlag": status == "Closed",
        }
    if kind == "opportunities":
        return {
            **common,
            "name": f"Firewall refresh {n}",
            "company": company_ref(n),
            "stage": ref(1 + n % 3, ["Prospect", "Proposal", "Negotiation"][n % 3]),
            "status": ref(1 + n % 2, ["Open", "Won"][n % 2]),
            "probability": ref(1 + n % 2, ["50%", "90%"][n % 2]),
            "type": ref(1, "New Business"),
            "primarySalesRep": member_ref(n),
            "expectedCloseDate": iso(day + datetime.timedelta(days=10)),
            "closedDate": iso(day + datetime.timedelta(days=8)) if n % 2 else None,
            "totalSales": 1000.0 + n * 250,
        }
    if kind == "time_entries":
        start = day + datetime.timedelta(hours=1)
        return {
            **common,
            "company": company_ref(n),
            "chargeToId": n % 4 + 1,
            "chargeToType": "ServiceTicket" if n % 3 else "ChargeCode",
            "ticket": ref(n % 4 + 1, "", summary=f"Ticket {n % 4 + 1}") if n % 3 else None,
            "member": member_ref(n),
            "workType": ref(1, "Remote"),
            "timeStart": iso(start),
            "timeEnd": iso(start + datetime.timedelta(hours=1)),
            "actualHours": 0.5 + n % 4,
            "hoursBilled": 0.5 + n % 4,
            "billableOption": ["Billable", "DoNotBill", "NoCharge"][n % 3],
            "notes": f"Remoted in, case {n}.",
            "status": ["Open", "Billed"][n % 2],
        }
    if kind == "products":
        return {
            **common,
            "catalogItem": {
                "id": 1 + n % 3,
                "identifier": ["SSD-1TB", "FW-100", "LIC-M365"][n % 3],
            },
            "description": f"{['Solid state drive', 'Firewall', 'Licence'][n % 3]} {n}",
            "quantity": float(1 + n % 3),
            "price": 100.0 + n,
            "cost": 80.0 + n,
            "billableOption": ["Billable", "NoCharge"][n % 2],
            "productClass": "Inventory",
            "chargeToId": n % 4 + 1,
            "chargeToType": ["Ticket", "Opportunity"][n % 2],
            "company": company_ref(n),
            "ticket": ref(n % 4 + 1, "", summary="t") if n % 2 == 0 else None,
            "opportunity": ref(n % 4 + 1, "o") if n % 2 else None,
            "cancelledFlag": n % 6 == 0,
            "purchaseDate": iso(day),
        }
    if kind == "expense_entries":
        return {
            **common,
            "member": member_ref(n),
            "company": company_ref(n),
            "chargeToId": n % 4 + 1,
            "chargeToType": "ServiceTicket",
            "ticket": ref(n % 4 + 1, "", summary="t"),
            "type": ref(1 + n % 3, ["Mileage", "Meals", "Parking"][n % 3]),
            "amount": 10.0 + n,
            "billAmount": 10.0 + n,
            "billableOption": ["Billable", "DoNotBill"][n % 2],
            "date": iso(day.replace(hour=0)),
            "paymentMethod": ref(1, "Cash"),
            "classification": ref(1, "Reimbursable"),
            "status": "Open",
            "notes": f"Client visit {n}",
        }
    if kind == "configurations":
        return {
            **common,
            "name": f"WS-{n:03d}",
            "type": ref(1 + n % 3, ["Workstation", "Server", "Firewall"][n % 3]),
            "status": ref(1 + n % 2, ["Active", "Retired"][n % 2]),
            "company": company_ref(n),
            "contact": ref(100 + n, f"Contact {n}"),
            "manufacturer": ref(1, "Dell"),
            "serialNumber": f"SN{n:05d}",
            "modelNumber": "OptiPlex 7090",
            "tagNumber": f"TAG{n}",
            "ipAddress": f"10.0.0.{n}",
            "osType": "Windows 11",
            "installationDate": iso(day),
            "warrantyExpirationDate": iso(day + datetime.timedelta(days=365)),
            "activeFlag": n % 2 == 1,
        }
    raise ValueError(kind)


def ready_connection() -> Connection:
    return Connection.objects.create(
        membrane_id="conn-records-ui",
        name="ConnectWise PSA",
        state=Connection.State.READY,
        connected=True,
    )


def mirror(connection, kind_key: str, records: list[dict]):
    """Store PSA records in the mirror of `kind_key` through the sync's own bulk upsert."""
    store.store_records(
        connection_id=connection.pk, kind=registry.get_kind(kind_key), records=records
    )


def mirror_samples(connection, kind_key: str, count: int):
    return mirror(connection, kind_key, [sample_record(kind_key, n) for n in range(1, count + 1)])
