"""Shared set-up of the records tests."""

import pytest
from django.core.cache import cache

from tests.records.mirror_rows import ready_connection as ready_connection_row


@pytest.fixture
def connection(db):
    """A READY connection with an empty mirror. The list's filter choices are cached per
    process, so the cache starts and ends empty around it."""
    cache.clear()
    yield ready_connection_row()
    cache.clear()
