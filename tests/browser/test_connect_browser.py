"""The connect wizard in Chromium: the admin walks through Membrane's clientAction.

The dashboard runs on Django's live server with tasks in-process (eager); Membrane is the
sandbox over HTTP, and its consent page opens in a new tab as it would for a real admin.
Each state is saved as a screenshot under var/screenshots/.
"""

from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from psaportal.connections import services
from psaportal.connections.models import Connection
from tests.fixtures.sandbox import point_membrane_at, unused_local_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SIGN_IN_LINK = "Open the ConnectWise PSA sign-in page"
CHECK_AGAIN = "I've finished, check again"


@pytest.fixture
def wizard(login_page, admin, live_server):
    """The admin's browser, logged in and on the connection page."""
    page = login_page(admin)
    page.get_by_role("link", name="Connection").click()
    expect(page.get_by_role("heading", name="ConnectWise PSA connection")).to_be_visible()
    return page


def records_sync_exists() -> bool:
    try:
        reverse("records:sync")
    except NoReverseMatch:
        return False
    return True


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def status(page):
    return page.locator("#connection-status")


def expect_state(page, state: str, heading: str):
    expect(status(page)).to_have_attribute("data-state", state)
    expect(status(page).get_by_role("heading", name=heading)).to_be_visible()


def open_client_action(page, link_name: str = SIGN_IN_LINK):
    """Click the uiUrl button; Membrane's page opens in a new tab, which is returned."""
    link = status(page).get_by_role("button", name=link_name)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    with page.context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    tab.wait_for_load_state()
    return tab


def answer_consent(page, button: str, answer: str) -> None:
    """Open Membrane's page from the wizard, press ``button`` there, see ``answer``, close it."""
    consent = open_client_action(page)
    consent.get_by_role("button", name=button).click()
    expect(consent.get_by_text(answer)).to_be_visible()
    consent.close()


def test_admin_connects_through_the_sandbox_consent_page(wizard, wizard_sandbox, monkeypatch):
    page = wizard
    expect_state(page, "NONE", "Not connected yet")
    screenshot(page, "01-not-connected")

    # Membrane takes a few seconds to build; one short long-poll leaves it BUILDING.
    wizard_sandbox.set_settings(build_seconds=3)
    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 1)
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    expect_state(page, "BUILDING", "Preparing the connection")
    expect(status(page).locator("progress")).to_be_visible()
    screenshot(page, "02-building")

    # "Check again" long-polls until the build is over.
    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 30)
    status(page).get_by_role("button", name="Check again").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")
    expect(status(page)).to_contain_text("Sign in to ConnectWise PSA to authorize access.")
    expect(status(page)).to_contain_text("Instructions from Membrane:")
    screenshot(page, "03-client-action-required")

    consent = open_client_action(page)
    assert consent.url.startswith(f"{wizard_sandbox.url}/ui/connect/")
    expect(consent.get_by_role("heading", name="Connect ConnectWise PSA")).to_be_visible()
    screenshot(consent, "04-sandbox-consent-page")
    consent.get_by_role("button", name="Authorize").click()
    expect(consent.get_by_text("ConnectWise PSA is connected.")).to_be_visible()
    consent.close()

    status(page).get_by_role("button", name=CHECK_AGAIN).click()
    expect_state(page, "READY", "Connected")
    connection = Connection.objects.get()
    expect(status(page).locator("strong", has_text=connection.name)).to_be_visible()
    if records_sync_exists():
        expect(status(page).get_by_role("button", name="Sync everything again")).to_be_visible()
    else:
        expect(status(page)).to_contain_text("Syncing records is not available")
    screenshot(page, "05-ready")


def test_the_page_notices_the_authorization_by_itself(wizard, wizard_sandbox):
    """In-process (the embedded default): nobody presses "check again"; the page's own poll
    runs the connection poller, which sees READY."""
    page = wizard
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")

    answer_consent(page, "Authorize", "ConnectWise PSA is connected.")

    # In-process, the poll that sees READY also runs the first sync before it answers.
    expect(status(page)).to_have_attribute("data-state", "READY", timeout=120_000)
    expect(status(page).get_by_role("heading", name="Connected")).to_be_visible()
    # The first sync ran by itself (in-process): the ticket list is full without a click.
    status(page).get_by_role("link", name="Open the ticket list").click()
    expect(page.locator("#list-rows tbody tr[id^='tickets-row-']")).to_have_count(50)


def test_denied_access_shows_the_error_and_retry_connects(wizard, wizard_sandbox):
    page = wizard
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")

    answer_consent(page, "Deny", "Access was denied")

    status(page).get_by_role("button", name=CHECK_AGAIN).click()
    expect_state(page, "SETUP_FAILED", "Setup failed")
    expect(status(page).get_by_role("alert")).to_have_text(
        "Access to ConnectWise PSA was denied on the authorization page."
    )
    screenshot(page, "06-setup-failed")

    status(page).get_by_role("button", name="Retry").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")
    answer_consent(page, "Authorize", "ConnectWise PSA is connected.")
    status(page).get_by_role("button", name=CHECK_AGAIN).click()
    expect_state(page, "READY", "Connected")


def test_provide_input_is_a_request_for_more_information(wizard, wizard_sandbox):
    page = wizard
    wizard_sandbox.set_settings(connect_flow="provide-input")
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Membrane needs more information")
    expect(status(page)).to_contain_text(
        "Tell us which ConnectWise PSA site and company to connect to."
    )
    screenshot(page, "07-provide-input")

    form = open_client_action(page, "Open the form to give the details")
    form.get_by_label("PSA site").fill("api-na.myconnectwise.net")
    form.get_by_label("Company id").fill("acme")
    form.get_by_role("button", name="Continue").click()
    expect(form.get_by_role("button", name="Authorize")).to_be_visible()
    form.close()

    status(page).get_by_role("button", name=CHECK_AGAIN).click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")


def test_a_disconnected_connection_shows_a_banner_with_reconnect(wizard, wizard_sandbox):
    page = wizard
    wizard_sandbox.set_settings(auto_authorize=True)
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    expect_state(page, "READY", "Connected")

    wizard_sandbox.connection_step(Connection.objects.get().membrane_id, "disconnect")
    status(page).get_by_role("button", name="Check the connection").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Reconnect ConnectWise PSA")
    expect(page.locator(".connection-banner")).to_have_count(0)  # the wizard says it already

    page.get_by_role("link", name="Dashboard").click()
    banner = page.locator(".connection-banner")
    expect(banner).to_contain_text("ConnectWise PSA is disconnected.")
    expect(banner).to_contain_text("The ConnectWise PSA credentials stopped working; reconnect.")
    screenshot(page, "08-disconnected-banner")

    wizard_sandbox.set_settings(auto_authorize=False)
    banner.get_by_role("button", name="Reconnect").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Reconnect ConnectWise PSA")
    screenshot(page, "09-reconnect")
    answer_consent(page, "Authorize", "ConnectWise PSA is connected.")
    status(page).get_by_role("button", name=CHECK_AGAIN).click()
    expect_state(page, "READY", "Connected")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".connection-banner")).to_have_count(0)


def test_membrane_unreachable_shows_a_readable_error_and_retry_works(
    wizard, wizard_sandbox, settings
):
    page = wizard
    settings.TASK_MAX_ATTEMPTS = 2
    settings.TASK_RETRY_BACKOFF_SECONDS = 3
    membrane_down_url = unused_local_url()
    point_membrane_at(settings, membrane_down_url, wizard_sandbox.token)
    page.get_by_role("button", name="Connect ConnectWise PSA").click()
    # A dropped connection may pass: the page says it will try again, and its own poll
    # does (in-process there is no worker to wait for the backoff).
    expect(status(page)).to_contain_text("(attempt 2 of 2)")
    # After the backoff (up to 3.75 s) and the poll that runs the last try.
    expect(
        status(page).get_by_role("heading", name="The last request to Membrane failed")
    ).to_be_visible(timeout=30_000)
    expect(status(page).get_by_role("alert")).to_contain_text(
        f"Could not reach Membrane at {membrane_down_url}."
    )
    screenshot(page, "10-membrane-unreachable")

    point_membrane_at(settings, wizard_sandbox.url, wizard_sandbox.token)
    status(page).get_by_role("button", name="Try again").click()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")


@pytest.mark.parametrize(
    ("state", "heading", "error"),
    [
        ("CONFIGURATION_ERROR", "Configuration error", "The PSA site is not set."),
        ("DISCONNECTING", "Disconnecting", "The connection is being removed."),
    ],
)
def test_error_states_show_the_error_and_a_retry(wizard, state, heading, error):
    """States the sandbox never produces, stored as Membrane would describe them."""
    page = wizard
    Connection.objects.create(
        membrane_id="c-1", name="ConnectWise PSA", state=state, errors=[{"message": error}]
    )
    page.reload()
    expect_state(page, state, heading)
    expect(status(page).get_by_role("alert")).to_have_text(error)
    expect(status(page).get_by_role("button", name="Retry")).to_be_visible()
    screenshot(page, f"11-{state.lower().replace('_', '-')}")


def test_a_javascript_ui_url_is_not_a_link(wizard, client_action_connection):
    page = wizard
    client_action_connection(
        description="Sign in to ConnectWise PSA to authorize access.",
        uiUrl="javascript:document.title='owned'",
    )
    page.reload()
    expect_state(page, "CLIENT_ACTION_REQUIRED", "Sign in to ConnectWise PSA")
    expect(status(page).locator("a[href^='javascript']")).to_have_count(0)
    expect(status(page).get_by_role("button", name=SIGN_IN_LINK)).to_have_count(0)
    expect(status(page).locator("code.untrusted-url")).to_have_text(
        "javascript:document.title='owned'"
    )
    expect(status(page)).to_contain_text("not a safe web link")
    screenshot(page, "12-untrusted-ui-url")


def test_a_technician_is_refused_the_connection_page(login_page, technician, live_server):
    page = login_page(technician)
    expect(page.get_by_role("link", name="Connection")).to_have_count(0)
    response = page.goto(f"{live_server.url}/connection/")
    assert response.status == 403
    expect(page.get_by_role("button", name="Connect ConnectWise PSA")).to_have_count(0)
    screenshot(page, "13-technician-403")
