"""Shared set-up of the records tests."""

import pytest
from django.core.cache import cache

from psaportal.connections.client import membrane_client as app_membrane_client
from psaportal.connections.models import Connection
from tests.records.mirror_rows import ready_connection as ready_connection_row


@pytest.fixture
def connection(db):
    """A READY connection with an empty mirror. The list's filter choices are cached per
    process, so the cache starts and ends empty around it."""
    cache.clear()
    yield ready_connection_row()
    cache.clear()


@pytest.fixture
def psa_connection(ready_connection, sandbox, settings):
    """Our READY connection row for the sandbox's connection, with the app pointed at it and
    the PSA's data as seeded (an earlier test may have changed it)."""
    sandbox.reset(connections=False, psa=True)
    settings.MEMBRANE_API_URL = sandbox.url
    settings.MEMBRANE_TOKEN = sandbox.token
    app_membrane_client.cache_clear()
    yield Connection.objects.create(
        membrane_id=ready_connection["id"], state="READY", connected=True
    )
    app_membrane_client.cache_clear()


@pytest.fixture
def live_ticket(membrane_client, ready_connection) -> dict:
    """The first ticket of the sandbox's PSA, as the PSA sends it."""
    return membrane_client.proxy(
        ready_connection["id"], "GET", "/service/tickets", query={"pageSize": 1, "orderBy": "id"}
    ).json()[0]
