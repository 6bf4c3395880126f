"""An edit whose worker is killed (SIGKILL) while it applies the change, on a real worker
over Redis: the change still reaches the PSA, exactly once, as the sandbox counts its
writes. The sandbox holds every PSA call for a while (its latency fault) and the test
kills the worker once the call it wants is held there."""

import os
import pathlib
import signal
from datetime import timedelta

import pytest

from psaportal.celery import app as celery_app
from psaportal.jobs.models import Job
from psaportal.records.changes import services
from psaportal.records.models import PendingChange, Ticket
from tests.records import test_edit
from tests.records.test_edit import edit_url, opened_form, wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.worker]
Status = PendingChange.Status
# The edit tests' ticket (mirrored) and its reader in the PSA.
ticket = test_edit.ticket
psa_ticket = test_edit.psa_ticket
#: How long the sandbox holds each PSA call; the worker is killed while one is held.
HOLD_MS = 4000
SUMMARY = "Saved though its worker was killed"


@pytest.fixture
def start_worker(celery_worker_process, transactional_db, settings):
    """``start_worker(*options, **env)``: a real worker with these options and settings."""
    celery_app.conf.task_always_eager = False

    def start(*options: str, **env: str):
        return celery_worker_process.start(
            membrane_url=str(settings.MEMBRANE_API_URL),
            membrane_token=str(settings.MEMBRANE_TOKEN),
            options=options or ("--pool=solo",),
            env=env,
        )

    return start


def post_edit_held_at(client, ticket, sandbox, call: int) -> PendingChange:
    """Post an edit while the sandbox holds PSA calls; return once the worker's ``call``-th
    PSA call (1: its read of the ticket, 2: its write) is held."""
    data = opened_form(client, ticket)
    sandbox.reset(connections=False, faults=False)  # the counters, from zero
    sandbox.set_faults(latency_ms=HOLD_MS, scope="psa")
    client.post(edit_url(ticket), data | {"summary": SUMMARY})
    wait_until(lambda: sandbox.stats()["fault_calls"] >= call)
    return PendingChange.objects.get()


def assert_applied_once(sandbox, read_psa_ticket, mirrored_ticket):
    assert sandbox.stats()["psa_writes"] == 1
    assert read_psa_ticket()["summary"] == SUMMARY
    assert Ticket.objects.get(psa_id=mirrored_ticket["id"]).summary == SUMMARY


@pytest.mark.parametrize(("killed_in", "call", "landed"), [("read", 1, 0), ("write", 2, 1)])
def test_a_worker_killed_mid_edit_then_restarted_applies_it_exactly_once(
    killed_in,
    call,
    landed,
    technician_client,
    ticket,
    psa_ticket,
    sandbox,
    start_worker,
):
    worker = start_worker()
    change = post_edit_held_at(technician_client, ticket, sandbox, call)

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    # The held call goes on without its worker: a write reaches the PSA all the same.
    wait_until(lambda: sandbox.stats()["psa_requests"] == call)
    assert sandbox.stats()["psa_writes"] == landed
    sandbox.clear_faults()
    change.refresh_from_db()
    lost_job = change.job
    assert change.status == Status.APPLYING and not lost_job.is_finished

    # The stalled-change sweep sends it again (its wait cut short here); Redis hands the
    # lost worker's message out again too, once due (in 1 s here, not an hour).
    assert services.pending_change_resend_stalled(older_than=timedelta(0)) == 1
    start_worker("--pool=solo", BROKER_VISIBILITY_TIMEOUT_SECONDS="1")

    wait_until(lambda: PendingChange.objects.get().status == Status.APPLIED)
    wait_until(lambda: Job.objects.get(pk=lost_job.pk).is_finished)
    assert Job.objects.get(pk=lost_job.pk).summary.startswith("Nothing to do")
    assert PendingChange.objects.get().job.status == Job.Status.SUCCEEDED
    assert_applied_once(sandbox, psa_ticket, ticket)


def test_a_worker_process_killed_mid_write_is_replaced_and_the_edit_applied_exactly_once(
    technician_client,
    ticket,
    psa_ticket,
    sandbox,
    start_worker,
):
    # Tries close together and many: the new try is refused until the held write has landed.
    worker = start_worker(
        "--pool=prefork",
        "--concurrency=1",
        TASK_MAX_ATTEMPTS="100",
        TASK_RETRY_BACKOFF_MAX_SECONDS="0.5",
    )
    change = post_edit_held_at(technician_client, ticket, sandbox, call=2)
    (pool_process,) = pool_processes(worker.pid)
    # The worker hands the task out again at once (reject_on_worker_lost): the PSA answers
    # 503 to every new call until the held write has landed, so the new try reads after it.
    sandbox.set_faults(error_every=1, error_status=503, scope="psa")

    os.kill(pool_process, signal.SIGKILL)
    wait_until(lambda: sandbox.stats()["psa_writes"] == 1)
    wait_until(lambda: sandbox.stats()["faults_injected"].get("error"))  # tried again
    sandbox.clear_faults()

    wait_until(lambda: PendingChange.objects.get().status == Status.APPLIED)
    assert worker.poll() is None  # the worker lived on and replaced its process
    applied = PendingChange.objects.get()
    assert applied.job_id == change.job_id and applied.attempts >= 2  # no sweep needed
    assert_applied_once(sandbox, psa_ticket, ticket)


def pool_processes(pid: int) -> list[int]:
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()]
