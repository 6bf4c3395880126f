"""Saved list views: a user keeps named filter + search + sort states per kind."""

import pytest
from django.urls import reverse

from psaportal.records.models import SavedView
from psaportal.records.saved_views import VIEWS_PER_KIND_MAX
from tests.records.mirror_rows import mirror_samples, ready_connection

pytestmark = pytest.mark.django_db

LIST = reverse("records:list", args=["tickets"])
SAVE = reverse("records:saved_view_create", args=["tickets"])


@pytest.fixture(autouse=True)
def tickets():
    mirror_samples(ready_connection(), "tickets", 12)


def test_saving_keeps_the_current_state_without_the_page(technician_client, technician):
    response = technician_client.post(
        SAVE, {"name": "  My   network  ", "query": "q=vpn&board=Network&sort=-summary&page=3"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=vpn&board=Network&sort=-summary&page=3"
    saved = SavedView.objects.get()
    assert (saved.user, saved.kind, saved.name) == (technician, "tickets", "My network")
    assert saved.query == "q=vpn&board=Network&sort=-summary"

    page = technician_client.get(response["Location"]).content.decode()
    assert "Saved the view “My network”." in page
    assert f'<a href="{LIST}?q=vpn&amp;board=Network&amp;sort=-summary">My network</a>' in page


def test_saving_drops_what_the_list_would_not_accept(technician_client):
    technician_client.post(
        SAVE, {"name": "Odd", "query": "status=Exploded&sort=nope&board=Network"}
    )
    assert SavedView.objects.get().query == "board=Network"


def test_saving_under_an_existing_name_updates_that_view(technician_client):
    technician_client.post(SAVE, {"name": "Mine", "query": "board=Network"})
    technician_client.post(SAVE, {"name": "Mine", "query": "board=Projects"})
    assert list(SavedView.objects.values_list("name", "query")) == [("Mine", "board=Projects")]


def test_a_view_needs_a_name(technician_client):
    response = technician_client.post(
        SAVE, {"name": " \x00 ", "query": "board=Network"}, follow=True
    )
    assert "Give the view a name." in response.content.decode()
    assert not SavedView.objects.exists()


def test_there_is_a_limit_per_list(technician_client, technician):
    SavedView.objects.bulk_create(
        SavedView(user=technician, kind="tickets", name=f"v{i}", query="")
        for i in range(VIEWS_PER_KIND_MAX)
    )
    response = technician_client.post(SAVE, {"name": "one more", "query": ""}, follow=True)
    assert f"You can keep {VIEWS_PER_KIND_MAX} views per list" in response.content.decode()
    assert SavedView.objects.count() == VIEWS_PER_KIND_MAX


def test_views_are_per_user_and_per_kind(client_for, technician, manager):
    SavedView.objects.create(user=technician, kind="tickets", name="Tech view", query="")
    SavedView.objects.create(user=manager, kind="tickets", name="Manager view", query="")
    SavedView.objects.create(user=technician, kind="companies", name="Company view", query="")
    page = client_for(technician).get(LIST).content.decode()
    assert "Tech view" in page
    assert "Manager view" not in page
    assert "Company view" not in page


def test_deleting_a_view(technician_client, technician):
    saved = SavedView.objects.create(user=technician, kind="tickets", name="Gone", query="")
    url = reverse("records:saved_view_delete", args=["tickets", saved.pk])
    assert technician_client.get(url).status_code == 405
    response = technician_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not SavedView.objects.exists()


def test_nobody_deletes_another_users_view(client_for, technician, admin):
    saved = SavedView.objects.create(user=technician, kind="tickets", name="Mine", query="")
    url = reverse("records:saved_view_delete", args=["tickets", saved.pk])
    assert client_for(admin).post(url).status_code == 404
    assert SavedView.objects.filter(pk=saved.pk).exists()


def test_saving_needs_a_post(technician_client):
    assert technician_client.get(SAVE).status_code == 405
