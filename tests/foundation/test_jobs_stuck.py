"""Stuck or dead work on the Job pages, and the admin's way out: send it again or mark it
failed (audited)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from psaportal.accounts.models import AuditEntry
from psaportal.jobs import selectors, tasks
from psaportal.jobs.models import Job

pytestmark = pytest.mark.django_db


def _said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _job(*, status=Job.Status.RUNNING, quiet: timedelta, **fields) -> Job:
    job = Job.objects.create(
        kind="worker_selftest",
        label="Background worker check",
        status=status,
        task_name=tasks.worker_selftest.name,
        task_parts=[[2, 0]],
        **fields,
    )
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - quiet)
    job.refresh_from_db()
    return job


def test_a_running_job_quiet_past_the_stalled_setting_is_shown_stuck(admin_client, settings):
    settings.JOB_STALLED_AFTER_SECONDS = 450
    stuck = _job(quiet=timedelta(seconds=451))
    busy = _job(quiet=timedelta(seconds=449))

    page = admin_client.get(f"/jobs/{stuck.pk}/").content.decode()
    assert "This job looks stuck." in page and "over 450 s" in page
    assert "Send it again" in page and "Mark it failed" in page
    assert "looks stuck" not in admin_client.get(f"/jobs/{busy.pk}/").content.decode()
    listing = admin_client.get("/jobs/").content.decode()
    assert listing.count(">Stuck</span>") == 1


def test_work_is_never_called_stalled_before_a_task_may_have_run_and_waited(settings):
    settings.JOB_STALLED_AFTER_SECONDS = 60
    settings.CELERY_TASK_TIME_LIMIT = 150
    settings.TASK_RETRY_AFTER_MAX_SECONDS = 300
    assert selectors.stalled_after() == timedelta(seconds=450)
    assert selectors.job_stuck_reason(job=_job(quiet=timedelta(seconds=449))) == ""
    queued = _job(status=Job.Status.QUEUED, quiet=timedelta(seconds=451))
    assert selectors.job_stuck_reason(job=queued) == (
        "It has waited in the queue for over 450 s: is a worker running?"
    )


def test_a_job_waiting_for_its_retry_is_not_stuck():
    job = _job(quiet=timedelta(hours=1), deferred_until=timezone.now() + timedelta(minutes=1))
    assert selectors.job_stuck_reason(job=job) == ""


def test_a_running_job_whose_worker_does_not_answer_is_stuck():
    job = _job(quiet=timedelta(seconds=5), worker="gone-worker@nowhere")
    assert selectors.job_stuck_reason(job=job) == ""  # the list does not ask
    reason = selectors.job_stuck_reason(job=job, ask_worker=True)
    assert reason == "Its worker (gone-worker@nowhere) no longer answers."


def test_an_admin_sends_a_stuck_job_again(admin_client, admin, django_capture_on_commit_callbacks):
    job = _job(quiet=timedelta(hours=1), attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/jobs/{job.pk}/requeue/")
    assert response.status_code == 302
    assert _said(response) == ["The job's work was sent again."]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED  # in-process: the work ran again at once
    assert job.attempts == 2
    entry = AuditEntry.objects.get(action="job.requeue")
    assert (entry.user, entry.target_id) == (admin, str(job.pk))


def test_an_admin_marks_a_stuck_job_failed(admin_client, admin):
    job = _job(status=Job.Status.QUEUED, quiet=timedelta(hours=1))
    response = admin_client.post(f"/jobs/{job.pk}/mark-failed/")
    assert _said(response) == ["The job was marked failed."]
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == f"Marked failed by {admin.username}: it was stuck."
    assert AuditEntry.objects.filter(action="job.mark_failed", target_id=str(job.pk)).exists()


def test_a_job_that_is_not_stuck_is_left_alone(admin_client):
    job = _job(quiet=timedelta(seconds=1))
    response = admin_client.post(f"/jobs/{job.pk}/mark-failed/")
    assert _said(response) == ["The job is no longer stuck."]
    response = admin_client.post(f"/jobs/{job.pk}/requeue/")
    assert _said(response)[-1] == "The job is no longer stuck (or cannot be sent again)."
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert not AuditEntry.objects.filter(target_type="job").exists()


def test_a_technician_cannot_send_again_or_fail_a_job(technician_client):
    job = _job(quiet=timedelta(hours=1))
    assert technician_client.post(f"/jobs/{job.pk}/requeue/").status_code == 403
    assert technician_client.post(f"/jobs/{job.pk}/mark-failed/").status_code == 403
    assert technician_client.get(f"/jobs/{job.pk}/requeue/").status_code == 405
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING


def test_new_jobs_keep_what_they_sent(admin_client):
    admin_client.post("/jobs/worker-check/")
    job = Job.objects.get(kind="worker_selftest")
    assert (job.task_name, job.task_parts) == ("psaportal.jobs.tasks.worker_selftest", [[]])
