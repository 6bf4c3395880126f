"""@require_connection: record pages say "connect first" until the connection is READY."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from psaportal.connections.decorators import require_connection
from psaportal.connections.models import Connection
from psaportal.jobs.models import Job
from psaportal.records.models import SavedView
from tests.records.mirror_rows import mirror_samples, ready_connection

pytestmark = pytest.mark.django_db

CONNECT_FIRST = "Connect ConnectWise PSA first"
GET_URLS = [
    reverse("records:list", args=["tickets"]),
    reverse("records:export", args=["tickets"]),
    reverse("records:detail", args=["tickets", 1]),
]
POST_URLS = [
    reverse("records:list_refresh", args=["tickets"]),
    reverse("records:detail_refresh", args=["tickets", 1]),
    reverse("records:saved_view_create", args=["tickets"]),
]


@pytest.fixture
def tech(client_for, technician):
    return client_for(technician)


@require_connection
def echo_connection(request, connection):
    return HttpResponse(f"connection {connection.pk}")


def test_it_passes_the_ready_connection_to_the_view(rf: RequestFactory):
    connection = ready_connection()
    response = echo_connection(rf.get("/"))
    assert response.content.decode() == f"connection {connection.pk}"
    assert echo_connection.__name__ == "echo_connection"


@pytest.mark.parametrize("url", GET_URLS)
def test_it_shows_connect_first_without_a_connection(tech, url):
    response = tech.get(url)
    assert response.status_code == 200
    assert CONNECT_FIRST in response.content.decode()


@pytest.mark.parametrize("url", POST_URLS)
def test_a_post_without_a_connection_changes_nothing(tech, url):
    response = tech.post(url, {"name": "Mine", "query": "board=Network"})
    assert response.status_code == 200
    assert CONNECT_FIRST in response.content.decode()
    assert not Job.objects.exists()
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "state", [Connection.State.BUILDING, Connection.State.CLIENT_ACTION_REQUIRED]
)
def test_a_connection_not_ready_yet_is_not_enough(tech, state):
    Connection.objects.create(membrane_id="not-yet", state=state, connected=True)
    response = tech.get(reverse("records:list", args=["tickets"]))
    assert CONNECT_FIRST in response.content.decode()


def test_the_sync_page_needs_a_connection_too(client_for, admin):
    response = client_for(admin).get(reverse("records:sync"))
    assert response.status_code == 200
    assert CONNECT_FIRST in response.content.decode()


def test_with_a_ready_connection_the_page_is_shown(tech):
    mirror_samples(ready_connection(), "tickets", 2)
    response = tech.get(reverse("records:list", args=["tickets"]))
    assert CONNECT_FIRST not in response.content.decode()
    assert len(response.context["rows"]) == 2


@pytest.mark.parametrize("kind_key", ["nonsense", "members", "statuses"])
@pytest.mark.parametrize("connected", [False, True], ids=["not-connected", "connected"])
def test_an_unknown_or_lookup_kind_is_not_found(tech, kind_key, connected):
    if connected:
        ready_connection()
    assert tech.get(reverse("records:list", args=[kind_key])).status_code == 404
    assert tech.get(reverse("records:detail", args=[kind_key, 1])).status_code == 404
    assert tech.post(reverse("records:saved_view_create", args=[kind_key])).status_code == 404


def test_someone_without_the_records_role_is_refused_before_the_connection_check(
    client_for, django_user_model
):
    nobody = django_user_model.objects.create_user(username="nobody", password="x")
    response = client_for(nobody).get(reverse("records:list", args=["tickets"]))
    assert response.status_code == 403
