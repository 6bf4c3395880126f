"""The connect wizard's tests talk to the sandbox over HTTP, through the settings' client."""

import pytest
from django.conf import settings as django_settings

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
    point_membrane_at(settings, url, "sandbox-token")
    return url


@pytest.fixture(scope="session")
def _worker_membrane_is_the_sandbox(sandbox):
    """Point Membrane at the test sandbox while the shared worker process starts (it copies
    the settings into its environment); restored right after."""
    saved = (django_settings.MEMBRANE_API_URL, django_settings.MEMBRANE_TOKEN)
    django_settings.MEMBRANE_API_URL = sandbox.url
    django_settings.MEMBRANE_TOKEN = sandbox.token

    def restore():
        django_settings.MEMBRANE_API_URL, django_settings.MEMBRANE_TOKEN = saved

    yield restore
    restore()


@pytest.fixture(scope="session")
def celery_worker_process(_worker_membrane_is_the_sandbox, celery_worker_process):
    """The shared real worker, started with the sandbox as its Membrane."""
    _worker_membrane_is_the_sandbox()
    return celery_worker_process
