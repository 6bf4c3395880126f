"""Load figures: `make bench BENCH=load` (python tests/bench/run.py load).

The production-like run (`manage.py serve`: gunicorn, two Celery workers and beat, DEBUG
off, behind a TLS proxy as the headers say) on the machine's PostgreSQL (DATABASE_URL, else
a local postgres; a throw-away database `psaportal_bench_load_<pid>` is created and dropped) and
Redis (REDIS_URL, else the local one), with the sandbox over HTTP (10,000 tickets, 10,000
time entries), its mirror filled by a full sync through the run's own workers. Then 50
logged-in users (technicians, managers and admins, 2:1:1) for 60 s on loopback, each
sending at most 2.5 requests a second, so at most 125 requests/s are offered
(tests/bench/load_locustfile.py). Of every 12 requests a user sends about 4 filtered ticket
lists, 2 searches, 3 tickets, 1 company list or company, 1 row edit (a priority, applied by
the run's workers) and 1 home page; managers add reports and the report dashboard, admins
the jobs, the sync status and reports. No static files: a browser has them after its first
page (hashed names, cached for a year).

- load_rps: requests answered per second over the run;
- load_median_ms / load_p95_ms: response times of all requests;
- load_errors: requests answered with anything but a 200 (or not answered).

With LOAD_PROFILE=1 it first prints the web process's CPU per request type of the mix
(tests/bench/load_profile.py; LOAD_PROFILE_REQUESTS, LOAD_PROFILE_TOP).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Per run, so that load runs started at once by different people never share a database.
BENCH_DB = f"psaportal_bench_load_{os.getpid()}"
USERS = 50
SECONDS = 60


def run() -> None:
    import bench_edits
    from bench_records import (
        APP_URL,
        DEFAULT_REDIS,
        _admin_sql,
        _child_env,
        _migrate,
        _server_url,
        _with_database,
    )
    from load_runner import free_port, run_locust, serve
    from procstats import tree_cpu_seconds
    from static_files import static_collected

    from psaportal.membrane import MembraneClient
    from psaportal.sandbox.psa import SeedScale
    from psaportal.sandbox.testing import start_sandbox

    _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin_sql(f"CREATE DATABASE {BENCH_DB}")
    database_url = _with_database(_server_url(), BENCH_DB)
    try:
        _migrate(database_url)
        scale = SeedScale(tickets=10_000, time_entries=10_000)
        with (
            start_sandbox(scale=scale, build_seconds=0, auto_authorize=True) as sandbox,
            MembraneClient(base_url=sandbox.url, token=sandbox.token) as client,
            tempfile.TemporaryDirectory() as folder,
        ):
            connection_id = client.ensure_connection(app_url=APP_URL)["id"]
            redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
            env = {
                **_child_env(database_url, sandbox, connection_id),
                "REDIS_URL": redis_url,
                "SESSION_REDIS_URL": _next_redis_database(redis_url),
                "CELERY_QUEUE": f"psaportal-bench-load-{os.getpid()}",
                "BEHIND_TLS_PROXY": "1",
                "LOG_LEVEL": "WARNING",
            }
            port = free_port()
            with (
                static_collected(env) as env,
                serve(env, port=port, options=(f"--beat-schedule={folder}/beat",)) as server,
            ):
                bench_edits._child(env, "mirror")  # through the run's own workers
                plan = _plan(env)
                if os.environ.get("LOAD_PROFILE"):
                    _profile(env)
                load_before = os.getloadavg()[0]
                cpu_before = tree_cpu_seconds(server.pid)
                result = run_locust(
                    host=f"http://127.0.0.1:{port}",
                    plan=plan,
                    users=USERS,
                    seconds=SECONDS,
                    env=env,
                )
                cpu_after = tree_cpu_seconds(server.pid)
                load_after = os.getloadavg()[0]
            print(f"load_rps: {result['rps']:.1f} requests/s")
            print(f"load_median_ms: {result['median_ms']:.0f} ms")
            print(f"load_p95_ms: {result['p95_ms']:.0f} ms")
            print(f"load_errors: {result['errors']} requests", flush=True)
            for name, count in sorted(result["by_name"].items()):
                median = result["median_ms_by_name"][name]
                print(f"# {name}: {count} requests, median {median:.0f} ms")
            for failure in result["failures"]:
                print(f"# {failure}")
            # Other work on the machine slows the run down: say how busy it was.
            print(f"# load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
            cpu = _cpu_by_part(cpu_before, cpu_after)
            cpu["locust"] = result["locust_cpu_seconds"]
            for part, seconds in cpu.items():
                per_request = seconds * 1000 / max(1, result["requests"])
                print(f"# CPU per request, {part}: {per_request:.1f} ms ({seconds:.1f} s)")
    finally:
        _admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _profile(env: dict[str, str]) -> None:
    """LOAD_PROFILE set: the CPU per request type of the mix (tests/bench/load_profile.py),
    on the run's filled mirror, before the users start."""
    script = pathlib.Path(__file__).with_name("load_profile.py")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the load profile failed:\n{done.stdout}\n{done.stderr}")
    print(done.stdout, end="", flush=True)


def _cpu_by_part(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds the serve run's parts used between two tree_cpu_seconds readings."""
    parts = {"web": 0.0, "workers": 0.0, "beat": 0.0, "serve": 0.0}
    for pid, (command, seconds) in after.items():
        used = seconds - before.get(pid, (command, 0.0))[1]
        if "gunicorn" in command:
            parts["web"] += used
        elif " worker" in command:
            parts["workers"] += used
        elif " beat" in command:
            parts["beat"] += used
        else:
            parts["serve"] += used
    return parts


def _next_redis_database(url: str) -> str:
    """The sessions' Redis database: the broker's server, the next database number (the
    session keys are random, so runs sharing it never meet; nothing here empties it)."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 1) % 16}"))


def _plan(env: dict[str, str]) -> dict:
    """The users' plan, written by a Django process of its own (the child below)."""
    done = subprocess.run(
        [sys.executable, __file__, "plan"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the load plan failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__" and sys.argv[1:] == ["plan"]:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "bench")]
    from bench_edits import _setup

    connection = _setup()  # Django is set up from here on
    from tests.bench.load_plan import load_plan

    print(json.dumps(load_plan(connection=connection, sessions_per_role=USERS)))
