"""The consoles' tests: an admin, the app's Membrane client on the sandbox, and our READY
connection row for the sandbox's connection."""

import pytest

from psaportal.actions import services
from psaportal.actions.models import Action
from psaportal.connections.client import membrane_client as app_membrane_client
from psaportal.connections.models import Connection
from tests.fixtures.sandbox import point_membrane_at


@pytest.fixture
def psa_connection(ready_connection, sandbox, settings):
    """Our READY connection row for the sandbox's connection, with the app pointed at it."""
    point_membrane_at(settings, sandbox.url, sandbox.token)
    app_membrane_client.cache_clear()
    yield Connection.objects.create(
        membrane_id=ready_connection["id"], state="READY", connected=True
    )
    app_membrane_client.cache_clear()


@pytest.fixture
def console(admin_client, psa_connection):
    """The admin's test client, with the PSA connected."""
    return admin_client


@pytest.fixture
def known_action(membrane_client, ready_connection, psa_connection):
    """``known_action(key)``: the sandbox's action ``key`` as a search would have kept it."""

    def known(key: str) -> Action:
        items = membrane_client.search_actions(
            connection_id=ready_connection["id"], intent=key, limit=100
        )
        item = next(item for item in items if item["key"] == key)
        return services.action_upsert(item=item)

    return known
