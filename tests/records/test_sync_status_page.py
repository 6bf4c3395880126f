"""The sync status page and its "start a sync" form: admins only, bad input answered in words."""

import pytest

from psaportal.accounts.models import AuditEntry
from psaportal.jobs.models import Job
from psaportal.records.models import SyncRun
from tests.records.mirror_rows import ready_connection

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def connected():
    return ready_connection()


def test_it_shows_every_kind_and_the_history(client_for, admin, connected):
    content = client_for(admin).get("/records/sync/").content.decode()
    assert "Sync with ConnectWise PSA" in content
    assert 'value="tickets"' in content and 'value="statuses"' in content
    assert "No sync has run yet." in content


def test_it_asks_to_connect_first(client_for, admin):
    content = client_for(admin).get("/records/sync/").content.decode()
    assert "Sync with ConnectWise PSA" not in content
    assert "/connection/" in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "nonsense", "mode": "full"}, "There is no such kind of record to sync."),
        ({"kind": "tickets", "mode": "sideways"}, "Choose a full sync or a sync of changes."),
        ({"kind": "tickets"}, "Choose a full sync or a sync of changes."),
        ({"mode": "full"}, "Choose what to sync."),
    ],
)
def test_bad_input_is_answered_in_words_and_starts_nothing(
    client_for, admin, connected, data, message
):
    client = client_for(admin)
    fragment = client.post("/records/sync/start/", data, headers=HTMX)
    assert fragment.status_code == 200
    assert message in fragment.content.decode() and "<html" not in fragment.content.decode()
    page = client.post("/records/sync/start/", data, follow=True)
    assert message in page.content.decode()
    assert not Job.objects.exists()


def test_a_sync_of_one_kind_starts_a_job_that_comes_back_to_the_page(client_for, admin, connected):
    response = client_for(admin).post(
        "/records/sync/start/", {"kind": "tickets", "mode": "incremental"}, headers=HTMX
    )
    job = Job.objects.get()
    assert f'id="job-{job.pk}"' in response.content.decode()
    assert job.result_url == "/records/sync/"
    run = SyncRun.objects.get(job=job)
    assert (run.kind, run.mode) == ("tickets", "full")  # never synced: full first


def test_a_sync_of_everything_runs_parents_before_children(client_for, admin, connected):
    client_for(admin).post("/records/sync/start/", {"kind": "all", "mode": "full"})
    entry = AuditEntry.objects.get(action="sync.start")  # an admin's start is audited
    assert (entry.user, entry.target_id) == (admin, str(Job.objects.get().pk))
    kinds = list(SyncRun.objects.order_by("id").values_list("kind", flat=True))
    assert kinds.index("boards") < kinds.index("statuses") == len(kinds) - 1


def test_technicians_and_managers_are_refused(client_for, technician, manager, connected):
    for user in (technician, manager):
        client = client_for(user)
        assert client.get("/records/sync/").status_code == 403
        assert (
            client.post("/records/sync/start/", {"kind": "all", "mode": "full"}).status_code == 403
        )
    assert not Job.objects.exists()
