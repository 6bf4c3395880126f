from django.conf import settings
from django.db import models


class Job(models.Model):
    """One piece of background work. The single source of truth for its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=64, db_index=True)
    label = models.CharField(max_length=200, blank=True, help_text="What a person sees.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    result_url = models.CharField(
        max_length=500, blank=True, help_text="Where the finished result is shown; loaded in place."
    )
    attempts = models.PositiveIntegerField(default=0)
    # What was sent, so an admin can send a stuck job's work again: the task's name and the
    # arguments after the job id, one list per part.
    task_name = models.CharField(max_length=200, blank=True)
    task_parts = models.JSONField(null=True, blank=True)
    # The Celery worker (node name) of the latest attempt; empty in-process.
    worker = models.CharField(max_length=200, blank=True)
    # In-process mode only (no worker to hold a countdown): the task to send again later.
    deferred_task = models.JSONField(null=True, blank=True)
    deferred_until = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.label or self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))
