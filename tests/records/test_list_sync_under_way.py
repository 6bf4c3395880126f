"""The list while a sync runs: it says so and how far it is, and while a kind's first sync
fills the mirror its counts and filter choices say "so far"."""

import pytest
from django.urls import reverse
from django.utils import timezone

from psaportal.records import registry
from psaportal.records.models import SyncRun, SyncState
from psaportal.records.sync import services
from tests.records.mirror_rows import mirror_samples

pytestmark = pytest.mark.django_db

TICKETS = registry.get_kind("tickets")
URL = reverse("records:list", args=["tickets"])


def sync_running(connection, *, mode: str, seen: int, total: int | None) -> SyncRun:
    """A sync of tickets under way, as its page tasks leave it (no task runs: the test's
    transaction never commits)."""
    job = services.sync_start(connection=connection, kinds=[TICKETS], mode=mode)
    run = SyncRun.objects.get(job=job)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.RUNNING, records_seen=seen, records_total=total
    )
    return run


def count_line(response) -> str:
    content = response.content.decode()
    start = content.index('<p class="small muted list-count">')
    return " ".join(content[start : content.index("</p>", start)].split())


def test_a_first_sync_says_how_far_it_is_and_that_counts_and_choices_are_so_far(
    technician_client, connection
):
    mirror_samples(connection, "tickets", 3)
    sync_running(connection, mode="full", seen=2_000, total=8_000)

    response = technician_client.get(URL)

    assert response.status_code == 200
    line = count_line(response)
    assert "1–3 of 3 so far" in line
    assert "first sync still running: 2,000 of 8,000 (25 %) tickets fetched" in line
    content = response.content.decode()
    assert "Filters (<span" in content and "active</span>, choices so far)" in content
    assert "Choices so far: the first sync of tickets is still running." in content


def test_the_rows_fragment_says_so_far_too(technician_client, connection):
    mirror_samples(connection, "tickets", 3)
    sync_running(connection, mode="full", seen=0, total=8_000)

    response = technician_client.get(URL, {"open": "open"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    line = count_line(response)
    assert " so far" in line
    assert "first sync still running: 0 of 8,000 (0 %) tickets fetched" in line


def test_a_sync_of_a_kind_synced_in_full_before_is_running_but_not_so_far(
    technician_client, connection
):
    mirror_samples(connection, "tickets", 3)
    SyncState.objects.update_or_create(
        connection=connection, kind="tickets", defaults={"last_full_sync_at": timezone.now()}
    )
    sync_running(connection, mode="full", seen=1_000, total=3)

    line = count_line(technician_client.get(URL))

    assert "1–3 of 3 ·" in line and "so far" not in line
    assert "sync still running: 1,000 of 3 (100 %) tickets fetched" in line
    assert "first sync" not in line


def test_once_the_sync_is_done_the_list_says_when_it_last_synced(technician_client, connection):
    mirror_samples(connection, "tickets", 3)
    run = sync_running(connection, mode="full", seen=3, total=3)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)
    SyncState.objects.update_or_create(
        connection=connection, kind="tickets", defaults={"last_full_sync_at": timezone.now()}
    )

    response = technician_client.get(URL)

    line = count_line(response)
    assert "so far" not in response.content.decode()
    assert "still running" not in line
    assert "last synced" in line


def test_the_list_refreshes_itself_while_a_sync_runs_and_stops_when_it_is_done(
    technician_client, connection
):
    mirror_samples(connection, "tickets", 3)
    run = sync_running(connection, mode="full", seen=0, total=8_000)

    content = technician_client.get(URL, {"open": "open"}).content.decode()
    poll = content[content.index('<div id="list-poll"') :].split(">")[0]
    assert 'hx-get="/records/tickets/?open=open"' in poll
    assert 'hx-trigger="every 3s"' in poll and 'hx-sync="#list-form:drop"' in poll
    assert 'hx-push-url="false"' in poll
    assert "js/list-poll.js" in content
    # Its refresh keeps the address bar as it is; a person's own filter request sets it.
    refresh = technician_client.get(
        URL, {"open": "open"}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="list-poll"
    )
    assert 'id="list-poll"' in refresh.content.decode()
    assert "HX-Push-Url" not in refresh.headers
    filtered = technician_client.get(URL, {"open": "open"}, HTTP_HX_REQUEST="true")
    assert filtered.headers["HX-Push-Url"] == "/records/tickets/?open=open"

    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)
    refresh = technician_client.get(
        URL, {"open": "open"}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="list-poll"
    )
    assert 'id="list-poll"' not in refresh.content.decode()


def test_a_person_s_request_is_read_out_as_a_count_and_the_self_refresh_is_not(
    technician_client, connection
):
    """The rows are no live region (a screen reader would read the whole table every 3 s
    while a sync runs); a search, filter or page updates the status line with the count."""
    mirror_samples(connection, "tickets", 3)
    sync_running(connection, mode="full", seen=0, total=8_000)

    page = technician_client.get(URL).content.decode()
    assert '<p id="list-announcement" class="visually-hidden" role="status"></p>' in page
    assert '<div id="list-rows">' in page

    sorted_rows = technician_client.get(URL, {"sort": "summary"}, HTTP_HX_REQUEST="true")
    assert (
        '<p id="list-announcement" hx-swap-oob="innerHTML">Tickets: 1–3 of 3 so far</p>'
        in sorted_rows.content.decode()
    )
    refresh = technician_client.get(
        URL, {"sort": "summary"}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="list-poll"
    )
    assert "list-announcement" not in refresh.content.decode()
