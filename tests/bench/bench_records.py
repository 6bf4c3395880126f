"""Records sync and list figures: `make bench BENCH=records` (python tests/bench/run.py records).

Against the machine's PostgreSQL (DATABASE_URL, else a local postgres on 127.0.0.1:5432;
a throw-away database `psaportal_bench_<pid>`, its own so that benchmarks run side by
side, is created and dropped) and the sandbox over HTTP:

- sync_full_records_per_s / sync_full_requests: a full sync of 100,000 tickets into an
  empty mirror, timed from `sync_start` to the Job finishing, run as in production: a
  Celery worker (`make worker`: two processes) on Redis (REDIS_URL, else the local one),
  the page tasks handed from one process to the other; then (not timed) every mirrored
  ticket is compared with the sandbox's;
- sync_worker_peak_mb_10k / _100k: the largest peak resident memory (VmHWM) of the
  worker's processes, a fresh worker for a 10,000- and a 100,000-ticket sync;
- sync_incremental_requests / sync_incremental_s: an incremental sync after 100 tickets
  were changed through the proxy (PSA requests counted by the sandbox);
- ticket_list_median_ms / ticket_list_p95_ms: GET of the ticket list page (50 rows, a
  filter, a sort and a search term, varied per request) through Django's test client over
  the 100,000 mirrored tickets, 300 requests after 20 warm-up ones, with production
  settings (DEBUG off);
- ticket_list_during_sync_median_ms / _p95_ms (and _requests): the same requests, one
  after another for as long as a full sync of the 100,000 mirrored tickets runs;
- first_tickets_visible_100k_s: from an empty mirror, from storing Membrane's answer that
  the connection is READY (the store queues the first sync of every kind by itself) to the
  open tickets list showing 50 rows (its newest open tickets come first).

BENCH_SYNC_ONLY=1 stops after the full-sync figures (sync_full_*, sync_worker_peak_mb_*),
measured as above, to repeat them quickly.

At 1,000,000 tickets (`run_1m`; BENCH_1M=0 skips it, BENCH_1M=only runs it alone):

- sandbox_seed_1m_s / sandbox_seed_1m_peak_mb: the sandbox seeding 1,000,000 tickets and
  1,000,000 time entries (a fresh process, its peak resident memory);
- sync_worker_peak_mb_1m: the worker's peak memory during a full sync of them;
- ticket_list_1m_median_ms / ticket_list_1m_p95_ms: the ticket list as above, over them;
- first_tickets_visible_s: as first_tickets_visible_100k_s, for the million-ticket account.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

from procstats import peak_rss_mb
from static_files import static_collected

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
# Per run, so that benchmarks run at once by different people never share a database.
BENCH_DB = f"psaportal_bench_{os.getpid()}"
TICKETS = 100_000
MILLION = 1_000_000
SMALL_TICKETS = 10_000
CHANGED = 100
LIST_REQUESTS = 300
LIST_WARMUP = 20
APP_URL = "https://www.connectwise.com/platform/business-management/psa"


# -- the parent: sandbox, database, and the worker processes ------------------------------


def run() -> None:
    scope = "0" if os.environ.get("BENCH_SYNC_ONLY") == "1" else os.environ.get("BENCH_1M", "1")
    if scope == "only":
        run_1m()
        return
    run_100k()
    if scope != "0":
        run_1m()


def run_100k() -> None:
    from psaportal.membrane import MembraneClient
    from psaportal.sandbox.psa import SeedScale
    from psaportal.sandbox.testing import start_sandbox

    database_url = _bench_database()
    try:
        _migrate(database_url)
        peaks = {}
        for tickets in (SMALL_TICKETS, TICKETS):
            scale = SeedScale(tickets=tickets, time_entries=100, contacts=150)
            with start_sandbox(scale=scale, build_seconds=0, auto_authorize=True) as sandbox:
                with MembraneClient(base_url=sandbox.url, token=sandbox.token) as client:
                    connection = client.ensure_connection(app_url=APP_URL)
                    connection_id = client.get_connection(connection["id"])["id"]
                    env = _child_env(database_url, sandbox, connection_id)
                    _child(env, "reset")
                    sandbox.reset(connections=False, faults=False)
                    with _celery_worker(env) as (worker, worker_env):
                        full = _child(worker_env, "sync", "full")
                        peaks[tickets] = _peak_mb(worker)
                    requests = sandbox.stats()["psa_requests"]
                    assert full["records"] == tickets, full
                    # Not timed, and after the request count: the mirror equals the PSA.
                    assert _child(env, "compare")["tickets"] == tickets
                    if tickets != TICKETS:
                        continue
                    print(f"sync_full_records_per_s: {tickets / full['seconds']:.0f} records/s")
                    # The count, the newest open tickets (a first sync), then the pages.
                    expected = math.ceil(tickets / 1000) + 2
                    print(f"sync_full_requests: {requests} requests (expected {expected})")
                    print(f"sync_worker_peak_mb_10k: {peaks[SMALL_TICKETS]:.0f} MB")
                    print(f"sync_worker_peak_mb_100k: {peaks[TICKETS]:.0f} MB", flush=True)
                    if os.environ.get("BENCH_SYNC_ONLY") == "1":
                        return

                    for psa_id in random.Random(5).sample(range(1, tickets + 1), CHANGED):
                        client.proxy(
                            connection_id,
                            "PATCH",
                            f"/service/tickets/{psa_id}",
                            json=[{"op": "replace", "path": "summary", "value": f"Bench {psa_id}"}],
                        )
                    sandbox.reset(connections=False, faults=False)
                    with _celery_worker(env) as (worker, worker_env):
                        incremental = _child(worker_env, "sync", "incremental")
                    requests = sandbox.stats()["psa_requests"]
                    assert incremental["records"] >= CHANGED, incremental
                    print(f"sync_incremental_requests: {requests} requests")
                    print(f"sync_incremental_s: {incremental['seconds']:.3f} s", flush=True)

                    with _production_env(env, database_url) as list_env:
                        listing = _child(list_env, "list")
                        print(f"ticket_list_median_ms: {listing['median_ms']:.1f} ms")
                        print(f"ticket_list_p95_ms: {listing['p95_ms']:.1f} ms", flush=True)
                        _list_during_sync(list_env, database_url)
                        seconds = _first_tickets_seconds(list_env, database_url)
                        print(f"first_tickets_visible_100k_s: {seconds:.2f} s", flush=True)
    finally:
        _drop_database(database_url)


def run_1m() -> None:
    """The seed, the worker's memory in a full sync, and the list, at 1,000,000 tickets."""
    from psaportal.membrane import MembraneClient
    from psaportal.sandbox.psa import SeedScale
    from psaportal.sandbox.testing import start_sandbox

    scale = SeedScale(tickets=MILLION, time_entries=MILLION, contacts=150)
    database_url = _bench_database()
    try:
        with tempfile.TemporaryDirectory() as psa_dir:
            # Seeded in a process of its own, to measure it; the sandbox then reuses the file.
            psa_file = str(pathlib.Path(psa_dir, "psa.sqlite3"))
            seed_env = {**os.environ, "BENCH_PSA_FILE": psa_file, "BENCH_TICKETS": str(MILLION)}
            seeded = _child(seed_env, "seed")
            print(f"sandbox_seed_1m_s: {seeded['seconds']:.0f} s")
            print(f"sandbox_seed_1m_peak_mb: {seeded['peak_mb']:.0f} MB", flush=True)
            _migrate(database_url)
            with start_sandbox(
                scale=scale, db_path=psa_file, build_seconds=0, auto_authorize=True
            ) as sandbox:
                with MembraneClient(base_url=sandbox.url, token=sandbox.token) as client:
                    connection = client.ensure_connection(app_url=APP_URL)
                    connection_id = client.get_connection(connection["id"])["id"]
                env = _child_env(database_url, sandbox, connection_id)
                _child(env, "reset")
                with _celery_worker(env) as (worker, worker_env):
                    full = _child(worker_env, "sync", "full")
                    peak = _peak_mb(worker)
                assert full["records"] == MILLION, full
                print(f"sync_worker_peak_mb_1m: {peak:.0f} MB", flush=True)
                with _production_env(env, database_url) as list_env:
                    listing = _child(list_env, "list")
                    print(f"ticket_list_1m_median_ms: {listing['median_ms']:.1f} ms")
                    print(f"ticket_list_1m_p95_ms: {listing['p95_ms']:.1f} ms", flush=True)
                    seconds = _first_tickets_seconds(list_env, database_url)
                    print(f"first_tickets_visible_s: {seconds:.2f} s", flush=True)
    finally:
        _drop_database(database_url)


@contextlib.contextmanager
def _production_env(env: dict[str, str], database_url: str):
    """``env`` with production settings (DEBUG off), their hashed static files collected."""
    with static_collected(env) as list_env:
        # A sync writes gigabytes of WAL: let PostgreSQL write it out now, so that its
        # checkpoint does not land inside the list timings.
        _checkpoint(database_url)
        yield list_env


def _list_during_sync(list_env: dict[str, str], database_url: str) -> None:
    """ticket_list_during_sync_median_ms / _p95_ms: the list requests of ``child_list``,
    sent one after another for as long as a full sync of the mirrored tickets runs (the
    worker's two processes busy with it)."""
    _checkpoint(database_url)
    with _celery_worker(list_env) as (_, worker_env):
        during = _child(worker_env, "list_during_sync")
    print(f"ticket_list_during_sync_requests: {during['requests']} requests")
    print(f"ticket_list_during_sync_median_ms: {during['median_ms']:.1f} ms")
    print(f"ticket_list_during_sync_p95_ms: {during['p95_ms']:.1f} ms", flush=True)


def _first_tickets_seconds(list_env: dict[str, str], database_url: str) -> float:
    """From an empty mirror, seconds from storing the connection READY (which queues the
    first sync of every kind) to the open tickets list showing a full page of 50 rows. The
    sync then runs to its end."""
    _child(list_env, "reset")
    # A new connection's mirror is empty: no dead rows of the deleted one left to skip.
    _vacuum(database_url)
    _checkpoint(database_url)
    with _celery_worker(list_env) as (_, worker_env):
        return _child(worker_env, "first_tickets")["seconds"]


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else DEFAULT_SERVER


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(_server_url(), "postgres"), autocommit=True) as db:
        db.execute(statement)


def _checkpoint(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CHECKPOINT")


def _vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")


def _bench_database() -> str:
    _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin_sql(f"CREATE DATABASE {BENCH_DB}")
    return _with_database(_server_url(), BENCH_DB)


def _drop_database(url: str) -> None:
    _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",
        DJANGO_SETTINGS_MODULE="psaportal.settings",
        SECURE_SSL_REDIRECT="0",
    )
    return env


def _migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=_base_env(database_url),
        check=True,
    )


def _child_env(database_url: str, sandbox, connection_id: str) -> dict[str, str]:
    env = _base_env(database_url)
    env.update(
        MEMBRANE_API_URL=sandbox.url,
        MEMBRANE_TOKEN=sandbox.token,
        BENCH_CONNECTION=connection_id,
    )
    return env


@contextlib.contextmanager
def _celery_worker(env: dict[str, str]):
    """A Celery worker as `make worker` starts it, on its own queue; yields it and the
    environment that sends tasks to it."""
    from tests.fixtures.worker_command import celery_worker_command

    worker_env = {
        **env,
        "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS,
        "CELERY_QUEUE": f"psaportal-bench-{os.getpid()}",
        # Benchmarks run as root here; Celery's warning about it is not a figure.
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }
    worker = subprocess.Popen(
        celery_worker_command("--concurrency=2", name="bench"),
        cwd=ROOT,
        env=worker_env,
    )
    try:
        deadline = time.monotonic() + 30
        while len(_pool_processes(worker.pid)) < 2:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
            time.sleep(0.2)
        yield worker, worker_env
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _pool_processes(pid: int) -> list[int]:
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def _peak_mb(worker: subprocess.Popen) -> float:
    """The largest peak resident memory among the worker's processes."""
    return max(peak_rss_mb(pid) for pid in [worker.pid, *_pool_processes(worker.pid)])


def _child(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
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
        membrane_id=os.environ["BENCH_CONNECTION"],
        defaults={"state": Connection.State.READY, "connected": True, "is_defunct": False},
    )
    return connection


def child_reset() -> dict:
    connection = _setup()
    from psaportal.records.models import RecordDocument, SyncRun, SyncState, Ticket

    Ticket.objects.all().delete()
    RecordDocument.objects.all().delete()
    SyncRun.objects.all().delete()
    SyncState.objects.all().delete()
    return {"connection": connection.pk}


def child_sync(mode: str) -> dict:
    connection = _setup()
    from django.db import transaction

    from psaportal.records import registry
    from psaportal.records.models import SyncRun
    from psaportal.records.sync import services

    started = time.perf_counter()
    with transaction.atomic():  # the tasks are queued when this commits
        job = services.sync_start(
            connection=connection, kinds=[registry.get_kind("tickets")], mode=mode
        )
    while not job.is_finished:
        time.sleep(0.02)
        job.refresh_from_db()
    seconds = time.perf_counter() - started
    run = SyncRun.objects.get(job=job)
    if job.status != "succeeded":
        raise SystemExit(f"the sync failed: {job.error}")
    return {"seconds": seconds, "records": run.records_seen, "requests": run.requests}


def child_compare() -> dict:
    """Every ticket of the PSA is mirrored exactly (its document and its id), and no other."""
    connection = _setup()
    from psaportal.connections.client import membrane_client
    from psaportal.records import registry
    from psaportal.records.models import RecordDocument, Ticket
    from psaportal.records.sync import fetch

    kind = registry.get_kind("tickets")
    documents = RecordDocument.objects.filter(connection=connection, kind=kind.key)
    client, after, seen = membrane_client(), 0, 0
    while True:
        page = fetch.fetch_page(
            client=client, connection_id=connection.membrane_id, kind=kind, after_id=after
        )
        mirrored = dict(
            documents.filter(psa_id__in=[record["id"] for record in page.records]).values_list(
                "psa_id", "data"
            )
        )
        for record in page.records:
            if mirrored.get(record["id"]) != record:
                raise SystemExit(f"ticket #{record['id']} differs from the PSA's")
        seen += len(page.records)
        if not page.full:
            break
        after = page.last_id
    if Ticket.objects.filter(connection=connection).count() != seen or documents.count() != seen:
        raise SystemExit("the mirror holds tickets the PSA does not list")
    return {"tickets": seen}


def child_seed() -> dict:
    sys.path.insert(0, str(ROOT))
    import resource

    from psaportal.sandbox.psa import PsaSimulator, SeedScale

    started = time.perf_counter()
    tickets = int(os.environ["BENCH_TICKETS"])
    scale = SeedScale(tickets=tickets, time_entries=tickets, contacts=150)
    PsaSimulator(scale, db_path=os.environ["BENCH_PSA_FILE"]).close()
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _list_client():
    """A technician's test client and the ticket list's URL."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.urls import reverse

    from psaportal.accounts import roles

    user, _ = get_user_model().objects.get_or_create(username="bench-technician")
    app_label, codename = roles.VIEW_RECORDS.split(".")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    client = Client(HTTP_HOST="127.0.0.1", secure=True)
    client.force_login(user)
    return client, reverse("records:list", args=["tickets"])


def _list_queries():
    """The list requests the figures time: a search term, a sort, a filter and a page."""
    terms = ["printer", "vpn", "outlook", "backup", "password", "email", "server", "laptop"]
    sorts = ["-last_updated", "psa_id", "-date_entered", "company_name", "-priority_name"]
    filters = [{"open": "open"}, {"open": "closed"}, {"priority": "Priority 3 - Normal"}]
    rng = random.Random(7)
    while True:
        query = {"q": rng.choice(terms), "sort": rng.choice(sorts), **rng.choice(filters)}
        query["page"] = str(rng.randint(1, 3))
        yield query


def _timed_get(client, url: str, query: dict) -> tuple[float, str]:
    """One GET: its time in milliseconds and the page."""
    started = time.perf_counter()
    response = client.get(url, query)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"the list answered {response.status_code}")
    return elapsed, response.content.decode()


def _percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {
        "requests": len(timings),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[math.ceil(0.95 * len(timings)) - 1],
    }


def child_list() -> dict:
    _setup()
    client, url = _list_client()
    queries = _list_queries()
    timings = []
    for number in range(LIST_WARMUP + LIST_REQUESTS):
        elapsed, _ = _timed_get(client, url, next(queries))
        if number >= LIST_WARMUP:
            timings.append(elapsed)
    return _percentiles(timings)


def _start_sync(connection, kinds):
    from django.db import transaction

    from psaportal.records.sync import services

    with transaction.atomic():  # the tasks are queued when this commits
        return services.sync_start(connection=connection, kinds=kinds, mode="full")


def _wait_for(job) -> None:
    while not job.is_finished:
        time.sleep(0.02)
        job.refresh_from_db()
    if job.status != "succeeded":
        raise SystemExit(f"the sync failed: {job.error}")


def child_list_during_sync() -> dict:
    """The list's timings while a full sync of the mirrored tickets runs."""
    connection = _setup()
    from psaportal.records import registry

    client, url = _list_client()
    queries = _list_queries()
    for _ in range(LIST_WARMUP):
        _timed_get(client, url, next(queries))
    job = _start_sync(connection, [registry.get_kind("tickets")])
    timings = []
    while not job.is_finished:
        timings.append(_timed_get(client, url, next(queries))[0])
        job.refresh_from_db()
    _wait_for(job)
    return _percentiles(timings)


def child_first_tickets() -> dict:
    """Seconds from storing Membrane's answer that the connection is READY, as the wizard's
    poller does (the store queues the first sync of every kind), to the open tickets list
    showing a full page (50 rows); then waits for the sync to end."""
    connection = _setup()
    from psaportal.connections import services as connection_services
    from psaportal.connections.client import membrane_client
    from psaportal.connections.models import Connection
    from psaportal.jobs.models import Job
    from psaportal.records.sync.services import SYNC_JOB

    client, url = _list_client()
    _timed_get(client, url, {"open": "open"})  # warm up on the empty mirror
    # A new connection: never seen READY, so no first sync queued yet.
    Connection.objects.filter(pk=connection.pk).update(
        state=Connection.State.BUILDING,
        connected=False,
        last_ready_at=None,
        first_sync_queued_at=None,
    )
    answer = membrane_client().get_connection(connection.membrane_id)
    started = time.perf_counter()
    connection_services.connection_store(answer=answer)
    job = Job.objects.filter(kind=SYNC_JOB, sync_runs__connection=connection).first()
    if job is None:
        raise SystemExit("storing the READY connection started no first sync")
    while True:
        _, page = _timed_get(client, url, {"open": "open", "page_size": "50"})
        if page.count('id="tickets-row-') >= 50:
            seconds = time.perf_counter() - started
            break
        job.refresh_from_db()
        if job.is_finished:
            raise SystemExit(f"the sync ended ({job.status}) before the list showed 50 tickets")
    _wait_for(job)
    return {"seconds": seconds}


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    result = {
        "reset": child_reset,
        "sync": child_sync,
        "list": child_list,
        "list_during_sync": child_list_during_sync,
        "first_tickets": child_first_tickets,
        "seed": child_seed,
        "compare": child_compare,
    }[command](*rest)
    print(json.dumps(result))
