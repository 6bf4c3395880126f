"""The ticket list's query plans at scale (PostgreSQL): what paging.py and migration 0014
promise. A synthetic mirror of 100,000 tickets, ANALYZEd, stands in for a million: big
enough for the planner to choose as it does at a million, quick enough to write.

Each test runs the list page's real queries (captured as the page runs them) through
EXPLAIN and checks the plan's nodes.
"""

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from psaportal.records import paging, registry, search, selectors
from psaportal.records.list_state import ListState
from psaportal.records.models import Ticket
from tests.records.mirror_rows import ready_connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        db_connection.vendor != "postgresql", reason="plans of PostgreSQL's indexes"
    ),
]

TICKETS = registry.get_kind("tickets")
ROWS = 100_000
RARE_WORD = "zebra"  # in 1 ticket of 200

# Shares like a real mirror's: 40 % open, 60 % "Priority 3 - Normal", one summary of ten.
SYNTHETIC_TICKETS = """
INSERT INTO records_ticket (
    connection_id, psa_id, display_name, search_text, last_updated, synced_at, summary,
    record_type, board_name, status_name, company_identifier, company_name, contact_name,
    owner_identifier, owner_name, priority_name, type_name, item_name, severity, impact,
    closed_flag, date_entered)
SELECT %(connection)s, n, summary, lower(n || ' ' || summary || ' ' || company),
    now() - (n %% 9973) * interval '1 hour', now(), summary, 'ServiceTicket',
    'Help Desk', 'New', '', company, '', 'tech' || n %% 17, '',
    CASE WHEN n %% 5 < 3 THEN 'Priority 3 - Normal' ELSE 'Priority 4 - Low' END,
    '', '', 'Low', 'Low', n %% 5 >= 2, now() - (%(rows)s - n) * interval '1 hour'
FROM (
    SELECT n,
        CASE WHEN n %% 200 = 7 THEN 'Zebra printer jams'
             ELSE (ARRAY['Printer offline', 'VPN drops', 'Backup failed', 'Outlook password',
                         'Slow computer', 'New user setup', 'Server disk low', 'Wi-Fi drops',
                         'MFA reset', 'Teams audio'])[1 + n %% 10] END AS summary,
        'Company ' || n %% 150 AS company
    FROM generate_series(1, %(rows)s) AS n
) AS synthetic
"""


@pytest.fixture(scope="module")
def mirror_at_scale(django_db_setup, django_db_blocker):
    """Written once for the module (committed), and removed after it."""
    with django_db_blocker.unblock():
        connection = ready_connection()
        with db_connection.cursor() as cursor:
            cursor.execute(SYNTHETIC_TICKETS, {"connection": connection.pk, "rows": ROWS})
            cursor.execute("ANALYZE records_ticket")
        cache.clear()  # the paginator's guess at the table's size is cached
        yield connection
        Ticket.objects.filter(connection=connection).delete()
        connection.delete()


def list_queries(connection, **state) -> list[str]:
    """The SQL the ticket list page runs for ``state``, in order (not the planner's estimate,
    which paging asks for before choosing)."""
    with CaptureQueriesContext(db_connection) as captured:
        page = selectors.record_list_page(
            connection=connection, kind=TICKETS, state=ListState(**state)
        )
    assert page.rows or not page.count
    queries = [query["sql"] for query in captured.captured_queries]
    return [sql for sql in queries if not sql.startswith("EXPLAIN")]


def plan_nodes(sql: str) -> list[dict]:
    with db_connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0][0]["Plan"]
    nodes, pending = [], [plan]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def indexes_used(nodes: list[dict]) -> set[str]:
    return {node["Index Name"] for node in nodes if "Index Name" in node}


def node_types(nodes: list[dict]) -> set[str]:
    return {node["Node Type"] for node in nodes}


def test_a_rare_search_term_is_read_through_its_index_not_a_walk(mirror_at_scale):
    ids_read, page = list_queries(
        mirror_at_scale, q=RARE_WORD, sort="company_name", filters={"open": "closed"}
    )
    ids_nodes = plan_nodes(ids_read)
    assert "records_ticket_search_words" in indexes_used(ids_nodes)
    assert "Seq Scan" not in node_types(ids_nodes)
    # The page is its slice of the matches' ids, fetched by primary key.
    page_nodes = plan_nodes(page)
    assert indexes_used(page_nodes) == {"records_ticket_pkey"}
    assert "Seq Scan" not in node_types(page_nodes)


def test_a_search_that_matches_nothing_is_one_read_through_its_index(mirror_at_scale):
    # The planner guesses that a word it has no statistics for matches 1 row in 200: at a
    # million rows, enough to walk the company index hoping to meet them, to its very end.
    (ids_read,) = list_queries(mirror_at_scale, q="laptop", sort="company_name")
    assert indexes_used(plan_nodes(ids_read)) == {"records_ticket_search_words"}


# The dates have no index of their own (migration 0017): a list walks ours.
@pytest.mark.parametrize(
    ("filters", "sort", "index"),
    [
        ({"open": "open"}, "-last_updated", "tk_open_upd"),
        ({"open": "open"}, "-date_entered", "tk_open_entered"),
        ({"open": "open"}, "psa_id", "tk_open_id"),
        ({}, "-priority_name", "tk_priority"),
        ({}, "company_name", "tk_company"),
        ({}, "-last_updated", "tk_updated"),
        ({}, "date_entered", "tk_entered"),
    ],
)
def test_a_broad_list_walks_an_index_in_its_pages_order(mirror_at_scale, filters, sort, index):
    assert paging.SMALL_RESULT < ROWS * 0.4  # each of these lists is too large to sort whole
    *_, page = list_queries(mirror_at_scale, sort=sort, filters=filters, page=2)
    nodes = plan_nodes(page)
    assert index in indexes_used(nodes)
    # The walk is in the page's (column, psa_id) order (psa_id ends each of our indexes):
    # never a whole sort.
    assert not node_types(nodes) & {"Sort", "Seq Scan"}


def test_a_common_word_among_open_tickets_reads_the_open_tickets_words(mirror_at_scale):
    # Read through the whole table's entries for the word and for "open", the ids of
    # "printer" among open tickets cost a bitmap of each at a million tickets.
    ids_read, _page = list_queries(mirror_at_scale, q="printer", filters={"open": "open"})
    ids_nodes = plan_nodes(ids_read)
    assert indexes_used(ids_nodes) == {"tk_open_search"}
    assert "Seq Scan" not in node_types(ids_nodes)


def test_a_common_word_in_a_broad_list_is_counted_in_the_sample(mirror_at_scale):
    # "backup" in 10,000 closed tickets: a cap of 100 is reached among the sample's 2,500.
    queryset = selectors.record_list(
        connection=mirror_at_scale,
        kind=TICKETS,
        state=ListState(q="backup", filters={"open": "closed"}, sort="-last_updated"),
    )
    with CaptureQueriesContext(db_connection) as captured:
        page = paging.paginate(
            queryset=queryset,
            page=2,
            page_size=50,
            cap=100,
            sample=search.count_sample(Ticket, "backup"),
        )
    assert (page.count, page.count_is_capped) == (101, True)
    assert len(page.rows) == 50
    counts = [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT")]
    assert len(counts) == 1  # the sample's count reached the cap: no count of all matches
    nodes = plan_nodes(counts[0])
    assert indexes_used(nodes) == {"tk_search_sample"}
    assert "Seq Scan" not in node_types(nodes)
