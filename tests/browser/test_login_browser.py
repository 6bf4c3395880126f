import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_logs_in_and_sees_the_dashboard(login_page, technician, live_server):
    page = login_page(technician)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("Signed in as technician, Technician.").is_visible()
    # Role-based navigation: a technician has no Team page.
    assert page.get_by_role("link", name="Team").count() == 0


def test_wrong_password_shows_an_error_in_the_browser(page, live_server, technician):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("technician")
    page.get_by_label("Password").fill("not-it")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct username")
    assert page.get_by_label("Username").input_value() == "technician"
