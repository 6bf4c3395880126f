from django.conf import settings
from django.db import models


class Access(models.Model):
    """Holds the team permissions that the role groups grant; no table of its own."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_records", "See PSA records"),
            ("edit_records", "Edit PSA records"),
            ("view_reports", "Read manager reports"),
            ("manage_connection", "Connect the PSA account"),
            ("use_consoles", "Run integration actions and proxy requests"),
            ("manage_users", "Manage team members"),
        ]

    def __str__(self):
        return "Team permissions"


class AuditEntry(models.Model):
    """One write a user made: who, when, what, and the state before and after."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, help_text="Kept if the user is deleted.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.username} {self.action} {self.target_type} {self.target_id}"


class Profile(models.Model):
    """A team member's own preferences; made the first time they save them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    weekly_digest = models.BooleanField(
        default=False,
        help_text="Email me the manager dashboard's figures every Monday morning.",
    )
    digest_sent_for = models.DateField(
        null=True, blank=True, help_text="Monday of the week the last digest covered."
    )

    def __str__(self):
        return f"Profile of {self.user}"
