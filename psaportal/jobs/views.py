from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from psaportal import site_urls
from psaportal.accounts import roles
from psaportal.jobs import dispatch, selectors, services, tasks
from psaportal.jobs.models import Job


def job_started(request, *, job: Job, fallback_url: str):
    """The answer to a POST that started ``job``: its status fragment for HTMX (it polls
    itself), otherwise a redirect to its page (or to ``fallback_url`` once finished)."""
    if request.htmx:
        return render(request, "jobs/_job.html", {"job": job})
    messages.info(request, f"{job.label or 'The job'} started.")
    if job.is_finished:
        return redirect(fallback_url)
    return redirect("jobs:detail", job_id=job.pk)


def _visible_jobs(user):
    jobs = Job.objects.select_related("started_by")
    return jobs if user.has_perm(roles.MANAGE_CONNECTION) else jobs.filter(started_by=user)


def job_detail(request, job_id: int):
    """The job page, or just its status fragment for HTMX polling."""
    job = get_object_or_404(_visible_jobs(request.user), pk=job_id)
    if dispatch.resume_due():  # in-process: a retry that was waiting for its time
        job.refresh_from_db()
    if request.htmx:
        response = render(request, "jobs/_job.html", {"job": job})
        if job.is_finished:
            response["HX-Trigger"] = "job-finished"
        return response
    # Asking the worker takes up to a second: on a full load only, not on every poll.
    stuck = selectors.job_stuck_reason(job=job, ask_worker=True)
    return render(request, "jobs/job_detail.html", {"job": job, "stuck": stuck})


def _act_on_stuck_job(request, job_id: int, *, action, done: str, refused: str):
    """Run ``action`` (a service taking the job and the user) on a job that still looks
    stuck, and say how it went."""
    job = get_object_or_404(Job, pk=job_id)
    if selectors.job_stuck_reason(job=job, ask_worker=True) and action(job=job, user=request.user):
        messages.success(request, done)
    else:
        messages.error(request, refused)
    return redirect("jobs:detail", job_id=job.pk)


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def job_requeue(request, job_id: int):
    """Send a stuck job's work again (admins)."""
    return _act_on_stuck_job(
        request,
        job_id,
        action=services.job_requeue,
        done="The job's work was sent again.",
        refused="The job is no longer stuck (or cannot be sent again).",
    )


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def job_mark_failed(request, job_id: int):
    """End a stuck job as failed (admins)."""
    return _act_on_stuck_job(
        request,
        job_id,
        action=services.job_mark_failed,
        done="The job was marked failed.",
        refused="The job is no longer stuck.",
    )


@require_POST
def job_try_now(request, job_id: int):
    """Run a job's waiting retry now instead of at its time (in-process mode only)."""
    job = get_object_or_404(_visible_jobs(request.user), pk=job_id)
    dispatch.resume_due(job_id=job.pk)
    job.refresh_from_db()
    if request.htmx:
        return render(request, "jobs/_job.html", {"job": job})
    return redirect("jobs:detail", job_id=job.pk)


def job_list(request):
    jobs = list(_visible_jobs(request.user)[:100])
    job_url = site_urls.url_maker("jobs:detail")
    for job in jobs:
        job.stuck = selectors.job_stuck_reason(job=job)
        job.url = job_url(job.pk)
    return render(request, "jobs/job_list.html", {"jobs": jobs})


@require_POST
@permission_required(roles.MANAGE_CONNECTION, raise_exception=True)
def worker_check(request):
    job = services.job_start(
        kind="worker_selftest",
        label="Background worker check",
        user=request.user,
        task=tasks.worker_selftest,
    )
    if request.htmx:
        return render(request, "jobs/_job.html", {"job": job})
    return redirect("jobs:detail", job_id=job.pk)
