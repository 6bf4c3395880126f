"""The list's counts are cached under the mirror's generation: a write to the mirror shows
on the very next request."""

import pytest
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.sync import store
from tests.records.mirror_rows import mirror, mirror_samples, sample_record

pytestmark = pytest.mark.django_db

URL = reverse("records:list", args=["tickets"])


def shown(response) -> tuple[int, list[int]]:
    page = response.context["page"]
    return page.count, sorted(row["psa_id"] for row in page.rows)


@pytest.mark.parametrize("query", [{}, {"q": "printer"}, {"open": "open", "sort": "psa_id"}])
def test_a_mirror_write_shows_at_once(technician_client, connection, query):
    query = {**query, "page_size": 50}
    mirror_samples(connection, "tickets", 30)
    count, rows = shown(technician_client.get(URL, query))
    assert 5 in rows and 40 not in rows
    assert shown(technician_client.get(URL, query)) == (count, rows)  # from the cache now

    mirror(connection, "tickets", [sample_record("tickets", 40)])  # an open printer ticket
    assert shown(technician_client.get(URL, query)) == (count + 1, sorted([*rows, 40]))

    store.delete_record(connection_id=connection.pk, kind=registry.get_kind("tickets"), psa_id=5)
    rows_after = sorted({*rows, 40} - {5})
    assert shown(technician_client.get(URL, query)) == (count, rows_after)
