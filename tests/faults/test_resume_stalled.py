"""The stalled-sync sweep (``sync_resume_stalled``, run by beat every 5 minutes), in-process:
it sends again the step a stalled job lacks, and leaves a job that is making progress alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psaportal.jobs.models import Job
from psaportal.records import registry
from psaportal.records.models import SyncPage, SyncRun
from psaportal.records.sync import services
from tests.faults.pristine import mirror_differences

pytestmark = pytest.mark.django_db
TICKETS = registry.get_kind("tickets")


@pytest.fixture
def small_pages(settings):
    settings.RECORDS_SYNC_PAGE_SIZE = 25


def test_a_sync_whose_first_message_was_lost_is_resumed_and_completes(
    psa_connection, membrane_client, small_pages
):
    # Not in a transaction that commits, so the job's first task is never sent: lost.
    job = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")
    assert not SyncRun.objects.filter(job=job).exclude(status=SyncRun.Status.QUEUED).exists()
    assert services.sync_resume_stalled() == 0  # not stalled yet: it may still be on its way

    assert services.sync_resume_stalled(older_than=timedelta(0)) == 1

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert SyncPage.objects.filter(run__job=job, done=True).count() > 1
    assert (
        mirror_differences(connection=psa_connection, client=membrane_client, kinds=["tickets"])
        == []
    )


def test_a_run_whose_finish_was_cut_short_is_finished_by_the_sweep(
    psa_connection, small_pages, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")
    # As a worker killed inside the finish's transaction leaves it: rolled back, the run
    # still marked finishing and the job unfinished.
    SyncRun.objects.filter(job=job).update(status=SyncRun.Status.FINISHING, finished_at=None)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, finished_at=None)

    assert services.sync_resume_stalled(older_than=timedelta(0)) == 1

    run = SyncRun.objects.get(job=job)
    assert run.status == SyncRun.Status.SUCCEEDED and run.finished_at is not None
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error


def test_beat_runs_both_sweeps_every_five_minutes(settings):
    from psaportal.records.changes.tasks import resend_stalled_changes
    from psaportal.records.sync.tasks import resume_stalled_syncs

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for task in (resume_stalled_syncs, resend_stalled_changes):
        assert schedule[task.name] == timedelta(minutes=5)


def test_a_new_start_resumes_a_stalled_sync_instead_of_starting_a_second(
    psa_connection, small_pages, settings, django_capture_on_commit_callbacks
):
    settings.JOB_STALLED_AFTER_SECONDS = 600
    job = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")  # lost
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sync_start(connection=psa_connection, kinds=[TICKETS]).pk == job.pk
    assert SyncRun.objects.get(job=job).status == SyncRun.Status.QUEUED  # not stalled yet

    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(seconds=601))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.sync_start(connection=psa_connection, kinds=[TICKETS], mode="full")

    assert again.pk == job.pk
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Job.objects.filter(kind=services.SYNC_JOB).count() == 1
