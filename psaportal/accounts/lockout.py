"""Login throttling: django-axes' limit per username and address, plus one per address.

Axes locks a username at one address after AXES_FAILURE_LIMIT failures, so an address that
tries a password or two on each of many usernames (spraying) never reaches it. Axes has one
failure limit for all its lockout parameters: adding "ip_address" to them would lock a whole
office behind one address out after five typos. So the address's own, higher limit
(AXES_ADDRESS_FAILURE_LIMIT) is counted here, over the same cool-off time."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


class AddressLimitHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request.axes_ip_address) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            # Axes compares this one count with its limit, when it refuses a login and when
            # it answers a failed one: past the address's limit, as locked as a username.
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(ip_address: str) -> int:
    """Failed logins from this address, whatever the username, within the cool-off time."""
    recent = AccessAttempt.objects.filter(
        ip_address=ip_address, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
