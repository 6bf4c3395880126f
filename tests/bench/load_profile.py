"""Where the web processes' CPU goes in the load run's mix: each kind of request the load's
users send (tests/bench/load_locustfile.py) run through Django's WSGI handler, as gunicorn
calls it, ``LOAD_PROFILE_REQUESTS`` times, printing the median CPU ms and the database queries
per request of each, and the mix's weighted CPU per request. With ``LOAD_PROFILE_TOP=n`` also
the n functions with the most CPU of their own (or with LOAD_PROFILE_SORT=cumulative,
with what they call), per kind of request (cProfile).

A Django child of `make bench BENCH=load` when LOAD_PROFILE is set (before the users
start), on the run's filled mirror with its settings; or by hand on any filled database:
`python tests/bench/load_profile.py` with DATABASE_URL, BENCH_CONNECTION and the settings'
environment. Lines start with "#": diagnostics, not figures."""

from __future__ import annotations

import cProfile
import io
import os
import pathlib
import pstats
import random
import statistics
import sys
import time
import uuid
from urllib.parse import urlencode

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQUESTS = int(os.environ.get("LOAD_PROFILE_REQUESTS", "40"))
TOP = int(os.environ.get("LOAD_PROFILE_TOP", "0"))
#: "tottime" (CPU in the function itself) or "cumulative" (with what it calls).
SORT = os.environ.get("LOAD_PROFILE_SORT", "tottime")

#: The locustfile's tasks per role with their weights: (page, weight).
COMMON = [("ticket list", 4), ("ticket search", 2), ("ticket", 3), ("company list", 0.5),
          ("company", 0.5), ("ticket row edit", 1), ("home", 1)]  # fmt: skip
MIX = {
    "technician": (2, COMMON),
    "manager": (1, [*COMMON, ("report", 3), ("report dashboard", 1)]),
    "admin": (1, [*COMMON, ("jobs", 1), ("sync status", 1), ("report", 1)]),
}


def _request(plan: dict, role: str, page: str) -> tuple[str, str, dict, bytes]:
    """What a user of ``role`` sends for ``page``: method, path, query, body."""
    pick = random.choice
    if page == "ticket list":
        filters = {name: pick(values) for name, values in plan["filters"].items()
                   if values and random.random() < 0.5}  # fmt: skip
        return "GET", "/records/tickets/", {"open": "open", **filters}, b""
    if page == "ticket search":
        return "GET", "/records/tickets/", {"q": pick(plan["searches"])}, b""
    if page == "ticket":
        return "GET", f"/records/tickets/{pick(plan['tickets'])}/", {}, b""
    if page == "company list":
        return "GET", "/records/companies/", {"sort": "name"}, b""
    if page == "company":
        return "GET", f"/records/companies/{pick(plan['companies'])}/", {}, b""
    if page == "ticket row edit":
        edit = pick(plan["edits"])
        data = {**edit["fields"], "priority": pick(edit["priorities"]),
                "idempotency_key": uuid.uuid4().hex}  # fmt: skip
        return "POST", f"/records/tickets/{edit['psa_id']}/row/edit/", {}, urlencode(data).encode()
    if page == "home":
        return "GET", "/reports/" if role == "manager" else "/", {}, b""
    if page == "report":
        return "GET", f"/reports/{pick(plan['reports'])}/", {}, b""
    if page == "report dashboard":
        return "GET", "/reports/", {}, b""
    if page == "jobs":
        return "GET", "/jobs/", {}, b""
    if page == "sync status":
        return "GET", "/records/sync/", {}, b""
    raise ValueError(page)


def _environ(plan: dict, session: str, method: str, path: str, query: dict, body: bytes):
    token = plan["csrf_token"]
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(query),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": f"sessionid={session}; csrftoken={token}",
        "HTTP_X_CSRFTOKEN": token,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_REFERER": "https://127.0.0.1:8000/",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if method == "POST":
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_HX_REQUEST"] = "true"
    return environ


def profile(plan: dict) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    handler = WSGIHandler()
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    def call(role: str, page: str) -> None:
        session = random.choice(plan["sessions"][role])
        environ = _environ(plan, session, *_request(plan, role, page))
        statuses = []
        response = handler(environ, lambda status, headers, *_: statuses.append(status))
        b"".join(response)
        response.close()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{role}: {page} answered {statuses[0]}")

    random.seed(14)
    cpu_ms: dict[tuple[str, str], float] = {}
    print(f"# profile: median CPU ms, queries per request ({REQUESTS} requests each, WSGI handler)")
    for role, (_, pages) in MIX.items():
        for page, _weight in pages:
            if (role, page) in cpu_ms:
                continue
            call(role, page)  # warm: templates compiled, connection open
            queries[0] = 0
            # CPU time, not wall time: waiting on PostgreSQL is not the web process's CPU.
            profiler = cProfile.Profile(time.process_time) if TOP else None
            timings = []
            with connection.execute_wrapper(count):
                for _ in range(REQUESTS):
                    if profiler:
                        profiler.enable()
                    started = time.process_time()
                    call(role, page)
                    timings.append(time.process_time() - started)
                    if profiler:
                        profiler.disable()
            # The median: the other work on a busy machine makes a few requests slow.
            cpu_ms[role, page] = statistics.median(timings) * 1000
            print(f"#   {role:10} {page:18} {cpu_ms[role, page]:6.1f} ms CPU "
                  f"{queries[0] / REQUESTS:5.1f} queries")  # fmt: skip
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats(SORT)
                stats.print_stats(TOP)
                lines = [line for line in out.getvalue().splitlines() if line.strip()][-TOP:]
                for line in lines:
                    print(f"#       {line.strip()}")
    users = sum(share for share, _ in MIX.values())
    mix = 0.0
    for role, (share, pages) in MIX.items():
        weights = sum(weight for _, weight in pages)
        per_role = sum(cpu_ms[role, page] * weight for page, weight in pages) / weights
        mix += per_role * share / users
    print(f"# profile: the mix, CPU per request: {mix:.1f} ms (web process, no gunicorn)")


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "bench")]
    from bench_edits import _setup

    connection = _setup()
    from tests.bench.load_plan import load_plan

    profile(load_plan(connection=connection, sessions_per_role=3))
