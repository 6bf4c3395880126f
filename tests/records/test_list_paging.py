"""The capped paginator: it never counts past what the pages shown need."""

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.test.utils import CaptureQueriesContext

from psaportal.records import paging
from psaportal.records.models import Ticket
from tests.records.mirror_rows import mirror_samples, ready_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets():
    connection = ready_connection()
    mirror_samples(connection, "tickets", 120)
    if db_connection.vendor == "postgresql":
        # The paginator's plan follows the planner's estimates: give it this table's
        # statistics, not whatever earlier tests left behind.
        with db_connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    cache.clear()  # the paginator's cached guess at the table's size, too
    return Ticket.objects.filter(connection=connection).order_by("psa_id").values("psa_id")


def ids(page) -> list[int]:
    return [row["psa_id"] for row in page.rows]


def test_a_short_result_is_counted_from_its_ids(tickets, django_assert_max_num_queries):
    # The planner's estimates (PostgreSQL: the matches, few, then the table's), its ids
    # (the count), then its page by those ids.
    with django_assert_max_num_queries(4):
        page = paging.paginate(queryset=tickets.filter(psa_id__lte=7), page=1, page_size=25)
    assert (page.count, page.count_is_capped, page.num_pages) == (7, False, 1)
    assert not page.has_next and not page.has_previous


def test_a_middle_page_counts_the_whole_small_result(tickets):
    page = paging.paginate(queryset=tickets, page=2, page_size=25)
    assert ids(page) == list(range(26, 51))
    assert (page.count, page.count_is_capped, page.num_pages) == (120, False, 5)
    assert (page.start_index, page.end_index) == (26, 50)
    assert page.page_links == [1, 2, 3, 4, 5]


def test_a_count_above_the_cap_says_more(tickets):
    page = paging.paginate(queryset=tickets, page=1, page_size=25, cap=60)
    assert page.count_is_capped
    assert page.count == 60
    assert page.has_next
    assert ids(page) == list(range(1, 26))


def test_a_page_beyond_the_cap_still_works(tickets):
    page = paging.paginate(queryset=tickets, page=4, page_size=25, cap=30)
    assert ids(page) == list(range(76, 101))
    assert page.count_is_capped and page.has_next
    assert page.page_links == [1, 2, 3, 4, 5]


def test_the_last_page_is_exact(tickets):
    page = paging.paginate(queryset=tickets, page=5, page_size=25, cap=30)
    assert ids(page) == list(range(101, 121))
    assert (page.count, page.count_is_capped, page.has_next) == (120, False, False)


def test_a_page_past_the_end_is_clamped_to_the_last(tickets):
    page = paging.paginate(queryset=tickets, page=50, page_size=25)
    assert page.clamped_from == 50
    assert page.number == 5
    assert ids(page) == list(range(101, 121))


def test_an_empty_result_on_a_later_page_goes_back_to_the_first(tickets):
    page = paging.paginate(queryset=tickets.filter(psa_id=0), page=3, page_size=25)
    assert (page.rows, page.count, page.number, page.clamped_from) == ([], 0, 1, 3)


def test_an_empty_result(tickets, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        page = paging.paginate(queryset=tickets.filter(psa_id=0), page=1, page_size=25)
    assert (page.rows, page.count, page.number, page.clamped_from) == ([], 0, 1, None)
    assert page.page_links == [1]


def test_a_result_past_the_small_read_walks_its_order_and_says_more(
    tickets, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):  # the ids read stops at `small`: no second count
        page = paging.paginate(queryset=tickets, page=2, page_size=25, cap=60, small=70)
    assert ids(page) == list(range(26, 51))
    assert (page.count, page.count_is_capped, page.has_next) == (60, True, True)


def test_a_page_beyond_the_small_read_counts_up_to_itself(tickets):
    page = paging.paginate(queryset=tickets, page=4, page_size=25, cap=30, small=40)
    assert ids(page) == list(range(76, 101))
    assert (page.count, page.count_is_capped) == (101, True)


def test_a_small_result_is_sorted_whole_by_its_ids(tickets):
    newest_first = tickets.order_by("-psa_id").filter(psa_id__gt=100)
    page = paging.paginate(queryset=newest_first, page=1, page_size=15)
    assert ids(page) == list(range(120, 105, -1))
    assert (page.count, page.count_is_capped, page.num_pages) == (20, False, 2)


def every_eighth():
    return Q(Exact(Mod("psa_id", 8), 0))


only_postgresql = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="the sample is counted on the planner's guess"
)


@only_postgresql
def test_a_sample_that_reaches_the_cap_says_more_without_counting_all(
    tickets, django_assert_num_queries
):
    # 120 rows, 15 in the sample: a cap of 5 is reached there.
    whole = paging.paginate(queryset=tickets, page=1, page_size=2, cap=5, small=0)
    # The sample's count and the page; the planner's guess is cached since `whole`.
    with django_assert_num_queries(2) as captured:
        page = paging.paginate(
            queryset=tickets, page=1, page_size=2, cap=5, small=0, sample=every_eighth()
        )
    (count_sql,) = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT")]
    assert "MOD(" in count_sql
    assert (page.count, page.count_is_capped, ids(page)) == (5, True, [1, 2])
    assert (whole.count, whole.count_is_capped, ids(whole)) == (5, True, [1, 2])


@only_postgresql
def test_a_sample_short_of_the_cap_counts_all_matches(tickets):
    # 54 rows, one of them in the sample (psa_id 8): the whole count decides.
    sampled_out = tickets.filter(psa_id__lte=60).exclude(psa_id__in=[16, 24, 32, 40, 48, 56])
    with CaptureQueriesContext(db_connection) as captured:
        page = paging.paginate(
            queryset=sampled_out, page=1, page_size=2, cap=3, small=0, sample=every_eighth()
        )
    counts = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT")]
    assert ["MOD(" in sql for sql in counts] == [True, False]
    assert (page.count, page.count_is_capped, ids(page)) == (3, True, [1, 2])


@only_postgresql
def test_the_planners_guess_is_asked_once_per_query(tickets):
    """Its guesses only choose how to count: kept a minute, under the query's SQL."""
    paging.paginate(queryset=tickets, page=1, page_size=2)
    with CaptureQueriesContext(db_connection) as captured:
        other_page = paging.paginate(queryset=tickets, page=2, page_size=2)
        fewer = paging.paginate(queryset=tickets.filter(psa_id__lte=60), page=1, page_size=2)
    explains = [q["sql"] for q in captured if q["sql"].startswith("EXPLAIN")]
    assert len(explains) == 1 and "<= 60" in explains[0]
    assert (ids(other_page), other_page.count) == ([3, 4], 120)
    assert (ids(fewer), fewer.count) == ([1, 2], 60)


def test_the_capped_count_reads_only_the_ids(tickets):
    with CaptureQueriesContext(db_connection) as captured:
        page = paging.paginate(
            queryset=tickets.values("psa_id", "summary"), page=1, page_size=2, cap=5, small=0
        )
    (count_sql,) = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT")]
    assert "summary" not in count_sql
    assert (page.count, page.count_is_capped, ids(page)) == (5, True, [1, 2])


def test_what_a_count_found_is_kept_under_the_mirror_generation(tickets):
    """The next page of the same query skips the count; another generation counts again."""
    few, many = tickets.filter(psa_id__lte=60), tickets
    for queryset, small in ((few, paging.SMALL_RESULT), (many, 0)):
        paging.paginate(queryset=queryset, page=1, page_size=2, small=small, mirror_generation=4)
        with CaptureQueriesContext(db_connection) as captured:
            page = paging.paginate(
                queryset=queryset, page=2, page_size=2, small=small, mirror_generation=4
            )
        # Only the page's rows are read (the planner's guesses are cached already).
        assert len(captured) == 1 and "COUNT" not in captured[0]["sql"]
        assert ids(page) == [3, 4]
        with CaptureQueriesContext(db_connection) as captured:
            paging.paginate(
                queryset=queryset, page=2, page_size=2, small=small, mirror_generation=5
            )
        assert len(captured) == 2
