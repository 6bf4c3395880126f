"""Start the production-like run (`manage.py serve`) and drive it with locust; shared by
`make bench BENCH=load` and the CI smoke test. Imports nothing of Django."""

from __future__ import annotations

import contextlib
import csv
import json
import pathlib
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCUSTFILE = pathlib.Path(__file__).with_name("load_locustfile.py")
#: Generous: the serve run's first start on a busy machine imports a lot.
START_DEADLINE_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve(env: dict[str, str], *, port: int, options: tuple[str, ...] = ()):
    """`manage.py serve` on 127.0.0.1:``port``; yields once /healthz says all is well
    (the database, Redis, a worker and Membrane)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"--bind=127.0.0.1:{port}", *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: a line per request
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while not _healthy(f"http://127.0.0.1:{port}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the production-like run did not become healthy")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def run_locust(*, host: str, plan: dict, users: int, seconds: int, env: dict[str, str]) -> dict:
    """Run the load's users for ``seconds``; the aggregate figures and each request name's
    count (``by_name``), the first kinds of failure in words (``failures``) and the CPU
    time locust used (``locust_cpu_seconds``)."""
    with tempfile.TemporaryDirectory() as folder:
        plan_path = pathlib.Path(folder, "plan.json")
        plan_path.write_text(json.dumps(plan))
        prefix = str(pathlib.Path(folder, "load"))
        # The load generator shares the machine's cores with the site: what it costs.
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                f"--host={host}",
                f"--users={users}",
                f"--spawn-rate={users}",
                f"--run-time={seconds}s",
                "--stop-timeout=10",
                f"--csv={prefix}",
                "--only-summary",
                "--loglevel=WARNING",
                "--exit-code-on-error=0",
            ],  # fmt: skip
            cwd=ROOT,
            env={**env, "LOAD_PLAN": str(plan_path)},
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise RuntimeError(f"locust failed:\n{done.stdout}\n{done.stderr}")
        with open(f"{prefix}_stats.csv", newline="") as stats_file:
            rows = {row["Name"]: row for row in csv.DictReader(stats_file)}
        with open(f"{prefix}_failures.csv", newline="") as failures_file:
            failures = [
                f"{row['Occurrences']} x {row['Name']}: {row['Error']}"
                for row in csv.DictReader(failures_file)
            ]
    total = rows.pop("Aggregated")
    return {
        "rps": float(total["Requests/s"]),
        "median_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "errors": int(total["Failure Count"]),
        "requests": int(total["Request Count"]),
        "by_name": {name: int(row["Request Count"]) for name, row in rows.items()},
        "median_ms_by_name": {name: float(row["50%"]) for name, row in rows.items()},
        "failures": failures[:20],
        "locust_cpu_seconds": (children_after.ru_utime + children_after.ru_stime)
        - (children_before.ru_utime + children_before.ru_stime),
    }
