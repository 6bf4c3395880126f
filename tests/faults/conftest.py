"""The fault suite's set-up: a small PSA (a few hundred records, so a full sync under faults
takes seconds), a real worker whose retries and timeouts are short, and helpers that wait
on the database and compare the mirror with the sandbox."""

import time

import pytest

from psaportal.celery import app as celery_app
from psaportal.sandbox.psa import SeedScale
from psaportal.sandbox.testing import start_sandbox

#: Small enough for a fast suite, large enough for several pages of every big kind.
SMALL_PSA = SeedScale(
    members=6,
    companies=12,
    contacts=24,
    tickets=120,
    projects=8,
    opportunities=10,
    time_entries=90,
    products=15,
    expense_entries=12,
    configurations=20,
)
#: The worker's settings here: many quick tries (faults come often), short waits, pages of
#: 25 records; a Membrane call held longer than ``MEMBRANE_TIMEOUT_SECONDS`` is a timeout.
QUICK_WORKER = {
    "TASK_MAX_ATTEMPTS": "25",
    "TASK_RETRY_BACKOFF_SECONDS": "0.05",
    "TASK_RETRY_BACKOFF_MAX_SECONDS": "0.3",
    "TASK_RETRY_AFTER_MAX_SECONDS": "0.3",
    "MEMBRANE_TIMEOUT_SECONDS": "1",
    "RECORDS_SYNC_PAGE_SIZE": "25",
}


@pytest.fixture(scope="session")
def sandbox():
    """This folder's sandbox: the shared fixtures (``psa_connection``…) use it here."""
    running = start_sandbox(build_seconds=0.2, scale=SMALL_PSA)
    yield running
    running.stop()


@pytest.fixture
def start_worker(celery_worker_process, transactional_db, settings):
    """``start_worker(*options, **env)``: a real worker on the test's Membrane, with the
    quick settings above unless ``env`` says otherwise."""
    celery_app.conf.task_always_eager = False
    settings.RECORDS_SYNC_PAGE_SIZE = int(QUICK_WORKER["RECORDS_SYNC_PAGE_SIZE"])

    def start(*options: str, **env: str):
        return celery_worker_process.start(
            membrane_url=str(settings.MEMBRANE_API_URL),
            membrane_token=str(settings.MEMBRANE_TOKEN),
            options=options or ("--pool=solo",),
            env=QUICK_WORKER | env,
        )

    return start


def wait_until(condition, seconds: float = 90, what: str = "the condition"):
    """Poll ``condition`` until it is true; fail after a generous deadline."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after {seconds} s")
        time.sleep(0.1)
    return value
