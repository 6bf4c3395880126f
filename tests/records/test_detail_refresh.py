"""The refresh buttons: a live re-fetch (detail) or an incremental sync (list) run as a Job
against the sandbox over HTTP, then the fresh section is swapped in."""

import pytest
from django.urls import reverse

from psaportal.jobs.models import Job
from psaportal.records.models import RecordDocument, SyncRun, Ticket
from tests.records.mirror_rows import mirror

pytestmark = pytest.mark.django_db


def test_refresh_from_psa_swaps_in_the_live_record(
    technician_client, psa_connection, live_ticket, django_capture_on_commit_callbacks
):
    stale = {**live_ticket, "summary": "Stale copy in the mirror"}
    mirror(psa_connection, "tickets", [stale])
    detail_url = reverse("records:detail", args=["tickets", live_ticket["id"]])
    assert "Stale copy in the mirror" in technician_client.get(detail_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(
            reverse("records:detail_refresh", args=["tickets", live_ticket["id"]]),
            HTTP_HX_REQUEST="true",
        )

    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_url == detail_url
    # The answer polls the job; once finished, the job loads the fresh section in place.
    assert f'hx-get="{reverse("jobs:detail", args=[job.pk])}"' in response.content.decode()
    poll = technician_client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Trigger"] == "job-finished"
    assert f'hx-get="{detail_url}"' in poll.content.decode()
    section = technician_client.get(detail_url, HTTP_HX_REQUEST="true").content.decode()
    assert live_ticket["summary"] in section
    assert "Stale copy" not in section
    assert Ticket.objects.get(psa_id=live_ticket["id"]).summary == live_ticket["summary"]


def test_refresh_without_javascript_comes_back_to_the_page(
    technician_client, psa_connection, live_ticket, django_capture_on_commit_callbacks
):
    mirror(psa_connection, "tickets", [live_ticket])
    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(
            reverse("records:detail_refresh", args=["tickets", live_ticket["id"]])
        )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    page = technician_client.get(response["Location"]).content.decode()
    assert f"Refresh ticket #{live_ticket['id']} from the PSA" in page
    assert "started." in page


def test_a_record_deleted_in_the_psa_leaves_the_mirror_on_refresh(
    technician_client, psa_connection, live_ticket, django_capture_on_commit_callbacks
):
    gone = {**live_ticket, "id": 987654321}
    mirror(psa_connection, "tickets", [gone])
    with django_capture_on_commit_callbacks(execute=True):
        technician_client.post(
            reverse("records:detail_refresh", args=["tickets", gone["id"]]),
            HTTP_HX_REQUEST="true",
        )
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert "no longer exists in the PSA" in job.summary
    section = technician_client.get(
        reverse("records:detail", args=["tickets", gone["id"]]), HTTP_HX_REQUEST="true"
    )
    assert "no longer in the mirror" in section.content.decode()
    assert not RecordDocument.objects.filter(psa_id=gone["id"]).exists()


def test_refresh_now_syncs_the_list_and_swaps_the_table_in(
    technician_client, psa_connection, live_ticket, django_capture_on_commit_callbacks
):
    list_url = reverse("records:list", args=["tickets"])
    assert technician_client.get(list_url).context["rows"] == []

    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(
            reverse("records:list_refresh", args=["tickets"]),
            {"query": "open=open&sort=psa_id"},
            HTTP_HX_REQUEST="true",
        )

    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert list(SyncRun.objects.values_list("kind", "status")) == [("tickets", "succeeded")]
    assert job.result_url == f"{list_url}?open=open&sort=psa_id"
    assert f'hx-get="{reverse("jobs:detail", args=[job.pk])}"' in response.content.decode()
    poll = technician_client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert f'hx-get="{list_url}?open=open&amp;sort=psa_id"' in poll.content.decode()

    rows = technician_client.get(job.result_url, HTTP_HX_REQUEST="true").content.decode()
    assert "last synced <time" in rows
    first_open = Ticket.objects.filter(closed_flag=False).order_by("psa_id").first()
    assert first_open is not None
    assert f'href="{list_url}{first_open.psa_id}/"' in rows
