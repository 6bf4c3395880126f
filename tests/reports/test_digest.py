"""The weekly digest: last week's dashboard figures, emailed to the managers and admins who
turned it on, with absolute links into the reports.

Sent on Monday 2026-03-16 it covers 2026-03-09..03-15 against 03-02..03-08, the data set of
test_dashboard: billable hours 3.00 now against 5.00 before (down 2.00); one ticket closed in
each week; kill rate 1 / 2 = 50 % now against 1 / 1 = 100 % before.
"""

import datetime
from unittest import mock

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse

from psaportal.accounts import roles
from psaportal.accounts.models import Profile
from psaportal.reports import tasks
from psaportal.reports.services import digest_send
from tests.reports import rows
from tests.reports.pages import body

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 16)
WEEK = {"range": "custom", "start": "2026-03-09", "end": "2026-03-15"}
QUERY = "range=custom&start=2026-03-09&end=2026-03-15"
at = rows.at


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://portal.example.com"


@pytest.fixture
def activity(connection):
    rows.member(connection, "alice", 8.0)
    rows.time_entry(connection, "alice", "2026-03-03", 5.0, "Billable")
    rows.time_entry(connection, "alice", "2026-03-10", 3.0, "Billable")
    rows.time_entry(connection, "alice", "2026-03-11", 2.0, "NoCharge")
    rows.ticket(connection, at("2026-03-03"), at("2026-03-04"))
    rows.ticket(connection, at("2026-03-10"), at("2026-03-12"))
    rows.ticket(connection, at("2026-03-11"))
    return connection


def opt_in(user, on: bool = True):
    Profile.objects.update_or_create(user=user, defaults={"weekly_digest": on})
    return user


def test_it_emails_last_weeks_figures(mailoutbox, manager, activity):
    opt_in(manager)
    assert digest_send(today=MONDAY) == 1
    [message] = mailoutbox
    assert message.to == ["manager@example.com"]
    assert message.subject == "PSA Portal weekly digest: 2026-03-09 – 2026-03-15"
    assert "Week 2026-03-09 – 2026-03-15, compared with the week before" in message.body
    assert "Billable hours: 3.00 (previous 5.00; down 2.00)" in message.body
    assert "Tickets closed: 1 (previous 1; unchanged)" in message.body
    assert "Kill rate %: 50.0 (previous 100.0; down 50.0 points)" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<td style="text-align: right;">3.00</td>' in html


def test_its_figures_are_the_dashboards(mailoutbox, manager, manager_client, activity):
    opt_in(manager)
    digest_send(today=MONDAY)
    dashboard = body(manager_client.get(reverse("reports:dashboard"), WEEK), "dashboard")
    assert len(dashboard) == 7
    for label, (current, previous, change, _link) in dashboard.items():
        change = change.removeprefix("▲ ").removeprefix("▼ ")
        line = f"{label}: {current} (previous {previous}; {change})"
        assert line in mailoutbox[0].body


def test_it_links_each_figure_to_its_report_for_that_week(mailoutbox, manager, activity):
    opt_in(manager)
    digest_send(today=MONDAY)
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    for slug in ("time", "service-desk", "pipeline", "expenses"):
        link = f"https://portal.example.com/reports/{slug}/?{QUERY}"
        assert link in message.body
        assert link.replace("&", "&amp;") in html
    dashboard = f"https://portal.example.com/reports/?{QUERY}"
    assert f"The manager dashboard: {dashboard}" in message.body
    assert "https://portal.example.com/accounts/profile/" in message.body


def test_it_goes_only_to_managers_and_admins_who_opted_in_with_an_email(
    mailoutbox, make_member, activity
):
    opt_in(make_member(roles.MANAGER, "mia"))
    opt_in(make_member(roles.ADMIN, "ada"))
    opt_in(make_member(roles.TECHNICIAN, "tom"))
    make_member(roles.MANAGER, "never_asked")
    opt_in(make_member(roles.MANAGER, "turned_off"), on=False)
    no_email = opt_in(make_member(roles.MANAGER, "no_email"))
    no_email.email = ""
    no_email.save()
    gone = opt_in(make_member(roles.MANAGER, "gone"))
    gone.is_active = False
    gone.save()

    assert digest_send(today=MONDAY) == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ada@example.com",
        "mia@example.com",
    ]


def test_it_sends_nothing_without_a_ready_connection(mailoutbox, manager):
    opt_in(manager)
    assert digest_send(today=MONDAY) == 0
    assert mailoutbox == []


def test_it_sends_each_week_once(mailoutbox, manager, activity):
    opt_in(manager)
    assert digest_send(today=MONDAY) == 1
    assert digest_send(today=MONDAY + datetime.timedelta(days=1)) == 0  # a second run
    assert digest_send(today=MONDAY + datetime.timedelta(days=7)) == 1
    assert [message.subject[-23:] for message in mailoutbox] == [
        "2026-03-09 – 2026-03-15",
        "2026-03-16 – 2026-03-22",
    ]


def test_the_task_sends_the_digest_for_today():
    with mock.patch("psaportal.reports.tasks.digest_send", autospec=True) as send:
        with mock.patch("django.utils.timezone.localdate", return_value=MONDAY):
            tasks.send_weekly_digest()
    send.assert_called_once_with(today=MONDAY)


def test_beat_sends_it_on_monday_mornings():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reports-weekly-digest"]
    assert entry["task"] == tasks.send_weekly_digest.name
    assert entry["schedule"] == crontab(minute=0, hour=7, day_of_week=1)
