"""Report figures are cached under the mirror's generations: served again while the data
they read is unchanged, worked out again after any write to it (a sync's store, a sweep's or
a refresh's deletion, an applied edit all go through records.sync.store)."""

import inspect

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.models import MirrorRecord
from psaportal.records.sync import store
from psaportal.reports import catalog
from tests.records.mirror_rows import mirror, mirror_samples, sample_record
from tests.reports.pages import body

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")
MARCH = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}
TICKETS = registry.get_kind("tickets")


def _closed(client) -> str:
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    assert b"Figures as of <time" in response.content
    return body(response, "dashboard")["Tickets closed"][0]


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_dashboard_follows_every_write_to_the_mirror(manager_client, connection):
    mirror_samples(connection, "tickets", 8)  # tickets 3 and 7 closed in March
    assert _closed(manager_client) == "2"

    mirror(connection, "tickets", [sample_record("tickets", 11)])  # closed 03-14
    assert _closed(manager_client) == "3"

    closed_later = {**sample_record("tickets", 11), "closedDate": "2026-04-02T09:00:00Z"}
    mirror(connection, "tickets", [closed_later])  # an edit applied to the mirror
    assert _closed(manager_client) == "2"

    store.delete_record(connection_id=connection.pk, kind=TICKETS, psa_id=7)  # gone from the PSA
    assert _closed(manager_client) == "1"


def test_an_unchanged_mirror_is_answered_from_the_cache(manager_client, connection):
    mirror_samples(connection, "tickets", 8)
    url = reverse("reports:report", args=["service-desk"])
    first = _queries(manager_client, url, MARCH)
    cached = _queries(manager_client, url, MARCH)
    assert cached < first
    # A write to a kind the report does not read leaves its figures cached...
    mirror_samples(connection, "opportunities", 2)
    assert _queries(manager_client, url, MARCH) == cached
    # ...and one to a kind it reads does not.
    mirror(connection, "tickets", [sample_record("tickets", 9)])
    assert _queries(manager_client, url, MARCH) > cached


@pytest.mark.parametrize("page", catalog.REPORTS.values(), ids=list(catalog.REPORTS))
def test_each_report_declares_every_kind_its_selectors_read(page):
    """A kind left out of ``reads`` would leave its report cached after that kind changed."""
    module = inspect.getmodule(page.build)
    models = {value for value in vars(module).values() if inspect.isclass(value)}
    read = {kind.key for kind in registry.KINDS if kind.model in models}
    assert read and read <= set(page.reads)
    assert all(issubclass(registry.get_kind(key).model, MirrorRecord) for key in page.reads)
