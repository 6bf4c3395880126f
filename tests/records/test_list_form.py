"""ListQueryForm: a list's query string becomes a clean ListState; bad parts become notices."""

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from psaportal.records import registry
from psaportal.records.forms import NAME_MAX, QUERY_MAX, ListQueryForm, SavedViewForm
from psaportal.records.list_state import DEFAULT_PAGE_SIZE, PAGE_MAX, ListState
from tests.records.mirror_rows import mirror_samples, ready_connection

pytestmark = pytest.mark.django_db

TICKETS = registry.get_kind("tickets")
COMPANIES = registry.get_kind("companies")


@pytest.fixture
def connection():
    cache.clear()
    connection = ready_connection()
    mirror_samples(connection, "tickets", 12)
    mirror_samples(connection, "companies", 6)
    yield connection
    cache.clear()


def read(connection, query: dict, kind=TICKETS) -> tuple[ListState, list[str]]:
    form = ListQueryForm(QueryDict(mutable=True) | query, connection=connection, kind=kind)
    return form.list_state(), form.notices()


def test_it_keeps_good_input_of_every_filter_type(connection):
    state, notices = read(
        connection,
        {
            "q": "  printer   offline ",
            "open": "closed",  # open/closed
            "status": "Waiting on Client",  # choice
            "company": "Acme  Dental Group",  # text
            "entered_from": "2026-03-02",  # date range
            "sort": "-summary",
            "page_size": "25",
            "page": "2",
        },
    )
    assert notices == []
    assert state == ListState(
        q="printer offline",
        filters={
            "open": "closed",
            "status": "Waiting on Client",
            "company": "Acme Dental Group",
            "entered_from": "2026-03-02",
        },
        sort="-summary",
        page=2,
        page_size=25,
    )


def test_an_empty_query_is_the_default_state(connection):
    assert read(connection, {}) == (ListState(), [])


def test_blank_parameters_are_left_out_without_a_word(connection):
    blanks = {"q": " ", "status": "", "company": "", "entered_to": "", "sort": "", "page": ""}
    assert read(connection, blanks) == (ListState(), [])


def test_an_unknown_choice_is_dropped(connection):
    state, notices = read(connection, {"status": "Exploded", "board": "Network"})
    assert notices == ["“Exploded” is not a known status; filter ignored."]
    assert state.filters == {"board": "Network"}


def test_a_long_unknown_choice_is_quoted_by_its_start(connection):
    _, [notice] = read(connection, {"priority": "P" * 500})
    assert notice == f"“{'P' * 40}” is not a known priority; filter ignored."


def test_an_unknown_open_closed_value_is_dropped(connection):
    assert read(connection, {"open": "maybe"}) == (
        ListState(),
        ["“maybe” is not a known open/closed; filter ignored."],
    )


def test_an_unknown_yes_no_value_is_dropped(connection):
    state, notices = read(connection, {"deleted": "perhaps", "market": "Legal"}, COMPANIES)
    assert notices == ["“perhaps” is not a known deleted; filter ignored."]
    assert state.filters == {"market": "Legal"}


def test_a_text_filter_loses_control_characters(connection):
    state, notices = read(connection, {"owner": "\x00jsmith\x07 "})
    assert (state.filters, notices) == ({"owner": "jsmith"}, [])


def test_an_over_long_text_filter_is_dropped(connection):
    state, notices = read(connection, {"owner": "a" * 101, "company": "b" * 100})
    assert notices == ["The Owner filter was too long and was ignored."]
    assert state.filters == {"company": "b" * 100}


@pytest.mark.parametrize("bad", ["2026-02-30", "1 March", "\x00", "9" * 300])
def test_a_bad_date_drops_that_bound_only(connection, bad):
    state, [notice] = read(connection, {"required_from": "2026-03-01", "required_to": bad})
    assert notice == (
        f"“{bad.strip()[:40]}” is not a date for Required by to; use YYYY-MM-DD. "
        "That bound was ignored."
    )
    assert state.filters == {"required_from": "2026-03-01"}


def test_dates_the_wrong_way_round_are_swapped(connection):
    state, notices = read(connection, {"entered_from": "2026-03-09", "entered_to": "2026-03-01"})
    assert notices == ["Entered: the dates were the wrong way round; swapped."]
    assert state.filters == {"entered_from": "2026-03-01", "entered_to": "2026-03-09"}


@pytest.mark.parametrize("sort", ["data__secret", "type_names", "--name", "summary"])
def test_a_sort_on_an_unknown_or_unsortable_column_is_dropped(connection, sort):
    # type_names is a companies column marked unsortable; summary is a ticket column.
    state, notices = read(connection, {"sort": sort}, COMPANIES)
    assert state.sort == ""
    assert notices == ["That column cannot be sorted on; the default order is used."]


def test_a_sort_may_be_descending(connection):
    assert read(connection, {"sort": "-city"}, COMPANIES) == (ListState(sort="-city"), [])


@pytest.mark.parametrize("bad", ["abc", "-3", "0", "1.5", "1e3"])
def test_a_nonsense_page_is_the_first(connection, bad):
    state, notices = read(connection, {"page": bad})
    assert state.page == 1
    assert notices == ["That page number made no sense; showing the first page."]


def test_a_huge_page_is_clamped(connection):
    state, notices = read(connection, {"page": "9" * 40})
    assert (state.page, notices) == (PAGE_MAX, [])


@pytest.mark.parametrize("bad", ["7", "x", "1000"])
def test_an_odd_page_size_is_the_default(connection, bad):
    state, notices = read(connection, {"page_size": bad})
    assert state.page_size == DEFAULT_PAGE_SIZE
    assert notices == ["Rows per page can be 25, 50, 100; using 50."]


def test_notices_come_in_field_order(connection):
    _, notices = read(
        connection,
        {"page": "x", "sort": "nope", "status": "Exploded", "q": "x" * 300},
    )
    assert [notice.split()[0] for notice in notices] == [
        "The",  # the search was cut
        "“Exploded”",
        "That",  # column
        "That",  # page number
    ]
    assert "search was cut" in notices[0] and "page number" in notices[3]


def test_choices_are_read_only_when_a_choice_is_given(connection):
    with CaptureQueriesContext(db_connection) as queries:
        read(connection, {"q": "printer", "company": "Acme", "entered_from": "2026-03-01"})
    assert len(queries) == 0
    with CaptureQueriesContext(db_connection) as queries:
        read(connection, {"board": "Network"})
    assert len(queries) > 0


def test_a_posted_query_is_read_up_to_its_limit(connection):
    posted = QueryDict(mutable=True)
    posted["query"] = "board=Network&" + "q=" + "a" * QUERY_MAX
    form = ListQueryForm.posted(posted, connection=connection, kind=TICKETS)
    state = form.list_state()
    assert state.filters == {"board": "Network"}
    assert len(state.q) == 200 and len("board=Network&q=" + state.q) < QUERY_MAX


@pytest.mark.parametrize(
    ("name", "cleaned"), [("  My \x00 view ", "My view"), ("x" * 99, "x" * 80)]
)
def test_a_saved_view_name_is_cleaned_and_cut(name, cleaned):
    form = SavedViewForm({"name": name})
    assert form.is_valid()
    assert form.cleaned_data["name"] == cleaned
    assert len(cleaned) <= NAME_MAX


@pytest.mark.parametrize("name", ["", "   ", "\x00\x01"])
def test_a_saved_view_needs_a_name(name):
    form = SavedViewForm({"name": name})
    assert not form.is_valid()
    assert form.errors["name"] == ["Give the view a name."]
