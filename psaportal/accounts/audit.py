"""The audit log: every write a user makes goes through record_audit."""

from psaportal.accounts.models import AuditEntry


def record_audit(
    *, user, action: str, target_type: str, target_id="", summary="", before=None, after=None
) -> AuditEntry:
    return AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=summary[:255],
        before=before,
        after=after,
    )
