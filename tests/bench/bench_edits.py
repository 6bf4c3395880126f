"""Edit outbox figures: `make bench BENCH=edits` (python tests/bench/run.py edits).

Against the machine's PostgreSQL (DATABASE_URL, else a local postgres on 127.0.0.1:5432;
a throw-away database `psaportal_bench_edits` is created and dropped), a Celery worker as
`make worker` starts it (two processes) on Redis (REDIS_URL, else the local one) and the
sandbox over HTTP. The mirror is first filled by a full sync of every kind.

- bulk_edit_tickets_per_s: the bulk edit form (POST, as a technician) setting the status of
  500 tickets of one board (open or closed), timed from the POST to the last change applied
  in the PSA (the PSA's write count checked: one per ticket);
- edit_apply_median_ms / edit_apply_p95_ms: one ticket's edit form POSTed (a new summary),
  timed to the change applied in the PSA and the new summary in the mirror; 100 edits of
  different tickets, one after the other.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from bench_records import (
    APP_URL,
    _admin_sql,
    _celery_worker,
    _child_env,
    _migrate,
    _server_url,
    _with_database,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH_DB = "psaportal_bench_edits"
TICKETS = 10_000
BULK_TICKETS = 500
EDITS = 100
#: Generous: a figure missed is a number to report, a hang is not.
DEADLINE_SECONDS = 300


def run() -> None:
    from psaportal.membrane import MembraneClient
    from psaportal.sandbox.psa import SeedScale
    from psaportal.sandbox.testing import start_sandbox

    _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin_sql(f"CREATE DATABASE {BENCH_DB}")
    database_url = _with_database(_server_url(), BENCH_DB)
    try:
        _migrate(database_url)
        scale = SeedScale(tickets=TICKETS, time_entries=100, contacts=150)
        with (
            start_sandbox(scale=scale, build_seconds=0, auto_authorize=True) as sandbox,
            MembraneClient(base_url=sandbox.url, token=sandbox.token) as client,
            tempfile.TemporaryDirectory() as static_root,
        ):
            connection_id = client.ensure_connection(app_url=APP_URL)["id"]
            # Production settings serve hashed static files: the edit page needs them.
            env = {**_child_env(database_url, sandbox, connection_id), "STATIC_ROOT": static_root}
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            with _celery_worker(env) as (_, worker_env):
                _child(worker_env, "mirror")
                sandbox.reset(connections=False, faults=False)
                bulk = _child(worker_env, "bulk")
                writes = sandbox.stats()["psa_writes"]
                assert writes == BULK_TICKETS, f"{writes} PSA writes for {BULK_TICKETS} tickets"
                print(f"bulk_edit_tickets_per_s: {BULK_TICKETS / bulk['seconds']:.0f} tickets/s")
                sandbox.reset(connections=False, faults=False)
                edits = _child(worker_env, "edits")
                writes = sandbox.stats()["psa_writes"]
                assert writes == EDITS, f"{writes} PSA writes for {EDITS} edits"
                print(f"edit_apply_median_ms: {edits['median_ms']:.1f} ms")
                print(f"edit_apply_p95_ms: {edits['p95_ms']:.1f} ms", flush=True)
    finally:
        _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _child(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"bench child {args} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the children: one Django process each -------------------------------------------------


def _setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from psaportal.connections.models import Connection

    connection, _ = Connection.objects.update_or_create(
        membrane_id=os.environ["BENCH_CONNECTION"],
        defaults={"state": Connection.State.READY, "connected": True, "is_defunct": False},
    )
    return connection


def _wait_for(condition, what: str) -> None:
    """Poll ``condition`` (a database read) until it holds; no fixed sleeps."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"still waiting for {what} after {DEADLINE_SECONDS} s")
        time.sleep(0.002)


def _technician_client():
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from psaportal.accounts import roles

    setup_test_environment()  # the client keeps each page's context: the form as drawn

    user, _ = get_user_model().objects.get_or_create(username="bench-technician")
    roles.set_role(user, roles.TECHNICIAN)
    client = Client(HTTP_HOST="127.0.0.1", secure=True)
    client.force_login(user)
    return client


def child_mirror() -> dict:
    """A full sync of every kind, as the sync page starts it."""
    connection = _setup()
    from django.db import transaction

    from psaportal.records import registry
    from psaportal.records.sync import services

    with transaction.atomic():  # the tasks are queued when this commits
        job = services.sync_start(connection=connection, kinds=list(registry.sync_order()))
    _wait_for(lambda: job.refresh_from_db() or job.is_finished, "the sync")
    if job.status != "succeeded":
        raise SystemExit(f"the sync failed: {job.error}")
    return {"job": job.pk}


def child_bulk() -> dict:
    connection = _setup()
    from django.db.models import Count
    from django.urls import reverse

    from psaportal.jobs.models import Job
    from psaportal.records.models import BoardStatus, PendingChange, Ticket

    board_id = (  # the board with the most tickets
        Ticket.objects.filter(connection=connection)
        .values("board_id")
        .annotate(tickets=Count("psa_id"))
        .order_by("-tickets")
        .values_list("board_id", flat=True)
        .first()
    )
    status = (
        BoardStatus.objects.filter(
            connection=connection, board_id=board_id, closed_status=False, inactive=False
        )
        .order_by("sort_order", "psa_id")
        .last()
    )
    psa_ids = list(
        Ticket.objects.filter(connection=connection, board_id=board_id)
        .exclude(status_id=status.psa_id)
        .order_by("psa_id")
        .values_list("psa_id", flat=True)[:BULK_TICKETS]
    )
    if len(psa_ids) < BULK_TICKETS:
        raise SystemExit(f"only {len(psa_ids)} tickets on board {board_id}")
    client = _technician_client()
    form = {"scope": "selected", "ids": psa_ids, "status": status.psa_id, "query": ""}

    started = time.perf_counter()
    response = client.post(reverse("records:bulk_edit"), form, headers={"HX-Request": "true"})
    if response.status_code != 200:
        raise SystemExit(f"the bulk edit answered {response.status_code}")
    job = Job.objects.order_by("-pk").first()
    _wait_for(lambda: job.refresh_from_db() or job.is_finished, "the bulk edit")
    seconds = time.perf_counter() - started

    applied = PendingChange.objects.filter(job=job, status=PendingChange.Status.APPLIED).count()
    if job.status != "succeeded" or applied != BULK_TICKETS:
        raise SystemExit(f"the bulk edit ended {job.status}: {job.summary} {job.error}")
    return {"seconds": seconds}


def child_edits() -> dict:
    connection = _setup()
    from django.urls import reverse

    from psaportal.records.models import PendingChange, Ticket

    client = _technician_client()
    psa_ids = list(
        Ticket.objects.filter(connection=connection)
        .order_by("-psa_id")
        .values_list("psa_id", flat=True)[:EDITS]
    )
    timings = []
    for number, psa_id in enumerate(psa_ids):
        url = reverse("records:edit", args=["tickets", psa_id])
        form = client.get(url).context["form"]
        data = {name: form[name].value() for name in form.fields}
        data = {name: "" if value is None else value for name, value in data.items()}
        summary = f"Bench edit {number} of ticket {psa_id}"
        data["summary"] = summary
        change = PendingChange.objects.filter(idempotency_key=data["idempotency_key"])
        mirrored = Ticket.objects.filter(connection=connection, psa_id=psa_id, summary=summary)

        started = time.perf_counter()
        response = client.post(url, data)
        if response.status_code != 302:
            raise SystemExit(f"the edit answered {response.status_code}")
        _wait_for(
            lambda change=change, mirrored=mirrored: (
                change.filter(status=PendingChange.Status.APPLIED).exists() and mirrored.exists()
            ),
            f"the edit of ticket {psa_id}",
        )
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": timings[math.ceil(0.95 * len(timings)) - 1],
    }


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    result = {"mirror": child_mirror, "bulk": child_bulk, "edits": child_edits}[command](*rest)
    print(json.dumps(result))
