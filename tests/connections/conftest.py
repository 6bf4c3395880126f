"""The connect wizard's tests talk to the sandbox over HTTP, through the settings' client."""

import pytest

from psaportal.connections import services
from tests.connections.helpers import point_membrane_at, unused_local_url


@pytest.fixture
def wizard_sandbox(clean_sandbox, settings, monkeypatch):
    """A clean sandbox behind the app's Membrane client; DEBUG on, so its http uiUrl is a link."""
    settings.DEBUG = True
    point_membrane_at(settings, clean_sandbox.url, clean_sandbox.token)
    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 2)
    return clean_sandbox


@pytest.fixture
def membrane_down(settings):
    """MEMBRANE_API_URL pointing at a port nothing listens on."""
    url = unused_local_url()
    point_membrane_at(settings, url, "sandbox-token")
    return url


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)
