"""Sandbox and client throughput: `python tests/bench/run.py sandbox`.

- sandbox_list_records_per_s: every ticket of a 100,000-ticket PSA, listed through the
  proxy in pages of 1000 by following Link headers, timed through the client.
- client_call_overhead_ms: median of (client-side time of a call − the sandbox's own
  handling time from its x-sandbox-time-ms header), for small proxy GETs.
- sandbox_seed_1m_s / sandbox_peak_mb_1m / sandbox_query_1m_ms: `manage.py sandbox` in
  its own process with 100,000 tickets and 1,000,000 time entries: seconds until it
  serves, its peak resident memory (VmHWM), and the median time of a filtered, ordered
  page of 1000 time entries (plus their /count) over the proxy.
"""

import pathlib
import statistics
import subprocess
import sys
import time

from procstats import peak_rss_mb

from psaportal.membrane import MembraneClient
from psaportal.sandbox.psa import SeedScale
from psaportal.sandbox.testing import start_sandbox

TICKETS = 100_000
PAGE_SIZE = 1000
OVERHEAD_CALLS = 300
SCALE_TICKETS = 100_000
SCALE_TIME_ENTRIES = 1_000_000
SCALE_QUERIES = 20
ROOT = pathlib.Path(__file__).resolve().parents[2]


def run() -> None:
    with start_sandbox(
        scale=SeedScale(tickets=TICKETS), build_seconds=0, auto_authorize=True
    ) as sandbox:
        with MembraneClient(base_url=sandbox.url, token=sandbox.token, timeout=60) as client:
            connection = client.ensure_connection(app_url="connectwise.com")
            connection_id = client.get_connection(connection["id"])["id"]

            started = time.perf_counter()
            response = client.proxy(
                connection_id, "GET", "/service/tickets", query={"pageSize": PAGE_SIZE}
            )
            records = len(response.json())
            while "next" in response.links:
                response = client.follow(connection_id, response.links["next"])
                records += len(response.json())
            elapsed = time.perf_counter() - started
            assert records == TICKETS, f"listed {records} tickets, expected {TICKETS}"
            print(f"sandbox_list_records_per_s: {records / elapsed:.0f} records/s", flush=True)

            overheads = []
            for _ in range(OVERHEAD_CALLS):
                started = time.perf_counter()
                answer = client.proxy(connection_id, "GET", "/service/tickets/1")
                client_ms = (time.perf_counter() - started) * 1000
                overheads.append(client_ms - float(answer.headers["x-sandbox-time-ms"]))
            print(f"client_call_overhead_ms: {statistics.median(overheads):.3f} ms", flush=True)

    _run_at_scale()


def _run_at_scale() -> None:
    """The sandbox as a newcomer starts it, at the scale the issue names, in its own process."""
    command = [
        sys.executable, "manage.py", "sandbox", "--port", "0", "--build-seconds", "0",
        "--auto-authorize", "--tickets", str(SCALE_TICKETS),
        "--time-entries", str(SCALE_TIME_ENTRIES),
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = _served_url(process)
        print(f"sandbox_seed_1m_s: {time.perf_counter() - started:.1f} s", flush=True)
        with MembraneClient(base_url=url, token="pat-sandbox-token", timeout=120) as client:
            connection_id = client.ensure_connection(app_url="connectwise.com")["id"]
            timings = []
            for n in range(SCALE_QUERIES):
                conditions = f'billableOption = "Billable" and id > {n * 40_000}'
                started = time.perf_counter()
                count = client.proxy(
                    connection_id, "GET", "/time/entries/count", query={"conditions": conditions}
                ).json()["count"]
                page = client.proxy(
                    connection_id,
                    "GET",
                    "/time/entries",
                    query={"conditions": conditions, "orderBy": "id desc", "pageSize": 1000},
                ).json()
                timings.append((time.perf_counter() - started) * 1000)
                assert count > 0 and len(page) == min(count, 1000), (count, len(page))
        print(f"sandbox_query_1m_ms: {statistics.median(timings):.0f} ms", flush=True)
        print(f"sandbox_peak_mb_1m: {peak_rss_mb(process.pid):.0f} MB", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _served_url(process: subprocess.Popen) -> str:
    for line in process.stdout:
        if line.startswith("Membrane sandbox API: "):
            return line.split(": ", 1)[1].strip()
    raise RuntimeError(f"the sandbox exited ({process.wait()}) before serving")
