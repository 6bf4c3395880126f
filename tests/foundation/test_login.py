import pytest
from django.urls import reverse

from tests.fixtures.users import PASSWORD


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
def test_good_login_reaches_the_dashboard(client, technician):
    response = client.post(
        reverse("login"), {"username": "technician", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Dashboard" in response.content


@pytest.mark.django_db
def test_bad_login_says_so_and_keeps_the_username(client, technician):
    response = client.post(reverse("login"), {"username": "technician", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="technician"' in response.content


@pytest.mark.django_db
def test_repeated_failed_logins_are_throttled(client, technician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "technician", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "technician", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_throttling_is_per_username(client, technician, make_member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "technician", "password": "wrong"})
    make_member("manager")
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_logout_ends_the_session(technician_client):
    response = technician_client.post(reverse("logout"))
    assert response.status_code == 302
    assert technician_client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link(client, technician, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "technician@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
