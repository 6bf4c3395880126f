"""Record lists: every kind's filters, sorts and search, read from a filled mirror."""

import datetime

import pytest
from django.urls import reverse

from psaportal.records import registry
from psaportal.records.models import last_updated
from tests.records.mirror_rows import mirror_samples, sample_record

pytestmark = pytest.mark.django_db

SAMPLES = 12
KINDS = registry.record_kinds()


def shown_ids(response) -> list[int]:
    """The PSA ids of the rows shown, in order (each row links to its detail page)."""
    return [row["psa_id"] for row in response.context["rows"]]


def typed(kind: registry.RecordKind, n: int) -> dict:
    return kind.model.psa_values(sample_record(kind.key, n))


def column_value(kind: registry.RecordKind, n: int, column: str):
    """The mirrored value of `column` for the n-th sample record."""
    if column == "psa_id":
        return n
    if column == "last_updated":
        return last_updated(sample_record(kind.key, n))
    return typed(kind, n)[column]


def list_url(kind_key: str) -> str:
    return reverse("records:list", args=[kind_key])


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_each_kind_lists_its_mirrored_records(technician_client, connection, kind):
    mirror_samples(connection, kind.key, SAMPLES)
    response = technician_client.get(list_url(kind.key))
    assert response.status_code == 200
    assert sorted(shown_ids(response)) == list(range(1, SAMPLES + 1))
    content = response.content.decode()
    assert f'href="{list_url(kind.key)}7/"' in content
    for column in kind.columns:
        assert column.label in content


def filter_cases():
    """A (kind, filter, query, expected predicate over typed values) per registry filter."""
    for kind in KINDS:
        for item in kind.filters:
            yield pytest.param(kind, item, id=f"{kind.key}-{item.name}")


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


@pytest.mark.parametrize(("kind", "item"), list(filter_cases()))
def test_each_filter_keeps_only_matching_records(technician_client, connection, kind, item):
    mirror_samples(connection, kind.key, SAMPLES)
    values = {n: typed(kind, n) for n in range(1, SAMPLES + 1)}
    if item.kind == registry.DATE_RANGE:
        days = sorted(_as_date(v[item.field]) for v in values.values() if v[item.field])
        # Closed dates are rarer (a quarter of the sample tickets): take what there is.
        start, end = (days[3], days[7]) if len(days) >= 8 else (days[0], days[-2])
        query = {f"{item.name}_from": start.isoformat(), f"{item.name}_to": end.isoformat()}
        expected = {
            n
            for n, v in values.items()
            if v[item.field] and start <= _as_date(v[item.field]) <= end
        }
    elif item.kind == registry.OPEN_CLOSED:
        query = {item.name: "closed"}
        expected = {n for n, v in values.items() if v[item.field] is True}
    elif item.kind == registry.BOOL:
        query = {item.name: "yes"}
        expected = {n for n, v in values.items() if v[item.field] is True}
    else:
        wanted = values[2][item.field]
        query = {item.name: wanted}
        expected = {n for n, v in values.items() if v[item.field] == wanted}
    assert 0 < len(expected) < SAMPLES, "the samples must make this filter choose"

    response = technician_client.get(list_url(kind.key), query)

    assert response.status_code == 200
    assert response.context["notices"] == []
    assert set(shown_ids(response)) == expected
    assert response.context["state"].filters == query


def test_open_filter_shows_open_tickets_only(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(list_url("tickets"), {"open": "open"})
    kind = registry.get_kind("tickets")
    expected = {n for n in range(1, SAMPLES + 1) if not typed(kind, n)["closed_flag"]}
    assert set(shown_ids(response)) == expected


def test_filters_combine(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    kind = registry.get_kind("tickets")
    response = technician_client.get(
        list_url("tickets"), {"board": "Network", "status": "Waiting on Client"}
    )
    expected = {
        n
        for n in range(1, SAMPLES + 1)
        if typed(kind, n)["board_name"] == "Network"
        and typed(kind, n)["status_name"] == "Waiting on Client"
    }
    assert expected == {10}
    assert shown_ids(response) == [10]


def sort_cases():
    for kind in KINDS:
        for column in kind.columns:
            if column.sortable:
                yield pytest.param(kind, column.name, id=f"{kind.key}-{column.name}")


@pytest.mark.parametrize(("kind", "column"), list(sort_cases()))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_each_sortable_column_orders_the_list(
    technician_client, connection, kind, column, descending
):
    mirror_samples(connection, kind.key, SAMPLES)
    sort = f"-{column}" if descending else column
    response = technician_client.get(list_url(kind.key), {"sort": sort})
    assert response.status_code == 200
    assert response.context["notices"] == []
    shown = [column_value(kind, n, column) for n in shown_ids(response)]
    present = [value for value in shown if value is not None and value != ""]
    assert len(present) > 1
    assert present == sorted(present, reverse=descending)
    header = next(h for h in response.context["columns"] if h["name"] == column)
    assert header["sorted"] == ("desc" if descending else "asc")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_search_finds_records_by_their_search_fields(technician_client, connection, kind):
    mirror_samples(connection, kind.key, SAMPLES)
    text_field = next(
        name for name in kind.search_fields if isinstance(typed(kind, 5).get(name), str)
    )
    word = max(typed(kind, 5)[text_field].split(), key=len)
    expected = {
        n
        for n in range(1, SAMPLES + 1)
        if any(
            word.lower() in str(typed(kind, n).get(name, "")).lower()
            for name in kind.search_fields
            if name != "psa_id"
        )
        or word.lower() in str(n)
    }

    response = technician_client.get(list_url(kind.key), {"q": word.upper()})

    assert 5 in expected
    assert set(shown_ids(response)) == expected


def test_search_terms_must_all_match(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(list_url("tickets"), {"q": "printer   offline  #10"})
    assert shown_ids(response) == [10]
    assert response.context["state"].q == "printer offline #10"


def test_search_by_ticket_number(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(list_url("tickets"), {"q": "11"})
    assert shown_ids(response) == [11]


def test_default_order_is_the_registrys(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(list_url("tickets"))
    updated = [last_updated(sample_record("tickets", n)) for n in shown_ids(response)]
    assert len(updated) == SAMPLES
    assert updated == sorted(updated, reverse=True)


def test_links_keep_the_whole_state(technician_client, connection):
    mirror_samples(connection, "tickets", 60)
    response = technician_client.get(
        list_url("tickets"),
        {"q": "printer", "board": "Network", "sort": "summary", "page_size": 25},
    )
    content = response.content.decode()
    # A header link re-sorts, keeping search and filters and going back to page 1.
    assert "?q=printer&amp;board=Network&amp;sort=-summary&amp;page_size=25" in content
    # The export and the save form carry the same state.
    assert (
        reverse("records:export", args=["tickets"])
        + "?q=printer&amp;board=Network&amp;sort=summary&amp;page_size=25"
    ) in content
    assert 'name="query" value="q=printer&amp;board=Network&amp;sort=summary&amp;page_size=25"' in (
        content
    )


def test_pages_walk_the_whole_list_without_overlap(technician_client, connection):
    mirror_samples(connection, "tickets", 60)
    seen = []
    for number in (1, 2, 3):
        response = technician_client.get(list_url("tickets"), {"page": number, "page_size": 25})
        seen.extend(shown_ids(response))
    assert sorted(seen) == list(range(1, 61))
    assert response.context["page"].number == 3
    assert "51–60 of 60" in response.content.decode()
    assert 'rel="prev"' in response.content.decode()


def test_htmx_request_gets_just_the_rows_and_a_clean_url(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(
        list_url("tickets"),
        {"q": "printer", "status": "", "board": "", "sort": "", "page_size": "50"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="list-form"' not in content
    assert "<tbody>" in content
    assert response["HX-Push-Url"] == list_url("tickets") + "?q=printer"
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_the_filters_summary_counts_each_set_filter_once(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    query = {"status": "New", "entered_from": "2026-03-01", "entered_to": "2026-03-31", "q": "x"}
    content = technician_client.get(list_url("tickets"), query).content.decode()
    # A date range counts once for its two ends; the search and blank filters do not count.
    assert '<span id="active-filters">2 active</span>' in content
    assert "hx-swap-oob" not in content


def test_swapped_rows_bring_the_filter_count_along(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    response = technician_client.get(
        list_url("tickets"), {"board": "Network", "priority": ""}, HTTP_HX_REQUEST="true"
    )
    assert '<span id="active-filters" hx-swap-oob="true">1 active</span>' in (
        response.content.decode()
    )


def test_full_page_offers_registry_filter_choices(technician_client, connection):
    mirror_samples(connection, "tickets", SAMPLES)
    content = technician_client.get(list_url("tickets")).content.decode()
    assert 'id="list-form"' in content
    assert '<option value="Waiting on Client">Waiting on Client</option>' in content
    assert 'name="entered_from"' in content and 'name="required_to"' in content
    assert '<datalist id="suggest-company">' in content


def test_status_choices_come_from_the_lookup_when_synced(technician_client, connection):
    from tests.records.mirror_rows import mirror

    mirror_samples(connection, "tickets", SAMPLES)
    mirror(
        connection,
        "statuses",
        [{"id": 90, "name": "Escalated", "board": {"id": 1, "name": "Service Desk"}}],
    )
    content = technician_client.get(list_url("tickets")).content.decode()
    assert '<option value="Escalated">Escalated</option>' in content
    response = technician_client.get(list_url("tickets"), {"status": "Escalated"})
    assert response.context["notices"] == []
    assert shown_ids(response) == []


def test_last_synced_time_is_shown(technician_client, connection):
    from django.utils import timezone

    from psaportal.records.models import SyncState

    mirror_samples(connection, "tickets", 3)
    assert "never synced" in technician_client.get(list_url("tickets")).content.decode()
    # The mirror's writes already made the kind's SyncState (its generation).
    SyncState.objects.update_or_create(
        connection=connection,
        kind="tickets",
        defaults={"last_incremental_at": timezone.now() - datetime.timedelta(minutes=7)},
    )
    assert "last synced <time" in technician_client.get(list_url("tickets")).content.decode()
    assert "7\xa0minutes ago" in technician_client.get(list_url("tickets")).content.decode()


def test_empty_mirror_says_so(technician_client, connection):
    content = technician_client.get(list_url("contacts")).content.decode()
    assert "The mirror has not been synced yet." in content


def test_unknown_and_lookup_kinds_are_not_found(technician_client, connection):
    assert technician_client.get(list_url("nonsense")).status_code == 404
    assert technician_client.get(list_url("members")).status_code == 404
    assert technician_client.get(reverse("records:export", args=["boards"])).status_code == 404


def test_without_a_ready_connection_the_list_says_connect_first(technician_client):
    response = technician_client.get(list_url("tickets"))
    assert response.status_code == 200
    assert "Connect ConnectWise PSA first" in response.content.decode()


def test_records_of_another_connection_are_not_listed(technician_client, connection):
    from psaportal.connections.models import Connection
    from tests.records.mirror_rows import mirror

    old = Connection.objects.create(membrane_id="old", state="READY", connected=False)
    Connection.objects.filter(pk=old.pk).update(
        created_at=connection.created_at - datetime.timedelta(days=30)
    )
    mirror(old, "tickets", [sample_record("tickets", 99)])
    mirror_samples(connection, "tickets", 2)
    # The newest connection is the current one; the old one's mirror stays out of sight.
    assert sorted(shown_ids(technician_client.get(list_url("tickets")))) == [1, 2]


def test_the_sorted_columns_header_is_marked_and_links_to_the_other_direction(
    technician_client, connection
):
    mirror_samples(connection, "tickets", 3)
    content = technician_client.get(list_url("tickets"), {"sort": "summary"}).content.decode()
    url = list_url("tickets")
    assert (
        f'<th scope="col" aria-sort="ascending"><a href="{url}?sort=-summary" '
        f'hx-get="{url}?sort=-summary"'
    ) in content
    assert 'class="sort-link">Summary <span aria-hidden="true">▲</span></a></th>' in content
    assert f'<th scope="col"><a href="{url}?sort=company_name"' in content


def test_a_ticket_list_page_costs_a_bounded_number_of_queries(
    connection, client_for, django_user_model, django_assert_max_num_queries
):
    """For a reader (no bulk edit): session, user, permissions (one query), the connection,
    the page (the planner's guess, ids, rows), the sync's state and run (one query), open
    changes, saved views. The table's size guess and the filter choices come from the cache
    once read."""
    from django.contrib.auth.models import Permission

    from psaportal.accounts import roles

    reader = django_user_model.objects.create_user(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename=roles.VIEW_RECORDS.split(".")[1]))
    client = client_for(reader)
    mirror_samples(connection, "tickets", SAMPLES)
    client.get(list_url("tickets"), {"q": "printer"})
    with django_assert_max_num_queries(10):
        response = client.get(list_url("tickets"), {"q": "printer", "open": "open"})
    assert response.status_code == 200 and 'id="list-form"' in response.content.decode()
