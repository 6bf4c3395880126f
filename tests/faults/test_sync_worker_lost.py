"""A full sync whose worker is killed (SIGKILL) while it reads a page, then restarted: the
sync completes, every page stored once and the mirror the PSA's data. (Edits whose worker
is killed are tests/records/test_edit_worker_lost.py.)"""

import signal
from datetime import timedelta

import pytest

from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import SyncPage, SyncRun
from psaportal.records.sync import services
from tests.faults.conftest import wait_until
from tests.faults.pristine import mirror_differences, psa_records

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
TICKETS = registry.get_kind("tickets")
#: How long the sandbox holds each PSA call; the worker is killed while one is held.
HOLD_MS = 4000


def test_a_sync_whose_worker_is_killed_mid_page_completes_once_restarted(
    psa_connection, membrane_client, sandbox, start_worker
):
    ids = sorted(psa_records(membrane_client, psa_connection.membrane_id, TICKETS.path))
    worker = start_worker(MEMBRANE_TIMEOUT_SECONDS="30")  # a held call is not a timeout
    sandbox.reset(connections=False, faults=False)
    sandbox.set_faults(latency_ms=HOLD_MS, scope="psa")
    job = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")
    # Call 1 is the count, call 2 the newest open tickets (a first sync); call 3 (page 1)
    # is held when the worker dies.
    wait_until(lambda: sandbox.stats()["fault_calls"] >= 3, what="page 1's read")

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    sandbox.clear_faults()
    run = SyncRun.objects.get(job=job)
    assert (run.status, run.pages_done) == (SyncRun.Status.RUNNING, 0)
    assert not Job.objects.get(pk=job.pk).is_finished

    # The beat sweep sends the lost page again (its wait cut short here); Redis hands the
    # lost worker's message out again too, once due (in 1 s here, not an hour).
    assert services.sync_resume_stalled(older_than=timedelta(0)) == 1
    start_worker("--pool=solo", BROKER_VISIBILITY_TIMEOUT_SECONDS="1")

    wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, what="the sync")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    run.refresh_from_db()
    pages = SyncPage.objects.filter(run=run)
    assert run.pages_done == pages.count() == run.pages_total
    assert run.records_seen == len(ids)  # each page counted once, though read twice
    assert pages.filter(attempts__gt=1).exists()
    assert (
        mirror_differences(connection=psa_connection, client=membrane_client, kinds=["tickets"])
        == []
    )
