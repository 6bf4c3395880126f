"""Shared set-up of the security tests."""

import pytest
from django.test import Client

from tests.security.routes import RealObjects


@pytest.fixture
def real_objects(psa_connection):
    """``real_objects(member)``: one real object of each kind a URL names, owned by member,
    on a READY connection to the sandbox (so a POST that starts work reaches a real
    Membrane)."""
    return lambda member: RealObjects(member=member, connection=psa_connection)


@pytest.fixture
def answering_client():
    """A test client that hands back a view's crash as the 500 page a browser would get,
    so a test can say which request crashed."""
    return Client(raise_request_exception=False)
