"""Background work of the reports: the weekly digest, started by Celery beat."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from psaportal.reports.services import digest_send


@shared_task(ignore_result=True)
def send_weekly_digest() -> None:
    """Email last week's key figures to the managers who asked for them (no Membrane call)."""
    digest_send(today=timezone.localdate())
