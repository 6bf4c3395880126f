"""Deterministic, streamed seed data that looks like a small MSP's ConnectWise PSA.

Every kind draws from its own `random.Random(f"{seed}:{kind}")`, so the same seed and
scale give the same records. Records are generated one at a time and inserted in
batches; only small per-record facts (a ticket's company, dates, owner, summary) are
kept in compact arrays for the kinds that refer back to them, so a million tickets seed
in flat memory: a ticket's summary is kept as the number of one of its few distinct texts.
"""

from __future__ import annotations

import bisect
import functools
import random
import sqlite3
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson

from .schema import (
    BOARD_LOOKUP_ROWS,
    BOARD_STATUSES,
    BOARDS,
    KINDS,
    LOOKUPS,
    PRIORITIES,
    board_lookup_id,
    lookup_board,
    make_ref,
    status_id,
)
from .schema import (
    lookup_ref as schema_lookup_ref,
)

BATCH = 5_000
DAY = 86_400
HOUR = 3_600
PERIOD = 30 * DAY  # an expense report's span
TICKET_SPAN = 730 * DAY  # tickets are spread over the two years before the anchor

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Steven Ashley Paul Emily Andrew Donna Joshua Michelle Kevin "
    "Carol Brian Amanda Priya Wei Carlos Fatima Olga Kenji Aisha Mateo Ingrid Tariq"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter"
).split()
COMPANY_PREFIXES = (
    "Acme Blue Ridge Cascade Summit Harbor Pinecrest Redwood Silverline Northwind Lakeside "
    "Ironwood Granite Maple Oakridge Riverbend Sterling Evergreen Keystone Horizon Beacon "
    "Crescent Meridian Pioneer Sequoia Tidewater Westfield Brightwater Cedar Falcon Juniper"
).split()
COMPANY_SUFFIXES = (
    ("Dental Group", 1),
    ("Family Clinic", 1),
    ("Law Partners", 2),
    ("Legal LLP", 2),
    ("Manufacturing", 3),
    ("Fabrication Inc", 3),
    ("Wealth Advisors", 4),
    ("Credit Union", 4),
    ("Community Foundation", 5),
    ("Outfitters", 6),
    ("Academy", 7),
    ("Builders", 8),
    ("Logistics", 3),
    ("Architects", 8),
)
CITIES = (
    ("Tampa", "FL", "336"),
    ("Denver", "CO", "802"),
    ("Austin", "TX", "787"),
    ("Raleigh", "NC", "276"),
    ("Columbus", "OH", "432"),
    ("Portland", "OR", "972"),
    ("Madison", "WI", "537"),
    ("Boise", "ID", "837"),
    ("Richmond", "VA", "232"),
    ("Omaha", "NE", "681"),
)
STREETS = "Main Oak Park Elm Market Commerce Industrial Lake Hill Center".split()
MEMBER_TITLES = ("Service Manager", "Project Manager", "Account Manager")
TECH_TITLES = ("Service Desk Technician", "Network Engineer", "Systems Engineer")
CONTACT_TITLES = (
    "Office Manager",
    "Owner",
    "Practice Administrator",
    "Controller",
    "IT Coordinator",
    "Operations Director",
    "Receptionist",
    "Managing Partner",
    "Bookkeeper",
    "Warehouse Lead",
)
TICKET_SUMMARIES = (
    ("Outlook keeps asking for password for {user}", 1, 1, 4),
    ("Printer offline on {floor} floor", 1, 7, 1),
    ("New user setup: {user}", 2, 6, 4),
    ("Disable account for departing employee {user}", 2, 6, 4),
    ("VPN disconnects every few minutes", 1, 4, 3),
    ("Backup job failed on {server}", 5, 8, 2),
    ("Firewall alert: high CPU on {firewall}", 5, 4, 3),
    ("Slow computer - {user}", 1, 2, 1),
    ("Install Adobe Acrobat for {user}", 2, 3, 1),
    ("Wi-Fi dropping in conference room", 1, 4, 3),
    ("Phishing email reported by {user}", 1, 5, 4),
    ("Server {server} disk space low", 5, 2, 2),
    ("Replace failing hard drive in {server}", 3, 2, 2),
    ("Request: second monitor for {user}", 2, 2, 1),
    ("QuickBooks will not open", 1, 3, 1),
    ("Update firewall firmware on {firewall}", 4, 4, 3),
    ("Shared drive mapping missing", 1, 4, 1),
    ("Teams calls dropping audio", 1, 3, 4),
    ("MFA reset for {user}", 2, 6, 4),
    ("Patch failures on {server}", 3, 3, 2),
)
TIME_NOTES = (
    "Remoted in and reviewed event logs.",
    "Called user, confirmed issue resolved.",
    "Reset password and verified MFA enrollment.",
    "Replaced toner and cleared print queue.",
    "Applied pending Windows updates and rebooted.",
    "Reconfigured VPN client profile.",
    "Investigated backup failure, re-ran job successfully.",
    "Onsite visit to replace hardware.",
    "Documented changes in IT Glue.",
    "Escalated to vendor support, awaiting response.",
)
# (text, detailDescriptionFlag, internalAnalysisFlag, resolutionFlag)
TICKET_NOTES = (
    ("Customer reports the issue started after this morning's update.", True, False, False),
    ("Asked the user for a screenshot of the error message.", True, False, False),
    ("User confirmed the workaround helps for now.", True, False, False),
    ("Likely a stale cached credential; check the event log next time.", False, True, False),
    ("Vendor case opened, reference in the ticket's documents.", False, True, False),
    ("Same symptom as last month's ticket at this site.", False, True, False),
    ("Cleared the profile cache and re-synced; the user confirmed it works.", True, False, True),
    ("Replaced the failed part; monitoring shows no further alerts.", False, False, True),
)
OPPORTUNITY_NAMES = (
    "Managed Services Agreement",
    "Firewall Refresh",
    "Microsoft 365 Migration",
    "Workstation Refresh ({n} seats)",
    "Backup and DR Upgrade",
    "Wireless Upgrade",
    "Security Awareness Training",
    "Server Replacement",
)
PROJECT_NAMES = (
    "Microsoft 365 Migration",
    "Network Refresh",
    "New Office Buildout",
    "Server Virtualization",
    "Client Onboarding",
    "Security Audit and Remediation",
    "Backup Modernization",
    "Phone System Cutover",
)
OS_TYPES = {
    1: ("Windows Server 2022 Standard", "Windows Server 2019 Standard", "Ubuntu 22.04 LTS"),
    2: ("Windows 11 Pro", "Windows 10 Pro"),
    3: ("Windows 11 Pro", "macOS 14 Sonoma"),
    4: ("FortiOS 7.2", "FortiOS 7.4"),
    5: ("Cisco IOS 15.2",),
    6: ("UniFi 6.6",),
    7: ("",),
}
CONFIG_MODELS = {
    1: (1, "PowerEdge R650"),
    2: (1, "OptiPlex 7010"),
    3: (3, "ThinkPad T14"),
    4: (4, "FortiGate 60F"),
    5: (5, "Catalyst 1000-24T"),
    6: (6, "U6 Pro"),
    7: (2, "LaserJet Pro M404"),
}


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def dumps(record: dict) -> str:
    # SQLite's JSON functions read text, not the bytes orjson gives.
    return orjson.dumps(record).decode()


# Records share these reference objects: each record is written out as soon as it is built
# and never changed after, so one object per lookup row is safe and saves building millions.
lookup_ref = functools.cache(schema_lookup_ref)


def insert_rows(conn: sqlite3.Connection, table: str, rows: Iterable[tuple]) -> int:
    """Insert (id, last_updated, data) rows in batches; never holds more than one batch."""
    sql = f"INSERT INTO {table} (id, last_updated, data) VALUES (?, ?, ?)"
    batch: list[tuple] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        conn.executemany(sql, batch)
        count += len(batch)
    return count


@dataclass
class _Person:
    id: int
    first: str
    last: str
    identifier: str
    title: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


class Seeder:
    """Generates every kind in dependency order and inserts it into `conn`."""

    def __init__(self, conn: sqlite3.Connection, scale, seed: int, anchor: int) -> None:
        self.conn = conn
        self.scale = scale
        self.seed = seed
        self.anchor = anchor

    def rng(self, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{kind}")

    def info(self, entered: float, updated: float, entered_by: str, updated_by: str) -> dict:
        return {
            "lastUpdated": iso(updated),
            "updatedBy": updated_by,
            "dateEntered": iso(entered),
            "enteredBy": entered_by,
        }

    def run(self) -> None:
        self.lookups()
        self.members()
        self.lookup_tables()
        self.plan_contacts()
        self.companies()
        self.contacts()
        self.tickets()
        self.projects()
        self.opportunities()
        self.time_entries()
        self.ticket_notes()
        self.products()
        self.expense_entries()
        self.configurations()

    # ------------------------------------------------------------ lookups

    def lookups(self) -> None:
        entered = self.anchor - 5 * 365 * DAY
        info = self.info(entered, entered, "admin", "admin")
        boards = (
            (board_id, iso(entered), dumps(
                {"id": board_id, "name": name, "location": lookup_ref("territory", 1),
                 "department": lookup_ref("department", 3 if name == "Projects" else 2),
                 "inactiveFlag": False, "projectFlag": name == "Projects", "_info": info}
            ))
            for board_id, name in BOARDS
        )  # fmt: skip
        insert_rows(self.conn, "board", boards)
        statuses = []
        for board_id, board_name in BOARDS:
            board_ref = make_ref("board", board_id, name=board_name)
            for index, (name, closed, default) in enumerate(BOARD_STATUSES):
                sid = status_id(board_id, index)
                record = {
                    "id": sid,
                    "name": name,
                    "board": board_ref,
                    "closedStatus": closed,
                    "defaultFlag": default,
                    "inactive": False,
                    "displayOnBoard": name != "Closed",
                    "sortOrder": index,
                    "_info": info,
                }
                statuses.append((sid, iso(entered), dumps(record)))
        insert_rows(self.conn, "board_status", statuses)
        priorities = (
            (pid, iso(entered), dumps(
                {"id": pid, "name": name, "color": color, "sortOrder": pid,
                 "defaultFlag": pid == 3, "_info": info}
            ))
            for pid, name, color in PRIORITIES
        )  # fmt: skip
        insert_rows(self.conn, "priority", priorities)
        self.status_refs = {
            (board_id, index): make_ref(
                "status",
                status_id(board_id, index),
                name=BOARD_STATUSES[index][0],
                board_id=board_id,
            )
            for board_id, _ in BOARDS
            for index in range(len(BOARD_STATUSES))
        }
        self.board_refs = {bid: make_ref("board", bid, name=name) for bid, name in BOARDS}
        self.priority_refs = {pid: make_ref("priority", pid, name=n) for pid, n, _ in PRIORITIES}

    # ------------------------------------------------------------ members

    def members(self) -> None:
        rng = self.rng("members")
        people: list[_Person] = []
        seen: set[str] = set()
        for member_id in range(1, self.scale.members + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = (first[0] + last).lower()[:13]
            identifier, n = base, 1
            while identifier in seen:
                n += 1
                identifier = f"{base}{n}"
            seen.add(identifier)
            index = member_id - 1
            title = MEMBER_TITLES[index] if index < len(MEMBER_TITLES) else rng.choice(TECH_TITLES)
            people.append(_Person(member_id, first, last, identifier, title))
        self.people = people
        self.member_refs = [
            make_ref("member", p.id, identifier=p.identifier, name=p.name) for p in people
        ]
        techs = [p.id for p in people if p.title in TECH_TITLES] or [p.id for p in people]
        self.techs = techs
        self.pms = [p.id for p in people if p.title in MEMBER_TITLES[:2]] or techs
        self.sales = [p.id for p in people if p.title == "Account Manager"] or self.pms
        self.admin = people[0].identifier if people else "admin"

        def rows() -> Iterator[tuple]:
            for p in people:
                entered = self.anchor - rng.randint(400, 2500) * DAY
                updated = self.anchor - rng.randint(1, 380) * DAY
                email = f"{p.first}.{p.last}@brightpathit.com".lower()
                record = {
                    "id": p.id,
                    "identifier": p.identifier,
                    "firstName": p.first,
                    "lastName": p.last,
                    "licenseClass": "F",
                    "hireDate": iso(entered - entered % DAY),
                    "officeEmail": email,
                    "primaryEmail": email,
                    "defaultEmail": "Office",
                    "officePhone": f"555{p.id:07d}"[-10:],
                    "defaultPhone": "Office",
                    "securityRole": lookup_ref("securityRole", _security_role(p.title)),
                    "title": p.title,
                    "inactiveFlag": rng.random() < 0.08 and p.id > 3,
                    "dailyCapacity": 8.0,
                    "invoicingDisplayOptions": "RemainOnInvoicingScreen",
                    "agreementInvoicingDisplayOptions": "RemainOnInvoicingScreen",
                    "invoiceScreenDefaultTabFormat": "ShowInvoicingTab",
                    "_info": self.info(entered, updated, "admin", "admin"),
                }
                yield p.id, iso(updated), dumps(record)

        insert_rows(self.conn, "member", rows())

    def lookup_tables(self) -> None:
        """Every lookup a reference points at, as the records its own endpoint serves."""
        entered = self.anchor - 5 * 365 * DAY
        info = self.info(entered, entered, "admin", "admin")
        for name, lookup in LOOKUPS.items():
            if not lookup.rows:
                continue
            rows = []
            for row in lookup.rows:
                record: dict = {"id": row[0]}
                if lookup.with_identifier:
                    record["identifier"] = row[1]
                record[lookup.label] = row[-1]
                for key, (spec, value) in lookup.extra.items():
                    record[key] = self.lookup_value(name, row, key, spec, value)
                board_id = lookup_board(name, row[0])
                if board_id is not None:
                    record["board"] = self.board_refs[board_id]
                record["_info"] = info
                rows.append((row[0], iso(entered), dumps(record)))
            insert_rows(self.conn, KINDS[name].table, rows)

    def lookup_value(self, name: str, row: tuple, key: str, spec, value):
        """One extra field of a lookup row: references resolved, a few per-row values."""
        base = (row[0] - 1) % len(BOARD_LOOKUP_ROWS[name]) if name in BOARD_LOOKUP_ROWS else None
        if key == "defaultFlag":
            return row[0] == 1 if base is None else base == 0
        if key in ("teamLeader", "members"):
            teams = len(BOARD_LOOKUP_ROWS["team"])
            leaders = self.techs[:teams] or [1]
            leader = leaders[base % len(leaders)]
            if key == "teamLeader":
                return self.member_ref(leader)
            return sorted({leader, *self.techs[base::teams]})
        if key == "customerDescription":
            return row[-1]
        if spec.type == "ref":
            return lookup_ref(spec.target, value)
        return value

    def member_ref(self, member_id: int) -> dict:
        return self.member_refs[member_id - 1]

    def member_identifier(self, member_id: int) -> str:
        return self.people[member_id - 1].identifier

    # ------------------------------------------------------------ companies & contacts

    def plan_contacts(self) -> None:
        """Pick each contact's name and company up front: companies name a default contact."""
        rng = self.rng("contact-plan")
        companies = self.scale.companies
        self.company_weights = list(_cumulative(companies))
        self.contact_first: list[str] = []
        self.contact_last: list[str] = []
        self.contact_company = array("i")
        self.company_contacts: list[list[int]] = [[] for _ in range(companies + 1)]
        for contact_id in range(1, self.scale.contacts + 1):
            self.contact_first.append(rng.choice(FIRST_NAMES))
            self.contact_last.append(rng.choice(LAST_NAMES))
            if contact_id <= companies:
                company_id = contact_id
            else:
                company_id = self.pick_company(rng)
            self.contact_company.append(company_id)
            self.company_contacts[company_id].append(contact_id)

    def pick_company(self, rng: random.Random) -> int:
        weights = self.company_weights
        return bisect.bisect_left(weights, rng.random() * weights[-1]) + 1

    def contact_name(self, contact_id: int) -> str:
        return f"{self.contact_first[contact_id - 1]} {self.contact_last[contact_id - 1]}"

    def contact_ref(self, contact_id: int) -> dict:
        return make_ref("contact", contact_id, name=self.contact_name(contact_id))

    def companies(self) -> None:
        rng = self.rng("companies")
        names = [(p, s, m) for p in COMPANY_PREFIXES for s, m in COMPANY_SUFFIXES]
        rng.shuffle(names)
        self.company_names: list[str] = []
        self.company_identifiers: list[str] = []
        self.company_domains: list[str] = []
        self.company_refs: list[dict] = []
        seen: set[str] = set()
        for index in range(self.scale.companies):
            prefix, suffix, market = names[index % len(names)]
            name = f"{prefix} {suffix}"
            if index >= len(names):
                name = f"{name} {index // len(names) + 1}"
            identifier = "".join(ch for ch in name.title() if ch.isalnum())[:25]
            base, n = identifier, 1
            while identifier.lower() in seen:
                n += 1
                identifier = f"{base[:22]}{n}"
            seen.add(identifier.lower())
            self.company_names.append(name)
            self.company_identifiers.append(identifier)
            self.company_domains.append(f"{prefix.lower().replace(' ', '')}{index + 1}.com")
            self.company_refs.append(
                make_ref("company", index + 1, identifier=identifier, name=name)
            )

        def rows() -> Iterator[tuple]:
            for index in range(self.scale.companies):
                company_id = index + 1
                market = names[index % len(names)][2]
                city, state, area = rng.choice(CITIES)
                entered = self.anchor - rng.randint(800, 3000) * DAY
                updated = self.anchor - rng.randint(1, 700) * DAY - rng.randint(0, DAY)
                roll = rng.random()
                type_id = 1 if roll < 0.75 else 2 if roll < 0.88 else 3 if roll < 0.95 else 5
                status = 1 if type_id != 5 else 2
                if type_id == 1 and rng.random() < 0.04:
                    status = 3
                record = {
                    "id": company_id,
                    "identifier": self.company_identifiers[index],
                    "name": self.company_names[index],
                    "status": lookup_ref("companyStatus", status),
                    "types": [lookup_ref("companyType", type_id)],
                    "phoneNumber": f"{area}555{rng.randint(1000, 9999)}",
                    "website": f"www.{self.company_domains[index]}",
                    "addressLine1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)} St",
                    "city": city,
                    "state": state,
                    "zip": f"{area}{rng.randint(10, 99)}",
                    "country": lookup_ref("country", 1),
                    "territory": lookup_ref("territory", rng.randint(1, 4)),
                    "market": lookup_ref("market", market),
                    "accountNumber": f"ACCT-{company_id:05d}",
                    "numberOfEmployees": rng.choice((5, 12, 25, 40, 75, 150, 300)),
                    "annualRevenue": float(rng.randint(5, 400) * 100_000),
                    "leadFlag": type_id == 2,
                    "deletedFlag": False,
                    "customFields": [
                        {
                            "id": 1,
                            "caption": "Contract Tier",
                            "type": "Text",
                            "entryMethod": "List",
                            "numberOfDecimals": 0,
                            "value": rng.choice(("Gold", "Silver", "Bronze")),
                        }
                    ],
                    "_info": self.info(entered, updated, self.admin, self.admin),
                }
                contacts = self.company_contacts[company_id]
                if contacts:
                    record["defaultContact"] = self.contact_ref(contacts[0])
                yield company_id, iso(updated), dumps(record)

        insert_rows(self.conn, "company", rows())

    def contact_email(self, contact_id: int) -> str:
        company_id = self.contact_company[contact_id - 1]
        first, last = self.contact_first[contact_id - 1], self.contact_last[contact_id - 1]
        return f"{first[0]}{last}@{self.company_domains[company_id - 1]}".lower()

    def contacts(self) -> None:
        rng = self.rng("contacts")
        email_type = lookup_ref("communicationType", 1)
        direct_type = lookup_ref("communicationType", 2)
        cell_type = lookup_ref("communicationType", 3)

        def rows() -> Iterator[tuple]:
            item_id = 0
            for contact_id in range(1, self.scale.contacts + 1):
                company_id = self.contact_company[contact_id - 1]
                area = "555"
                entered = self.anchor - rng.randint(100, 2000) * DAY
                updated = self.anchor - rng.randint(1, 600) * DAY - rng.randint(0, DAY)
                item_id += 1
                items = [
                    {
                        "id": item_id,
                        "type": email_type,
                        "value": self.contact_email(contact_id),
                        "defaultFlag": True,
                        "communicationType": "Email",
                    }
                ]
                item_id += 1
                items.append(
                    {
                        "id": item_id,
                        "type": direct_type,
                        "value": f"{rng.randint(200, 989)}{area}{rng.randint(1000, 9999)}",
                        "defaultFlag": True,
                        "communicationType": "Phone",
                    }
                )
                if rng.random() < 0.4:
                    item_id += 1
                    items.append(
                        {
                            "id": item_id,
                            "type": cell_type,
                            "value": f"{rng.randint(200, 989)}555{rng.randint(1000, 9999)}",
                            "defaultFlag": False,
                            "communicationType": "Phone",
                        }
                    )
                record = {
                    "id": contact_id,
                    "firstName": self.contact_first[contact_id - 1],
                    "lastName": self.contact_last[contact_id - 1],
                    "company": self.company_refs[company_id - 1],
                    "title": rng.choice(CONTACT_TITLES),
                    "communicationItems": items,
                    "inactiveFlag": rng.random() < 0.05,
                    "defaultFlag": self.company_contacts[company_id][0] == contact_id,
                    "_info": self.info(entered, updated, self.admin, self.admin),
                }
                yield contact_id, iso(updated), dumps(record)

        insert_rows(self.conn, "contact", rows())

    # ------------------------------------------------------------ tickets

    def tickets(self) -> None:
        rng = self.rng("tickets")
        n = self.scale.tickets
        self.ticket_company = array("i")
        self.ticket_entered = array("q")
        self.ticket_end = array("q")
        self.ticket_owner = array("i")
        self.summary_texts: list[str] = []
        self.summary_numbers: dict[str, int] = {}
        self.ticket_summary_number = array("i")
        anchor = self.anchor
        board_weights = (0.6, 0.8, 0.9, 1.0)
        priority_weights = (0.04, 0.16, 0.78, 0.96, 1.0)
        tiers = ("Gold", "Silver", "Bronze")

        def rows() -> Iterator[tuple]:
            for ticket_id in range(1, n + 1):
                company_id = self.pick_company(rng)
                entered = anchor - TICKET_SPAN + TICKET_SPAN * (ticket_id - 0.5) / n
                entered = int(min(entered + rng.uniform(-2, 2) * HOUR, anchor - 600))
                age = anchor - entered
                closed_chance = 0.97 if age > 45 * DAY else 0.75 if age > 7 * DAY else 0.35
                closed = rng.random() < closed_chance
                roll = rng.random()
                board_id = next(i + 1 for i, w in enumerate(board_weights) if roll <= w)
                if closed:
                    status_index = 5 if rng.random() < 0.85 else 4
                elif age < DAY:
                    status_index = 0 if rng.random() < 0.6 else 1
                else:
                    status_index = rng.choice((0, 1, 1, 1, 2, 2, 3))
                template, type_id, subtype_id, item_id = rng.choice(TICKET_SUMMARIES)
                contacts = self.company_contacts[company_id]
                contact_id = rng.choice(contacts) if contacts else 0
                user = self.contact_name(contact_id) if contact_id else "a user"
                summary = template.format(
                    user=user,
                    floor=rng.choice(("1st", "2nd", "3rd")),
                    server=f"{self.company_identifiers[company_id - 1][:6].upper()}-"
                    f"{rng.choice(('DC01', 'FS01', 'APP01', 'SQL01'))}",
                    firewall=f"{self.company_identifiers[company_id - 1][:6].upper()}-FW01",
                )[:100]
                roll = rng.random()
                priority_id = next(i + 1 for i, w in enumerate(priority_weights) if roll <= w)
                owner = rng.choice(self.techs) if self.techs and status_index != 0 else 0
                if not owner and self.techs and rng.random() < 0.3:
                    owner = rng.choice(self.techs)
                record = {
                    "id": ticket_id,
                    "summary": summary,
                    "recordType": "ServiceTicket",
                    "board": self.board_refs[board_id],
                    "status": self.status_refs[(board_id, status_index)],
                    "company": self.company_refs[company_id - 1],
                }
                if contact_id:
                    record["contact"] = self.contact_ref(contact_id)
                    record["contactName"] = self.contact_name(contact_id)
                    record["contactEmailAddress"] = self.contact_email(contact_id)
                for field_name, target, base_id in (
                    ("type", "ticketType", type_id),
                    ("subType", "ticketSubType", subtype_id),
                    ("item", "ticketItem", item_id),
                ):
                    record[field_name] = lookup_ref(
                        target, board_lookup_id(target, board_id, base_id)
                    )
                record["priority"] = self.priority_refs[priority_id]
                record["severity"] = rng.choice(("Low", "Medium", "Medium", "High"))
                record["impact"] = rng.choice(("Low", "Medium", "Medium", "High"))
                if owner:
                    record["owner"] = self.member_ref(owner)
                team = 2 if priority_id <= 2 else 1
                record["team"] = lookup_ref("team", board_lookup_id("team", board_id, team))
                record["source"] = lookup_ref(
                    "ticketSource", 4 if type_id == 5 else rng.randint(1, 3)
                )
                record["requiredDate"] = iso(entered + rng.choice((1, 2, 3, 5, 10)) * DAY)
                record["budgetHours"] = rng.choice((0.5, 1.0, 2.0, 4.0, 8.0))
                record["actualHours"] = round(rng.randint(1, 24) * 0.25, 2)
                if status_index != 0:
                    record["dateResponded"] = iso(entered + rng.randint(5, 240) * 60)
                end = anchor
                if closed:
                    resolved = min(entered + int(rng.expovariate(1 / 30) * HOUR) + 900, anchor - 60)
                    end = resolved
                    closer = owner or (self.techs[0] if self.techs else 0)
                    record["closedDate"] = iso(resolved)
                    record["closedBy"] = self.member_identifier(closer) if closer else "admin"
                    record["dateResolved"] = iso(resolved)
                    updated = min(resolved + rng.randint(0, 2 * HOUR), anchor - 1)
                else:
                    updated = entered + int(rng.random() * (anchor - entered))
                record["closedFlag"] = closed
                # The client answered since the last look: some tickets waiting on them.
                record["customerUpdatedFlag"] = status_index == 2 and rng.random() < 0.4
                record["customFields"] = [
                    {
                        "id": 2,
                        "caption": "Site Code",
                        "type": "Text",
                        "entryMethod": "EntryField",
                        "numberOfDecimals": 0,
                        "value": f"S{company_id:03d}-{rng.choice(tiers)}",
                    }
                ]
                entered_by = self.member_identifier(owner) if owner else "portal"
                record["_info"] = self.info(entered, updated, entered_by, entered_by)
                self.ticket_company.append(company_id)
                self.ticket_entered.append(entered)
                self.ticket_end.append(end)
                self.ticket_owner.append(owner)
                number = self.summary_numbers.setdefault(summary, len(self.summary_texts))
                if number == len(self.summary_texts):
                    self.summary_texts.append(summary)
                self.ticket_summary_number.append(number)
                yield ticket_id, iso(updated), dumps(record)

        insert_rows(self.conn, "ticket", rows())

    def ticket_summary(self, ticket_id: int) -> str:
        return self.summary_texts[self.ticket_summary_number[ticket_id - 1]]

    # ------------------------------------------------------------ projects & opportunities

    def projects(self) -> None:
        rng = self.rng("projects")
        self.project_names: list[str] = []
        self.project_company = array("i")

        def rows() -> Iterator[tuple]:
            for project_id in range(1, self.scale.projects + 1):
                company_id = self.pick_company(rng)
                name = f"{rng.choice(PROJECT_NAMES)} - {self.company_names[company_id - 1]}"[:100]
                self.project_names.append(name)
                self.project_company.append(company_id)
                start = self.anchor - rng.randint(10, 700) * DAY
                length = rng.randint(14, 120) * DAY
                percent = 100.0 if start + length < self.anchor - 30 * DAY else rng.randint(0, 95)
                closed = percent == 100.0 and rng.random() < 0.9
                status = 5 if closed else (4 if percent == 100.0 else rng.choice((1, 2, 2, 3)))
                manager = rng.choice(self.pms)
                budget = float(rng.choice((20, 40, 80, 120, 200)))
                record = {
                    "id": project_id,
                    "name": name,
                    "company": self.company_refs[company_id - 1],
                }
                contacts = self.company_contacts[company_id]
                if contacts:
                    record["contact"] = self.contact_ref(contacts[0])
                record.update(
                    {
                        "board": lookup_ref("projectBoard", rng.randint(1, 2)),
                        "status": lookup_ref("projectStatus", status),
                        "type": lookup_ref("projectType", rng.randint(1, 4)),
                        "manager": self.member_ref(manager),
                        "description": f"{name} for {self.company_names[company_id - 1]}.",
                        "estimatedStart": iso(start),
                        "estimatedEnd": iso(start + length),
                        "actualStart": iso(start + rng.randint(0, 5) * DAY),
                        "budgetHours": budget,
                        "estimatedHours": budget,
                        "actualHours": round(
                            budget * float(percent) / 100 * rng.uniform(0.8, 1.3), 2
                        ),
                        "billingMethod": rng.choice(("ActualRates", "FixedFee", "NotToExceed")),
                        "percentComplete": float(percent),
                        "closedFlag": closed,
                    }
                )
                if closed:
                    record["actualEnd"] = iso(start + length + rng.randint(-5, 20) * DAY)
                entered = start - rng.randint(5, 30) * DAY
                updated = min(start + int(rng.random() * length), self.anchor - 60)
                by = self.member_identifier(manager)
                record["_info"] = self.info(entered, updated, by, by)
                yield project_id, iso(updated), dumps(record)

        insert_rows(self.conn, "project", rows())

    def opportunities(self) -> None:
        rng = self.rng("opportunities")
        self.opportunity_names: list[str] = []
        self.opportunity_company = array("i")

        def rows() -> Iterator[tuple]:
            for opportunity_id in range(1, self.scale.opportunities + 1):
                company_id = self.pick_company(rng)
                name = rng.choice(OPPORTUNITY_NAMES).format(n=rng.choice((10, 15, 25, 40)))
                self.opportunity_names.append(name)
                self.opportunity_company.append(company_id)
                entered = self.anchor - rng.randint(5, 700) * DAY
                expected = entered + rng.randint(14, 120) * DAY
                if expected < self.anchor:
                    status = rng.choice((2, 2, 3, 4))
                    stage = 5
                else:
                    status = 1
                    stage = rng.randint(1, 4)
                probability = {1: 1, 2: 2, 3: 3, 4: 4}.get(stage, 6 if status == 2 else 1)
                rep = rng.choice(self.sales)
                record = {
                    "id": opportunity_id,
                    "name": name,
                    "company": self.company_refs[company_id - 1],
                }
                contacts = self.company_contacts[company_id]
                if contacts:
                    record["contact"] = self.contact_ref(contacts[0])
                record.update(
                    {
                        "stage": lookup_ref("opportunityStage", stage),
                        "status": lookup_ref("opportunityStatus", status),
                        "probability": lookup_ref("opportunityProbability", probability),
                        "type": lookup_ref("opportunityType", rng.randint(1, 4)),
                        "source": rng.choice(("Referral", "Website", "Existing Client", "Event")),
                        "primarySalesRep": self.member_ref(rep),
                        "expectedCloseDate": iso(expected),
                        "notes": f"{name} discussed with {self.company_names[company_id - 1]}.",
                        "totalSales": float(rng.randint(10, 600) * 100),
                    }
                )
                updated = min(entered + int(rng.random() * (expected - entered)), self.anchor - 60)
                if status != 1:
                    record["closedDate"] = iso(min(expected, self.anchor - 60))
                    updated = min(expected, self.anchor - 60)
                by = self.member_identifier(rep)
                record["_info"] = self.info(entered, updated, by, by)
                yield opportunity_id, iso(updated), dumps(record)

        insert_rows(self.conn, "opportunity", rows())

    # ------------------------------------------------------------ time & expenses

    def time_entries(self) -> None:
        rng = self.rng("time")
        tickets = len(self.ticket_company)
        work_types = [lookup_ref("workType", i) for i in range(1, 5)]
        work_roles = [lookup_ref("workRole", i) for i in range(1, 5)]
        anchor = self.anchor
        random_ = rng.random
        randint = rng.randint

        def rows() -> Iterator[tuple]:
            for entry_id in range(1, self.scale.time_entries + 1):
                hours = randint(1, 16) * 0.25
                if tickets:
                    ticket_id = randint(1, tickets)
                    company_id = self.ticket_company[ticket_id - 1]
                    first = self.ticket_entered[ticket_id - 1]
                    last = max(self.ticket_end[ticket_id - 1], first + 900)
                    owner = self.ticket_owner[ticket_id - 1]
                    member = owner if owner and random_() < 0.75 else rng.choice(self.techs)
                else:
                    ticket_id = 0
                    company_id = self.pick_company(rng)
                    first, last = anchor - TICKET_SPAN, anchor
                    member = rng.choice(self.techs)
                start = int(first + random_() * (last - first))
                start = min(start, anchor - int(hours * HOUR) - 120)
                end = start + int(hours * HOUR)
                roll = random_()
                billable = "Billable" if roll < 0.7 else "NoCharge" if roll < 0.85 else "DoNotBill"
                record = {
                    "id": entry_id,
                    "company": self.company_refs[company_id - 1],
                }
                if ticket_id:
                    record["chargeToId"] = ticket_id
                    record["chargeToType"] = "ServiceTicket"
                    record["ticket"] = make_ref(
                        "ticket", ticket_id, summary=self.ticket_summary(ticket_id)
                    )
                else:
                    record["chargeToType"] = "ChargeCode"
                identifier = self.member_identifier(member)
                record["member"] = self.member_ref(member)
                record["workType"] = work_types[0 if roll < 0.6 else randint(1, 3)]
                record["workRole"] = work_roles[randint(0, 3)]
                record["timeStart"] = iso(start)
                record["timeEnd"] = iso(end)
                record["actualHours"] = hours
                record["hoursBilled"] = hours if billable == "Billable" else 0.0
                record["billableOption"] = billable
                record["notes"] = TIME_NOTES[randint(0, len(TIME_NOTES) - 1)]
                record["status"] = "Billed" if end < anchor - 45 * DAY else "Open"
                record["hourlyRate"] = 150.0 if billable == "Billable" else 0.0
                updated = min(end + randint(60, 3 * HOUR), anchor - 1)
                record["_info"] = self.info(end, updated, identifier, identifier)
                yield entry_id, iso(updated), dumps(record)

        insert_rows(self.conn, "time_entry", rows())

    def ticket_notes(self) -> None:
        """Up to three notes on most tickets, between the ticket's entry and its end."""
        rng = self.rng("ticket_notes")
        tickets = len(self.ticket_company)

        def rows() -> Iterator[tuple]:
            note_id = 0
            for ticket_id in range(1, tickets + 1):
                first = self.ticket_entered[ticket_id - 1]
                last = max(self.ticket_end[ticket_id - 1], first + 900)
                owner = self.ticket_owner[ticket_id - 1]
                for _ in range(rng.randint(0, 3)):
                    note_id += 1
                    text, detail, internal, resolution = rng.choice(TICKET_NOTES)
                    member = owner or (rng.choice(self.techs) if self.techs else 0)
                    created = int(first + rng.random() * (last - first))
                    identifier = self.member_identifier(member) if member else "helpdesk"
                    record = {"id": note_id, "ticketId": ticket_id, "text": text,
                              "detailDescriptionFlag": detail,
                              "internalAnalysisFlag": internal, "resolutionFlag": resolution,
                              "issueFlag": False}  # fmt: skip
                    if member:
                        record["member"] = self.member_ref(member)
                    record["internalFlag"] = internal
                    record["externalFlag"] = detail
                    record["dateCreated"] = iso(created)
                    record["createdBy"] = identifier
                    record["_info"] = {"lastUpdated": iso(created), "updatedBy": identifier}
                    yield note_id, iso(created), dumps(record)

        insert_rows(self.conn, "ticket_note", rows())

    def products(self) -> None:
        rng = self.rng("products")
        catalog = LOOKUPS["catalogItem"].rows

        def rows() -> Iterator[tuple]:
            for product_id in range(1, self.scale.products + 1):
                item_id, _identifier, description = rng.choice(catalog)
                roll = rng.random()
                record: dict = {"id": product_id, "catalogItem": lookup_ref("catalogItem", item_id)}
                record["description"] = description[:60]
                quantity = float(rng.choice((1, 1, 1, 2, 5, 10, 25)))
                cost = float(rng.randint(20, 1500))
                record.update(
                    {
                        "quantity": quantity,
                        "cost": cost,
                        "price": round(cost * rng.uniform(1.15, 1.5), 2),
                        "billableOption": "Billable" if rng.random() < 0.9 else "NoCharge",
                        "productClass": "Service" if item_id in (1, 2, 12, 13, 14) else "Inventory",
                    }
                )
                entered = self.anchor - rng.randint(2, 700) * DAY
                if roll < 0.5 and self.opportunity_names:
                    target = rng.randint(1, len(self.opportunity_names))
                    company_id = self.opportunity_company[target - 1]
                    record["chargeToType"] = "Opportunity"
                    record["chargeToId"] = target
                    record["opportunity"] = make_ref(
                        "opportunity", target, name=self.opportunity_names[target - 1]
                    )
                elif roll < 0.8 and self.ticket_company:
                    target = rng.randint(1, len(self.ticket_company))
                    company_id = self.ticket_company[target - 1]
                    record["chargeToType"] = "Ticket"
                    record["chargeToId"] = target
                    record["ticket"] = make_ref(
                        "ticket", target, summary=self.ticket_summary(target)
                    )
                    entered = max(entered, self.ticket_entered[target - 1])
                elif self.project_names:
                    target = rng.randint(1, len(self.project_names))
                    company_id = self.project_company[target - 1]
                    record["chargeToType"] = "Project"
                    record["chargeToId"] = target
                    record["project"] = make_ref(
                        "project", target, name=self.project_names[target - 1]
                    )
                else:
                    company_id = self.pick_company(rng)
                record["company"] = self.company_refs[company_id - 1]
                record["cancelledFlag"] = rng.random() < 0.04
                record["taxableFlag"] = record["productClass"] == "Inventory"
                record["purchaseDate"] = iso(min(entered + DAY, self.anchor - 60))
                updated = min(entered + rng.randint(0, 20) * DAY, self.anchor - 60)
                record["_info"] = self.info(entered, updated, self.admin, self.admin)
                yield product_id, iso(updated), dumps(record)

        insert_rows(self.conn, "product", rows())

    def expense_entries(self) -> None:
        rng = self.rng("expenses")
        amounts = {1: (10, 120), 2: (12, 90), 3: (5, 40), 4: (120, 320), 5: (180, 700), 6: (8, 250)}

        def rows() -> Iterator[tuple]:
            for entry_id in range(1, self.scale.expense_entries + 1):
                member = rng.choice(self.techs)
                type_id = rng.randint(1, 6)
                low, high = amounts[type_id]
                amount = round(rng.uniform(low, high), 2)
                date = self.anchor - rng.randint(1, 700) * DAY
                billable = "Billable" if rng.random() < 0.6 else "DoNotBill"
                record: dict = {"id": entry_id}
                if self.ticket_company and rng.random() < 0.7:
                    ticket_id = rng.randint(1, len(self.ticket_company))
                    company_id = self.ticket_company[ticket_id - 1]
                    record["chargeToId"] = ticket_id
                    record["chargeToType"] = "ServiceTicket"
                    record["ticket"] = make_ref(
                        "ticket", ticket_id, summary=self.ticket_summary(ticket_id)
                    )
                    date = max(date, self.ticket_entered[ticket_id - 1])
                else:
                    company_id = self.pick_company(rng)
                    record["chargeToType"] = "ChargeCode"
                identifier = self.member_identifier(member)
                record.update(
                    {
                        "company": self.company_refs[company_id - 1],
                        "type": lookup_ref("expenseType", type_id),
                        "member": self.member_ref(member),
                        "amount": amount,
                        "billAmount": amount if billable == "Billable" else 0.0,
                        "billableOption": billable,
                        "date": iso(date - date % DAY),
                        "notes": f"{LOOKUPS['expenseType'].rows[type_id - 1][1]} for client visit",
                        "paymentMethod": lookup_ref("paymentMethod", rng.randint(1, 3)),
                        "classification": lookup_ref(
                            "expenseClassification", 1 if rng.random() < 0.8 else 2
                        ),
                        "status": "Billed" if date < self.anchor - 60 * DAY else "Open",
                    }
                )
                updated = min(date + rng.randint(1, 10) * DAY, self.anchor - 60)
                record["_info"] = self.info(date, updated, identifier, identifier)
                period = date // PERIOD
                report_id = member * 1000 + period % 1000
                record = {"id": entry_id, "expenseReport": make_ref("expenseReport", report_id),
                          **{k: v for k, v in record.items() if k != "id"}}  # fmt: skip
                report = reports.setdefault(
                    report_id, {"member": member, "period": period, "total": 0.0, "updated": 0}
                )
                report["total"] += amount
                report["status"] = record["status"]
                report["updated"] = max(report["updated"], updated)
                yield entry_id, iso(updated), dumps(record)

        reports: dict[int, dict] = {}
        insert_rows(self.conn, "expense_entry", rows())
        insert_rows(self.conn, "expense_report", self.expense_reports(reports))

    def expense_reports(self, reports: dict[int, dict]) -> Iterator[tuple]:
        """The reports the entries are filed on, one per member and 30-day period."""
        for report_id, report in sorted(reports.items()):
            start = report["period"] * PERIOD
            identifier = self.member_identifier(report["member"])
            record = {
                "id": report_id,
                "member": self.member_ref(report["member"]),
                "year": int(iso(start)[:4]),
                "period": int(iso(start)[5:7]),
                "dateStart": iso(start),
                "dateEnd": iso(start + PERIOD - DAY),
                "status": report["status"],
                "total": round(report["total"], 2),
                "_info": self.info(start, report["updated"], identifier, identifier),
            }
            yield report_id, iso(report["updated"]), dumps(record)

    def configurations(self) -> None:
        rng = self.rng("configurations")

        def rows() -> Iterator[tuple]:
            for config_id in range(1, self.scale.configurations + 1):
                company_id = self.pick_company(rng)
                roll = rng.random()
                type_id = (
                    2 if roll < 0.45 else 3 if roll < 0.7 else 1 if roll < 0.82
                    else 4 if roll < 0.88 else 5 if roll < 0.93 else 6 if roll < 0.97 else 7
                )  # fmt: skip
                prefix = self.company_identifiers[company_id - 1][:6].upper()
                kind = {1: "SRV", 2: "WS", 3: "LT", 4: "FW", 5: "SW", 6: "AP", 7: "PRN"}[type_id]
                manufacturer, model = CONFIG_MODELS[type_id]
                installed = self.anchor - rng.randint(30, 2000) * DAY
                status = 1 if rng.random() < 0.88 else rng.choice((2, 3))
                record: dict = {
                    "id": config_id,
                    "name": f"{prefix}-{kind}{config_id:04d}",
                    "type": lookup_ref("configurationType", type_id),
                    "status": lookup_ref("configurationStatus", status),
                    "company": self.company_refs[company_id - 1],
                }
                contacts = self.company_contacts[company_id]
                if contacts and type_id in (2, 3):
                    contact_id = rng.choice(contacts)
                    record["contact"] = self.contact_ref(contact_id)
                    record["lastLoginName"] = (
                        f"{self.contact_first[contact_id - 1][0]}"
                        f"{self.contact_last[contact_id - 1]}".lower()
                    )
                subnet = company_id % 250
                record.update(
                    {
                        "manufacturer": lookup_ref("manufacturer", manufacturer),
                        "modelNumber": model,
                        "serialNumber": "".join(
                            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)
                        ),
                        "tagNumber": f"TAG-{config_id:06d}",
                        "ipAddress": f"10.{subnet}.{rng.randint(0, 3)}.{rng.randint(2, 254)}",
                        "macAddress": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                        "defaultGateway": f"10.{subnet}.0.1",
                        "osType": rng.choice(OS_TYPES[type_id]),
                        "installationDate": iso(installed),
                        "warrantyExpirationDate": iso(
                            installed + rng.choice((1, 3, 5)) * 365 * DAY
                        ),
                        "activeFlag": status == 1,
                    }
                )
                updated = min(installed + rng.randint(0, 700) * DAY, self.anchor - 60)
                record["_info"] = self.info(installed, updated, self.admin, self.admin)
                yield config_id, iso(updated), dumps(record)

        insert_rows(self.conn, "configuration", rows())


def _security_role(title: str) -> int:
    """The security role (lookup id) a member with this title gets."""
    return {"Service Manager": 1, "Project Manager": 3, "Account Manager": 4}.get(title, 2)


def _cumulative(count: int) -> Iterator[float]:
    """Cumulative weights that make a few companies much busier than the rest."""
    total = 0.0
    for rank in range(count):
        total += 1.0 / (rank + 2) ** 0.8
        yield total
