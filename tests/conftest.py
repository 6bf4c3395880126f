"""Shared test set-up. Fixture modules live in tests/fixtures/ and are listed here; the few
fixtures that several test folders use stand below."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# beside it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.celery",
    "tests.fixtures.browser",
    "tests.fixtures.sandbox",
]


@pytest.fixture
def admin_client(admin, client_for):
    """The test client logged in as an admin (replaces pytest-django's superuser client)."""
    return client_for(admin)


@pytest.fixture
def technician_client(technician, client_for):
    """The test client logged in as a technician."""
    return client_for(technician)


@pytest.fixture
def client_action_connection(db):
    """`client_action_connection(**client_action)`: the connection row as Membrane leaves it
    waiting for the admin (CLIENT_ACTION_REQUIRED with that clientAction)."""
    from psaportal.connections.models import Connection

    def create(**client_action):
        return Connection.objects.create(
            membrane_id="c-1",
            state=Connection.State.CLIENT_ACTION_REQUIRED,
            client_action={"type": "connect", **client_action},
        )

    return create
