"""Finding actions by intent: the search runs as a job against the sandbox and its results
are swapped in; the right action comes first for several phrasings."""

import pytest
from django.urls import reverse

from psaportal.actions.models import ActionSearch
from psaportal.jobs.models import Job

pytestmark = pytest.mark.django_db


def search(console, intent, capture, **headers):
    with capture(execute=True):
        return console.post(reverse("actions:search-start"), {"intent": intent}, **headers)


@pytest.mark.parametrize(
    ("intent", "first_key"),
    [
        ("list open tickets", "list-tickets"),
        ("show me all the companies", "list-companies"),
        ("get one contact by id", "get-contact"),
        ("raise a new ticket", "create-ticket"),
        ("close a ticket", "update-ticket"),
        ("log time worked", "list-time-entries"),
    ],
)
def test_the_right_action_comes_first(
    console, intent, first_key, django_capture_on_commit_callbacks
):
    search(console, intent, django_capture_on_commit_callbacks)
    found = ActionSearch.objects.get()
    assert found.status == "succeeded", found.error
    page = console.get(reverse("actions:search", args=[found.pk])).content.decode()
    first = page.index('class="action-result"')
    assert f'<code class="small">{first_key}</code>' in page[first : first + 600]


def test_htmx_search_polls_the_job_then_swaps_in_the_results(
    console, django_capture_on_commit_callbacks
):
    response = search(
        console, "list open tickets", django_capture_on_commit_callbacks, HTTP_HX_REQUEST="true"
    )
    job = Job.objects.get(kind="actions_search")
    found = ActionSearch.objects.get()
    assert f'id="job-{job.pk}"' in response.content.decode()
    poll = console.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    results_url = reverse("actions:search", args=[found.pk])
    assert f'hx-get="{results_url}"' in poll.content.decode()
    fragment = console.get(results_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "List Tickets" in fragment
    assert "Retrieve a list of service tickets" in fragment
    # The schemas are readable: fields, types and descriptions.
    assert "<code>conditions</code>" in fragment
    assert "ConnectWise conditions" in fragment
    assert "list of object" in fragment


def test_without_javascript_the_search_leads_to_its_results(
    console, django_capture_on_commit_callbacks
):
    response = search(console, "list companies", django_capture_on_commit_callbacks)
    found = ActionSearch.objects.get()
    assert response.status_code == 302
    job_page = console.get(response["Location"]).content.decode()
    results_url = reverse("actions:search", args=[found.pk])
    assert f'href="{results_url}"' in job_page
    assert "List Companies" in console.get(results_url).content.decode()


def test_a_search_that_finds_nothing_says_why(console, django_capture_on_commit_callbacks):
    search(console, "xyzzy plugh", django_capture_on_commit_callbacks)
    found = ActionSearch.objects.get()
    page = console.get(reverse("actions:search", args=[found.pk])).content.decode()
    assert "Membrane found no action for “xyzzy plugh”" in page
    assert reverse("api_console:console") in page


def test_an_empty_search_is_refused_on_the_field(console):
    response = console.post(reverse("actions:search-start"), {"intent": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ActionSearch.objects.exists()


def test_a_failed_search_says_why(console, django_capture_on_commit_callbacks, settings):
    from tests.fixtures.sandbox import unused_local_url

    settings.MEMBRANE_API_URL = unused_local_url()
    settings.TASK_MAX_ATTEMPTS = 1
    search(console, "list tickets", django_capture_on_commit_callbacks)
    job = Job.objects.get()
    found = ActionSearch.objects.get()
    assert job.status == "failed"
    assert "Could not reach Membrane" in job.error
    assert found.status == "failed" and "Could not reach Membrane" in found.error
    page = console.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Could not reach Membrane" in page
