"""Reading the Job table."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from psaportal.jobs.models import Job

#: A job that has not moved for this long, and is not waiting for a retry, looks stuck.
STUCK_AFTER = timedelta(minutes=15)


def jobs_stuck(*, limit: int = 5) -> list[Job]:
    """Unfinished jobs with no news for a while: a lost worker, or no worker at all."""
    now = timezone.now()
    return list(
        Job.objects.filter(
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
            updated_at__lt=now - STUCK_AFTER,
        )
        .filter(Q(deferred_until__isnull=True) | Q(deferred_until__lt=now))
        .order_by("updated_at")[:limit]
    )
