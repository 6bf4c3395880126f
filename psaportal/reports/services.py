"""The weekly digest: the manager dashboard's key figures for last week, emailed to each
manager and admin who turned it on on their profile, with links into the reports."""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.accounts.models import Profile
from psaportal.connections.selectors import connection_ready
from psaportal.reports import periods
from psaportal.reports.selectors.dashboard import dashboard_figures

logger = logging.getLogger(__name__)


def digest_recipients() -> list:
    """Active users who turned the digest on, have an email, and may read the reports."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, profile__weekly_digest=True)
        .exclude(email="")
        .order_by("pk")
    )
    return [user for user in users if user.has_perm(roles.VIEW_REPORTS)]


def _absolute(path: str, query: str = "") -> str:
    return f"{settings.SITE_URL}{path}" + (f"?{query}" if query else "")


def digest_context(*, connection, period: periods.Period) -> dict:
    """What the digest shows: the dashboard's figures for `period`, each with an absolute
    link to its report over the same dates."""
    query = urlencode(
        {"range": periods.CUSTOM, "start": period.start.isoformat(), "end": period.end.isoformat()}
    )
    figures = dashboard_figures(connection=connection, period=period).figures
    return {
        "period": period,
        "rows": [
            (figure, _absolute(reverse("reports:report", args=[figure.report]), query))
            for figure in figures
        ],
        "dashboard_url": _absolute(reverse("reports:dashboard"), query),
        "profile_url": _absolute(reverse("accounts:profile")),
    }


def digest_message(*, user, context: dict) -> EmailMultiAlternatives:
    """The digest for one user: a plain-text body and an HTML alternative."""
    context = {**context, "user": user}
    message = EmailMultiAlternatives(
        subject=f"PSA Portal weekly digest: {context['period'].label}",
        body=render_to_string("reports/digest_email.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("reports/digest_email.html", context), "text/html")
    return message


def digest_send(*, today: datetime.date) -> int:
    """Email last week's digest (the Monday-to-Sunday week before `today`) to every
    recipient who has not had it for that week yet; how many were sent.

    1. Nothing without a ready connection: there would be no figures to trust.
    2. The figures are worked out once, for everyone.
    3. Each recipient's week is claimed before their email goes (a conditional update),
       so a task run twice sends nobody the same week twice.
    """
    connection = connection_ready()
    if connection is None:
        logger.info("weekly digest: not sent, the PSA is not connected")
        return 0
    period = periods.period_for(periods.LAST_WEEK, today=today)
    context = digest_context(connection=connection, period=period)
    sent = 0
    for user in digest_recipients():
        claimed = (
            Profile.objects.filter(user=user)
            .exclude(digest_sent_for=period.start)
            .update(digest_sent_for=period.start)
        )
        if claimed != 1:
            continue
        digest_message(user=user, context=context).send()
        sent += 1
    return sent
