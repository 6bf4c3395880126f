"""The connect wizard's tests talk to the sandbox over HTTP, through the settings' client."""

import pytest

from psaportal.connections import services
from tests.fixtures.sandbox import point_membrane_at, unused_local_url


@pytest.fixture
def wizard_sandbox(wizard_sandbox, monkeypatch):
    """The shared wizard sandbox, with the wizard's long-polls cut to two seconds."""
    monkeypatch.setattr(services, "POLL_WAIT_SECONDS", 2)
    return wizard_sandbox


@pytest.fixture
def membrane_down(settings):
    """MEMBRANE_API_URL pointing at a port nothing listens on."""
    url = unused_local_url()
    point_membrane_at(settings, url, "pat-sandbox-token")
    return url
