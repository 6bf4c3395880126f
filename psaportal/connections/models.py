from django.conf import settings
from django.db import models


class Connection(models.Model):
    """Our copy of one Membrane connection to ConnectWise PSA."""

    class State(models.TextChoices):
        BUILDING = "BUILDING", "Building"
        CLIENT_ACTION_REQUIRED = "CLIENT_ACTION_REQUIRED", "Action required"
        CONFIGURATION_ERROR = "CONFIGURATION_ERROR", "Configuration error"
        SETUP_FAILED = "SETUP_FAILED", "Setup failed"
        READY = "READY", "Ready"
        DISCONNECTING = "DISCONNECTING", "Disconnecting"

    membrane_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=32, choices=State.choices, default=State.BUILDING)
    connected = models.BooleanField(default=False)
    is_defunct = models.BooleanField(default=False)
    client_action = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="Membrane's last answer.")
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ready_at = models.DateTimeField(
        null=True, blank=True, help_text="When Membrane last reported it READY and connected."
    )
    first_sync_queued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its first sync was queued, on first becoming READY (once per connection).",
    )
    watcher_job_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The job whose background poller may watch this; older ones stop.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name or self.membrane_id

    @property
    def is_disconnected(self) -> bool:
        """Defunct, or once working and now not: the admin must reconnect (banner everywhere)."""
        if self.is_defunct:
            return True
        if self.state == self.State.READY:
            return not self.connected
        return self.last_ready_at is not None

    @property
    def error_messages(self) -> list[str]:
        """The readable messages of Membrane's errors for this connection."""
        return [
            str(error.get("message"))
            for error in self.errors or []
            if isinstance(error, dict) and error.get("message")
        ]

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY and self.connected and not self.is_defunct
