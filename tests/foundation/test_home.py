"""The home page: where a technician and an admin start the day."""

import datetime

import pytest
from django.utils import timezone

from psaportal.jobs.models import Job
from psaportal.records.models import PendingChange, SyncRun
from tests.records.mirror_rows import mirror, ready_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return ready_connection()


def stamp(day: datetime.date, hour: int = 9) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


@pytest.fixture
def tess(connection, technician):
    """The technician is the PSA member "tess" (same e-mail), with three open tickets of
    different urgency, one closed, one of a colleague, and time this week and last."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    mirror(
        connection, "members", [{"id": 7, "identifier": "tess", "officeEmail": technician.email}]
    )
    mirror(
        connection,
        "priorities",
        [{"id": 1, "name": "Urgent", "sortOrder": 1}, {"id": 2, "name": "Low", "sortOrder": 9}],
    )

    def ticket(psa_id, summary, priority, entered, owner="tess", closed=False):
        return {
            "id": psa_id,
            "summary": summary,
            "owner": {"id": 7, "identifier": owner},
            "priority": {"id": priority, "name": "Urgent" if priority == 1 else "Low"},
            "closedFlag": closed,
            "_info": {"dateEntered": stamp(entered)},
        }

    mirror(
        connection,
        "tickets",
        [
            ticket(1, "Low and old", 2, monday - datetime.timedelta(days=30)),
            ticket(2, "Urgent and new", 1, today),
            ticket(3, "Urgent and older", 1, monday - datetime.timedelta(days=3)),
            ticket(4, "Already closed", 1, today, closed=True),
            ticket(5, "A colleague's", 1, today, owner="max"),
        ],
    )

    def entry(psa_id, day, hours, who="tess"):
        return {
            "id": psa_id,
            "member": {"id": 7, "identifier": who},
            "timeStart": stamp(day),
            "actualHours": hours,
        }

    mirror(
        connection,
        "time_entries",
        [
            entry(1, today, 1.5),
            entry(2, monday, 2.0),
            entry(3, monday - datetime.timedelta(days=1), 4.0),  # last week
            entry(4, today, 3.0, who="max"),
        ],
    )
    return today, monday


def test_a_technician_sees_their_open_tickets_most_urgent_and_oldest_first(technician_client, tess):
    response = technician_client.get("/")
    work = response.context["my_work"]
    assert [ticket["summary"] for ticket in work["tickets"]] == [
        "Urgent and older",
        "Urgent and new",
        "Low and old",
    ]
    assert work["open_count"] == 3
    assert work["tickets_url"] == "/records/tickets/?owner=tess&open=open"
    content = response.content.decode()
    assert "My open tickets" in content and "/records/tickets/?owner=tess&amp;open=open" in content


def test_a_technician_sees_the_hours_logged_today_and_this_week(technician_client, tess):
    today, monday = tess
    work = technician_client.get("/").context["my_work"]
    assert work["hours_today"] == (3.5 if today == monday else 1.5)
    assert work["hours_week"] == 3.5  # last week's 4 h and the colleague's 3 h do not count


def test_a_technician_who_is_no_psa_member_is_told_why(technician_client, connection):
    response = technician_client.get("/")
    assert response.context["my_work"] == {}
    assert "No PSA member has your e-mail address" in response.content.decode()


def test_a_technician_sees_their_open_changes(technician_client, technician, connection):
    for n, status in enumerate(["pending", "failed", "failed", "conflict", "applied"]):
        PendingChange.objects.create(
            connection=connection, kind="tickets", psa_id=n, changes={}, seen={},
            status=status, idempotency_key=f"k{n}", author=technician,
        )  # fmt: skip
    response = technician_client.get("/")
    assert response.context["my_changes"] == {"waiting": 1, "failed": 2, "conflict": 1}
    assert "2 failed." in response.content.decode()


def test_an_admin_sees_each_kinds_last_sync_and_work_that_looks_stuck(
    client_for, admin, connection
):
    SyncRun.objects.create(connection=connection, kind="tickets", status="succeeded")
    SyncRun.objects.create(
        connection=connection, kind="tickets", status="failed", error="The PSA said no."
    )
    stuck = Job.objects.create(kind="records.sync", label="Full sync", status="running")
    waiting = Job.objects.create(
        kind="records.change", label="Waiting its turn", status="running",
        deferred_until=timezone.now() + datetime.timedelta(minutes=5),
    )  # fmt: skip
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Job.objects.filter(pk__in=[stuck.pk, waiting.pk]).update(updated_at=an_hour_ago)

    response = client_for(admin).get("/")

    tickets = next(row for row in response.context["sync_health"] if row["key"] == "tickets")
    assert tickets["failed"] and tickets["run"].error == "The PSA said no."
    assert [job.pk for job in response.context["stuck_jobs"]] == [stuck.pk]
    content = response.content.decode()
    assert "The PSA said no." in content and "Full sync" in content
    assert "Waiting its turn" not in content


def test_a_technician_sees_no_admin_blocks(technician_client, connection):
    context = technician_client.get("/").context
    assert "sync_health" not in context and "stuck_jobs" not in context
