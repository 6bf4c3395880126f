"""Manager report figures: `make bench BENCH=reports` (python tests/bench/run.py reports).

Needs PostgreSQL: DATABASE_URL names the server (its database name is not used); a
throw-away database `psaportal_bench_reports` is created there, filled and dropped.
BENCH_REPORTS_KEEP=1 keeps it, and a later run reuses the filled mirror.

The mirror is filled by the database itself (INSERT … SELECT over generate_series, one
statement per table): PSA-shaped rows whose every value is a function of the row number,
so each run holds the same data relative to today, and nothing is held in Python memory.
1,000,000 time entries over the last two years (50 members, 500 companies, four billable
options), 100,000 tickets (most closed, after minutes to weeks; first responses), 5,000
opportunities and 50,000 expense entries; three entries in a row share a ticket, so a
ticket has one to several technicians. Then VACUUM ANALYZE, as autovacuum leaves a mirror
in use.

Figures, for each report page (the dashboard, time, service-desk, pipeline, expenses),
GET through Django's test client as a manager with production settings (DEBUG off),
median of 20 requests after 2 warm-up ones (server time):
- report_<name>_median_ms: the default range (the last 90 days); target < 300 ms;
- report_<name>_year_median_ms: a custom range of the last 365 days; target < 1,000 ms.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from static_files import static_collected

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH_DB = "psaportal_bench_reports"
CONNECTION_ID = "bench-reports"
TIME_ENTRIES = 1_000_000
TICKETS = 100_000
OPPORTUNITIES = 5_000
EXPENSES = 50_000
MEMBERS = 50
COMPANIES = 500
DAYS = 730  # the data reaches two years back
REQUESTS = 20
WARMUP = 2
PAGES = ("dashboard", "time", "service-desk", "pipeline", "expenses")


# -- the parent: the database and the two children ---------------------------------------


def run() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("skipped: needs PostgreSQL; set DATABASE_URL=postgres://… (the server to use)")
        return
    keep = os.environ.get("BENCH_REPORTS_KEEP", "") in {"1", "true", "yes", "on"}
    database_url = _bench_database(url, reuse=keep)
    try:
        env = _base_env(database_url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        filled = _child(env, "fill")
        if filled["seconds"]:
            print(f"# filled the mirror in {filled['seconds']:.0f} s", flush=True)
        with static_collected(env) as page_env:
            timings = _child(page_env, "pages")
        for name in PAGES:
            print(f"report_{name}_median_ms: {timings[name]:.1f} ms")
            print(f"report_{name}_year_median_ms: {timings[f'{name}_year']:.1f} ms", flush=True)
    finally:
        if not keep:
            _admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin_sql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as db:
        db.execute(statement)


def _bench_database(url: str, *, reuse: bool) -> str:
    if not reuse:
        _admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            db.execute(f"CREATE DATABASE {BENCH_DB}")
    return _with_database(url, BENCH_DB)


def _base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",
        DJANGO_SETTINGS_MODULE="psaportal.settings",
        SECURE_SSL_REDIRECT="0",
    )
    return env


def _child(env: dict[str, str], command: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, command],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,  # stderr shows: a failing child says why
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the children: one Django process each -------------------------------------------------


def _setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from psaportal.connections.models import Connection

    connection, _ = Connection.objects.update_or_create(
        membrane_id=CONNECTION_ID,
        defaults={"state": Connection.State.READY, "connected": True, "is_defunct": False},
    )
    return connection


def _pick(expression: str, values: list[str]) -> str:
    """SQL choosing values[expression % len(values)]."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"(ARRAY[{quoted}])[({expression}) % {len(values)} + 1]"


def _fill_sql(model, *, count: int, derived: str, columns: dict[str, str]) -> str:
    """INSERT … SELECT of `count` rows of `model`: `columns` maps a column to its SQL over
    the row number g and the `derived` values; the other columns get NULL, '' or false."""
    from django.db import models

    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(field.column)
        if field.column in columns:
            values.append(columns[field.column])
        elif field.null:
            values.append("NULL")
        elif isinstance(field, models.CharField | models.TextField):
            values.append("''")
        elif isinstance(field, models.BooleanField):
            values.append("false")
        else:
            raise ValueError(f"no value for {model.__name__}.{field.name}")
    table = model._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM (SELECT g, {derived} FROM generate_series(1::bigint, {count}) AS g) AS s"
    )


def _member(expression: str) -> str:
    return f"'tech' || lpad((({expression}) % {MEMBERS})::text, 2, '0')"


def _company(expression: str) -> str:
    return f"1 + ({expression}) % {COMPANIES}"


def child_fill() -> dict:
    """Fill the mirror unless a kept database is already full; the seconds it took."""
    connection = _setup()
    from django.db import connection as db
    from django.db import transaction

    from psaportal.records.models import (
        Company,
        ExpenseEntry,
        Member,
        Opportunity,
        Ticket,
        TimeEntry,
    )

    if TimeEntry.objects.filter(connection=connection).count() == TIME_ENTRIES:
        return {"seconds": 0}
    started = time.perf_counter()
    today = datetime.date.today()
    # Midnight UTC after today: every timestamp lies before it.
    base = f"TIMESTAMPTZ '{today + datetime.timedelta(days=1)} 00:00:00+00'"
    common = {"connection_id": str(connection.pk), "psa_id": "g", "synced_at": "now()"}
    statements = [
        _fill_sql(
            Member,
            count=MEMBERS,
            derived="g - 1 AS n",
            columns={
                **common,
                "display_name": "'Technician ' || n",
                "identifier": _member("n"),
                "first_name": "'Technician'",
                "last_name": "n::text",
                # Most work 8 hours a day, some 6, and a few have no capacity set.
                "daily_capacity": "CASE WHEN n % 10 = 9 THEN NULL WHEN n % 4 = 3 THEN 6 ELSE 8 END",
            },
        ),
        _fill_sql(
            Company,
            count=COMPANIES,
            derived="g AS n",
            columns={
                **common,
                "display_name": "'Company ' || n",
                "identifier": "'CO' || n",
                "name": "'Company ' || n",
                "status_name": "'Active'",
            },
        ),
        _fill_sql(
            TimeEntry,
            count=TIME_ENTRIES,
            derived=(
                f"{base} - ((g * 7919) % {DAYS} + 1) * INTERVAL '1 day' "
                "+ (8 + g % 9) * INTERVAL '1 hour' AS started, "
                "0.25 * (1 + g % 16) AS hours, g % 10 AS mix"
            ),
            columns={
                **common,
                "last_updated": "started",
                "company_id": _company("g * 31"),
                "company_name": f"'Company ' || ({_company('g * 31')})",
                "charge_to_id": f"CASE WHEN mix < 7 THEN 1 + (g / 3 * 7919) % {TICKETS} END",
                "charge_to_type": "CASE WHEN mix < 7 THEN 'ServiceTicket' ELSE 'ChargeCode' END",
                "ticket_id": f"CASE WHEN mix < 7 THEN 1 + (g / 3 * 7919) % {TICKETS} END",
                "member_identifier": _member("g"),
                "member_name": f"'Technician ' || g % {MEMBERS}",
                "work_type_name": _pick("g / 3", ["Remote", "Onsite", "Admin", "Project"]),
                "time_start": "started",
                "work_date": "started::date",
                "time_end": "started + hours * INTERVAL '1 hour'",
                "actual_hours": "hours",
                "hours_billed": "CASE WHEN mix < 6 THEN hours ELSE 0 END",
                "billable_option": _pick(
                    "mix",
                    ["Billable"] * 6 + ["DoNotBill", "DoNotBill", "NoCharge", "NoDefault"],
                ),
                "status": "'Billed'",
            },
        ),
        _fill_sql(
            Ticket,
            count=TICKETS,
            derived=(
                f"{base} - ((g * 7919) % ({DAYS} * 1440) + 1) * INTERVAL '1 minute' AS entered, "
                # A fifth close the same day, the rest after up to six weeks; 15 % stay open.
                "CASE WHEN g % 20 < 3 THEN NULL WHEN g % 5 = 0 THEN (g % 300) * INTERVAL "
                "'1 minute' ELSE (g % 42) * INTERVAL '1 day' + (g % 480) * INTERVAL '1 minute' "
                "END AS took"
            ),
            columns={
                **common,
                "display_name": "'Ticket ' || g",
                "summary": "'Ticket ' || g",
                "record_type": "'ServiceTicket'",
                "board_name": _pick("g", ["Service Desk", "Network", "Projects", "Alerts"]),
                "status_name": (
                    f"CASE WHEN entered + took < {base} THEN 'Closed' ELSE "
                    + _pick("g / 7", ["New", "In Progress", "Waiting on Client", "Scheduled"])
                    + " END"
                ),
                "company_id": _company("g * 7"),
                "company_name": f"'Company ' || ({_company('g * 7')})",
                "owner_identifier": _member("g * 13"),
                "owner_name": f"'Technician ' || (g * 13) % {MEMBERS}",
                "priority_name": _pick("g / 11", ["Priority 1", "Priority 3", "Priority 4"]),
                "type_name": _pick("g / 5", ["Incident", "Request", "Problem", "Alert"]),
                "item_name": _pick("g / 13", ["Email", "Printer", "Network", "Laptop", "Backup"]),
                "closed_flag": f"COALESCE(entered + took < {base}, false)",
                "date_entered": "entered",
                "last_updated": "COALESCE(entered + took, entered)",
                "closed_date": f"CASE WHEN entered + took < {base} THEN entered + took END",
                "date_responded": "entered + (g % 240) * INTERVAL '1 minute'",
            },
        ),
        _fill_sql(
            Opportunity,
            count=OPPORTUNITIES,
            derived=(
                f"{base} - ((g * 7919) % {DAYS} + 1) * INTERVAL '1 day' AS opened, "
                + _pick("g", ["Open", "Open", "Won", "Lost", "No Decision"])
                + " AS outcome"
            ),
            columns={
                **common,
                "display_name": "'Opportunity ' || g",
                "name": "'Opportunity ' || g",
                "company_id": _company("g * 3"),
                "company_name": f"'Company ' || ({_company('g * 3')})",
                "stage_name": _pick("g / 5", ["Prospect", "Qualified", "Proposal", "Negotiation"]),
                "status_name": "outcome",
                "sales_rep_identifier": _member("g % 8"),
                "sales_rep_name": "'Technician ' || g % 8",
                "expected_close_date": "opened + (g % 120) * INTERVAL '1 day'",
                "closed_date": (
                    "CASE WHEN outcome <> 'Open' "
                    f"THEN LEAST(opened + (g % 60) * INTERVAL '1 day', {base} - INTERVAL '1 hour') "
                    "END"
                ),
                "last_updated": "opened",
                "total_sales": "(500 + (g * 37) % 20000)::numeric(14, 2)",
            },
        ),
        _fill_sql(
            ExpenseEntry,
            count=EXPENSES,
            derived=f"(DATE '{today}' - ((g * 7919) % {DAYS} + 1)::int) AS day",
            columns={
                **common,
                "member_identifier": _member("g"),
                "member_name": f"'Technician ' || g % {MEMBERS}",
                "company_id": _company("g * 11"),
                "company_name": f"'Company ' || ({_company('g * 11')})",
                "type_name": _pick("g / 3", ["Mileage", "Meals", "Parts", "Lodging"]),
                "amount": "(5 + (g * 13) % 400)::numeric(14, 2)",
                "bill_amount": "(5 + (g * 13) % 400)::numeric(14, 2)",
                "billable_option": _pick("g", ["Billable", "Billable", "DoNotBill", "NoCharge"]),
                "billable": "g % 4 < 2",
                "expense_date": "day",
                "last_updated": "day::timestamptz",
            },
        ),
    ]
    with transaction.atomic(), db.cursor() as cursor:  # a kept database is full or empty
        for model in (Member, Company, TimeEntry, Ticket, Opportunity, ExpenseEntry):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        for statement in statements:
            cursor.execute(statement)
    import psycopg

    # VACUUM cannot run in a transaction: its own autocommit connection.
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    return {"seconds": time.perf_counter() - started}


def child_pages() -> dict:
    _setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from psaportal.accounts import roles

    user, _ = get_user_model().objects.get_or_create(username="bench-manager")
    roles.set_role(user, roles.MANAGER)
    client = Client(HTTP_HOST="127.0.0.1", secure=True)
    client.force_login(user)
    today = datetime.date.today()
    year = {
        "range": "custom",
        "start": (today - datetime.timedelta(days=364)).isoformat(),
        "end": today.isoformat(),
    }
    results = {}
    for name in PAGES:
        url = (
            reverse("reports:dashboard")
            if name == "dashboard"
            else reverse("reports:report", args=[name])
        )
        for label, query in ((name, {}), (f"{name}_year", year)):
            timings = []
            for number in range(WARMUP + REQUESTS):
                started = time.perf_counter()
                response = client.get(url, query)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200 or b"report-body" not in response.content:
                    raise SystemExit(f"{url} answered {response.status_code}")
                if number >= WARMUP:
                    timings.append(elapsed)
            results[label] = statistics.median(timings)
    return results


if __name__ == "__main__":
    result = {"fill": child_fill, "pages": child_pages}[sys.argv[1]]()
    print(json.dumps(result))
