"""Records changed in the PSA while a full sync reads it (on a page before it is read, on a
page already read, on a page not reached yet, and a record created meanwhile) all reach the
mirror by the next incremental sync.

The sandbox holds each of the worker's PSA calls for a while (its latency fault), so the
test knows which page is being read; a colleague's changes go straight into the simulated
PSA, as edits made in ConnectWise itself do."""

import json
import math

import pytest

from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import SyncRun
from psaportal.records.sync import services
from tests.faults.conftest import QUICK_WORKER, wait_until
from tests.faults.pristine import mirror_differences, psa_records

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
TICKETS = registry.get_kind("tickets")
PAGE = int(QUICK_WORKER["RECORDS_SYNC_PAGE_SIZE"])
HOLD_MS = 700


def in_the_psa(sandbox, method: str, path: str, body) -> dict:
    """A change made in ConnectWise directly (not through Membrane, so no fault holds it)."""
    answer = sandbox.server.app.psa.handle(
        method, path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status in (200, 201), answer.body
    return json.loads(answer.body)


def rename(sandbox, psa_id: int, summary: str) -> None:
    change = [{"op": "replace", "path": "summary", "value": summary}]
    in_the_psa(sandbox, "PATCH", f"/service/tickets/{psa_id}", change)


def finished(job: Job) -> Job:
    wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, what="the sync")
    job.refresh_from_db()
    return job


def test_psa_changes_made_while_a_full_sync_runs_reach_the_mirror_by_the_next_incremental(
    psa_connection, membrane_client, sandbox, start_worker
):
    ids = sorted(psa_records(membrane_client, psa_connection.membrane_id, TICKETS.path))
    pages = [ids[start : start + PAGE] for start in range(0, len(ids), PAGE)]
    assert len(pages) == math.ceil(len(ids) / PAGE) >= 3
    template = membrane_client.proxy(
        psa_connection.membrane_id, "GET", f"/service/tickets/{ids[0]}"
    ).json()
    start_worker(MEMBRANE_TIMEOUT_SECONDS="30")  # a held call is not a timeout
    sandbox.reset(connections=False, faults=False)
    sandbox.set_faults(latency_ms=HOLD_MS, scope="psa")

    job = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")
    changed: dict[int, str] = {}
    # The worker's PSA calls: 1 the count, then page n is call n + 1. While page n is held
    # (not read yet), change a ticket on it, one on the page read before it and one on the
    # last page (not reached yet).
    for number, page in enumerate(pages, start=1):
        wait_until(lambda n=number: sandbox.stats()["fault_calls"] >= n + 1, what=f"page {number}")
        targets = {"unread": page[1], "last": pages[-1][number]}
        if number > 1:
            targets["read"] = pages[number - 2][2]
        for moment, psa_id in targets.items():
            changed[psa_id] = f"Changed while page {number} was held ({moment})"
            rename(sandbox, psa_id, changed[psa_id])
    created = in_the_psa(
        sandbox,
        "POST",
        "/service/tickets",
        {
            "summary": "Opened while the sync ran",
            "company": {"id": template["company"]["id"]},
            "board": {"id": template["board"]["id"]},
        },
    )
    full = finished(job)
    assert full.status == Job.Status.SUCCEEDED, full.error
    run = SyncRun.objects.get(job=job)
    assert run.pages_done == len(pages)

    sandbox.clear_faults()
    incremental = finished(
        services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="incremental")
    )
    assert incremental.status == Job.Status.SUCCEEDED, incremental.error
    mirrored = dict(
        TICKETS.model.objects.filter(psa_id__in=[*changed, created["id"]]).values_list(
            "psa_id", "summary"
        )
    )
    assert mirrored == changed | {created["id"]: "Opened while the sync ran"}
    assert (
        mirror_differences(connection=psa_connection, client=membrane_client, kinds=["tickets"])
        == []
    )
