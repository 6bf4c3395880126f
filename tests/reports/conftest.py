import pytest
from django.core.cache import cache

from tests.records.mirror_rows import ready_connection


@pytest.fixture
def connection(db):
    cache.clear()
    yield ready_connection()
    cache.clear()


@pytest.fixture
def manager_client(manager, client_for):
    return client_for(manager)
