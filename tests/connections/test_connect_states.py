"""Each state of the wizard, rendered from what the sandbox answered over HTTP."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from psaportal.accounts.models import AuditEntry
from psaportal.connections.models import Connection
from tests.connections.helpers import check, connect, current, page

pytestmark = pytest.mark.django_db


def test_without_a_connection_the_page_offers_to_connect(admin_client):
    response = page(admin_client)
    assert response.status_code == 200
    assert b"Not connected yet" in response.content
    assert b"Connect ConnectWise PSA" in response.content


def test_connect_stores_the_answer_and_shows_the_client_action(
    admin_client, admin, wizard_sandbox, django_capture_on_commit_callbacks
):
    response = connect(admin_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    connection = current()
    assert connection.state == Connection.State.CLIENT_ACTION_REQUIRED
    assert connection.connected_by == admin
    ui_url = connection.client_action["uiUrl"]
    assert ui_url.startswith(wizard_sandbox.url + "/ui/connect/")

    content = page(admin_client).content.decode()
    assert "Sign in to ConnectWise PSA" in content
    assert "Sign in to ConnectWise PSA to authorize access." in content  # description
    assert "Instructions from Membrane:" in content  # agentInstructions
    assert f'<a href="{ui_url}" target="_blank" rel="noopener noreferrer" role="button"' in content
    assert "I've finished, check again" in content
    assert AuditEntry.objects.filter(action="connection.connect", user=admin).count() == 1


def test_building_shows_progress(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    from psaportal.connections import services

    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 1)
    wizard_sandbox.set_settings(build_seconds=30)
    connect(admin_client, django_capture_on_commit_callbacks)
    assert current().state == Connection.State.BUILDING
    content = page(admin_client).content.decode()
    assert "Preparing the connection" in content
    assert "<progress" in content
    assert 'hx-trigger="load delay:2s"' in content  # the page keeps polling


def test_provide_input_is_shown_as_a_request_for_information(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    wizard_sandbox.set_settings(connect_flow="provide-input")
    connect(admin_client, django_capture_on_commit_callbacks)
    assert current().client_action["type"] == "provide-input"
    content = page(admin_client).content.decode()
    assert "Membrane needs more information" in content
    assert "Tell us which ConnectWise PSA site and company to connect to." in content
    assert "Open the form to give the details" in content


def test_authorized_connection_is_ready_after_check_again(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    response = check(admin_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    connection = current()
    assert connection.is_ready
    content = page(admin_client).content.decode()
    assert "Connected" in content
    assert f"<strong>{connection.name}</strong>" in content
    assert "hx-trigger" not in content.split('id="connection-status"')[1].split(">")[0]


def test_ready_offers_a_resync_when_the_records_app_does(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    check(admin_client, django_capture_on_commit_callbacks)
    content = page(admin_client).content.decode()
    try:
        sync_start_url = reverse("records:sync_start")
    except NoReverseMatch:
        assert "Sync everything again" not in content
        assert "not available in this version" in content
    else:
        form = content.split(f'action="{sync_start_url}"')[1].split("</form>")[0]
        assert '<input type="hidden" name="kind" value="all">' in form
        assert (
            '<button type="submit" name="mode" value="full" class="secondary">'
            "Sync everything again</button>"
        ) in form


def test_denied_access_ends_in_setup_failed_with_a_working_retry(
    admin_client, admin, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    wizard_sandbox.connection_step(current().membrane_id, "deny")
    check(admin_client, django_capture_on_commit_callbacks)
    assert current().state == Connection.State.SETUP_FAILED
    content = page(admin_client).content.decode()
    assert "Setup failed" in content
    assert "Access to ConnectWise PSA was denied on the authorization page." in content
    assert 'name="intent" value="retry"' in content

    connect(admin_client, django_capture_on_commit_callbacks, intent="retry")
    assert current().state == Connection.State.CLIENT_ACTION_REQUIRED
    assert AuditEntry.objects.filter(action="connection.retry", user=admin).exists()
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    check(admin_client, django_capture_on_commit_callbacks)
    assert current().is_ready


@pytest.mark.parametrize(
    ("state", "heading"),
    [("CONFIGURATION_ERROR", "Configuration error"), ("DISCONNECTING", "Disconnecting")],
)
def test_states_the_sandbox_does_not_produce_show_the_error_and_a_retry(
    admin_client, state, heading
):
    Connection.objects.create(
        membrane_id="c-1",
        name="PSA",
        state=state,
        errors=[{"type": "configuration", "message": "The PSA site <b>is</b> wrong."}],
    )
    content = page(admin_client).content.decode()
    assert heading in content
    assert "The PSA site &lt;b&gt;is&lt;/b&gt; wrong." in content
    assert 'name="intent" value="retry"' in content


def test_disconnected_connection_shows_a_banner_with_reconnect_on_every_page(
    admin_client, admin, technician, client, wizard_sandbox, django_capture_on_commit_callbacks
):
    connect(admin_client, django_capture_on_commit_callbacks)
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    check(admin_client, django_capture_on_commit_callbacks)
    assert b"connection-banner" not in admin_client.get(reverse("home")).content

    wizard_sandbox.connection_step(current().membrane_id, "disconnect")
    check(admin_client, django_capture_on_commit_callbacks)
    assert current().is_disconnected
    for name in ("home", "jobs:list", "accounts:user_list"):
        content = admin_client.get(reverse(name)).content.decode()
        assert "ConnectWise PSA is disconnected." in content, name
        assert 'name="intent" value="reconnect"' in content, name
    # The wizard itself shows the reconnect step instead of the banner.
    content = page(admin_client).content.decode()
    assert "connection-banner" not in content
    assert "Reconnect ConnectWise PSA" in content
    assert "The ConnectWise PSA credentials stopped working; reconnect." in content

    connect(admin_client, django_capture_on_commit_callbacks, intent="reconnect")
    assert AuditEntry.objects.filter(action="connection.reconnect", user=admin).exists()
    wizard_sandbox.connection_step(current().membrane_id, "authorize")
    check(admin_client, django_capture_on_commit_callbacks)
    assert b"connection-banner" not in admin_client.get(reverse("home")).content


def test_a_once_ready_connection_waiting_for_sign_in_is_disconnected(admin_client):
    """Membrane may not flag it defunct; having worked before is enough for the banner."""
    connection = Connection.objects.create(
        membrane_id="c-1",
        state="CLIENT_ACTION_REQUIRED",
        client_action={"type": "connect", "uiUrl": "https://ui.example.com/c-1"},
    )
    assert b"connection-banner" not in admin_client.get(reverse("home")).content  # first time

    connection.last_ready_at = timezone.now()
    connection.save()
    content = admin_client.get(reverse("home")).content.decode()
    assert "ConnectWise PSA is disconnected." in content
    assert 'name="intent" value="reconnect"' in content


def test_banner_is_for_admins_only(client_for, technician):
    Connection.objects.create(membrane_id="c-1", state="CLIENT_ACTION_REQUIRED", is_defunct=True)
    content = client_for(technician).get(reverse("home")).content.decode()
    assert "connection-banner" not in content
    assert "An admin needs to reconnect it." in content  # the dashboard summary


def test_htmx_request_gets_only_the_status_section(admin_client):
    Connection.objects.create(membrane_id="c-1", state="BUILDING")
    response = page(admin_client, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="connection-status"')
    assert "<html" not in content


def test_htmx_connect_answers_with_the_status_section(
    admin_client, wizard_sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("connections:connect"), {"intent": "connect"}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="connection-status"')


def test_unknown_intent_is_treated_as_connect(
    admin_client, admin, wizard_sandbox, django_capture_on_commit_callbacks
):
    response = connect(admin_client, django_capture_on_commit_callbacks, intent="<script>")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="connection.connect", user=admin).exists()


def test_check_without_a_connection_just_shows_the_page(admin_client):
    response = admin_client.post(reverse("connections:check"))
    assert response.status_code == 302
    assert b"Not connected yet" in page(admin_client).content


def test_dashboard_summary_for_the_ready_connection(client_for, technician):
    Connection.objects.create(membrane_id="c-1", name="Acme PSA", state="READY", connected=True)
    content = client_for(technician).get(reverse("home")).content.decode()
    assert "<strong>Acme PSA</strong>" in content
    assert "Connected" in content
