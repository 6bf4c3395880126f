"""What the admin consoles keep: the actions Membrane described, action searches and runs,
and requests sent to the PSA API through Membrane's proxy (the consoles' history)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.Model):
    """An action of the connection as Membrane last described it (from a search)."""

    membrane_id = models.CharField(max_length=100, unique=True)
    key = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    input_schema = models.JSONField(null=True, blank=True)
    output_schema = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=40, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["key", "name"]

    def __str__(self):
        return self.name or self.key or self.membrane_id

    @property
    def input_schema_rows(self) -> list:
        from psaportal.actions.schema_forms import schema_rows

        return schema_rows(self.input_schema)

    @property
    def output_schema_rows(self) -> list:
        from psaportal.actions.schema_forms import schema_rows

        return schema_rows(self.output_schema)


class ConsoleWork(models.Model):
    """What every console request shares: who, when, how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connection_membrane_id = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ActionSearch(ConsoleWork):
    """One search of the connection's actions by intent; the found actions in rank order."""

    intent = models.CharField(max_length=200)
    action_ids = models.JSONField(default=list, blank=True)

    class Meta(ConsoleWork.Meta):
        pass

    def __str__(self):
        return f"search {self.intent!r}"


class ActionRun(ConsoleWork):
    """One run of an action with an input; its output as Membrane returned it."""

    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # Copied from the action at the time, so history reads right if the action changes.
    action_membrane_id = models.CharField(max_length=100)
    action_key = models.CharField(max_length=200, blank=True)
    action_name = models.CharField(max_length=300, blank=True)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    output_size = models.PositiveBigIntegerField(null=True, blank=True)
    membrane_run_id = models.CharField(max_length=100, blank=True)

    class Meta(ConsoleWork.Meta):
        pass

    def __str__(self):
        return f"{self.action_key or self.action_name} run #{self.pk}"


class ProxyRequest(ConsoleWork):
    """One request to the PSA API through Membrane's proxy, and the PSA's answer.

    ``headers`` are only those the admin added; Membrane adds the PSA's credentials
    itself, so no Authorization header is ever held here.
    """

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    query = models.JSONField(default=list, blank=True, help_text="[[name, value], ...]")
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=list, blank=True)
    response_body = models.TextField(blank=True)
    response_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta(ConsoleWork.Meta):
        pass

    def __str__(self):
        return f"{self.method} {self.path}"
