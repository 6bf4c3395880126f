"""Sandbox and client throughput: `python tests/bench/run.py sandbox`.

- sandbox_list_records_per_s: every ticket of a 100,000-ticket PSA, listed through the
  proxy in pages of 1000 by following Link headers, timed through the client.
- client_call_overhead_ms: median of (client-side time of a call − the sandbox's own
  handling time from its x-sandbox-time-ms header), for small proxy GETs.
"""

import statistics
import time

from psaportal.membrane import MembraneClient
from psaportal.sandbox.psa import SeedScale
from psaportal.sandbox.testing import start_sandbox

TICKETS = 100_000
PAGE_SIZE = 1000
OVERHEAD_CALLS = 300


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
                response = client.follow(response.links["next"])
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
