"""List search: each word typed must begin a word of the record's search fields, the same on
SQLite and PostgreSQL (the suite runs on both)."""

import pytest
from django.db import connection as db_connection

from psaportal.records import registry, search, selectors
from psaportal.records.list_state import ListState
from psaportal.records.sync import store
from tests.records.mirror_rows import mirror, ready_connection, sample_record

pytestmark = pytest.mark.django_db

TICKETS = registry.get_kind("tickets")


def test_words_are_lower_cased_letters_and_digits_each_once():
    assert search.words("GRANIT-App01 printer, Printer; café_2 ½") == [
        "granit",
        "app01",
        "printer",
        "café",
        "2",
        "½",
    ]
    assert search.search_text([17, None, "", "Acme Dental", "acme"]) == "17 acme dental"


@pytest.fixture
def tickets():
    connection = ready_connection()
    summaries = {
        1: "Replace failing drive in GRANIT-APP01",
        2: "Printer offline on second floor",
        3: "Outlook asks for the password again",
        4: "New laptop for Priya Patel",
    }
    mirror(
        connection,
        "tickets",
        [{**sample_record("tickets", n), "summary": text} for n, text in summaries.items()],
    )
    return connection


def found(connection, query: str) -> list[int]:
    state = ListState(q=query, sort="psa_id")
    rows = selectors.record_list(connection=connection, kind=TICKETS, state=state)
    return [row["psa_id"] for row in rows]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("printer", [2]),
        ("PRINT", [2]),  # a word's beginning, in any case
        ("app0", [1]),  # a word inside "GRANIT-APP01"
        ("granit-app01", [1]),
        ("second printer", [2]),  # every word must be found
        ("second outlook", []),
        ("rinter", []),  # not the middle of a word
        ("pass agai", [3]),
        ("priya", [4]),
    ],
)
def test_search_finds_records_by_the_beginnings_of_their_words(tickets, query, ids):
    assert found(tickets, query) == ids


def test_search_finds_by_company_and_ticket_number(tickets):
    acme = [
        n for n in range(1, 5) if sample_record("tickets", n)["company"]["name"].startswith("Acme")
    ]
    assert found(tickets, "acme dent") == acme
    assert found(tickets, "3") == [3]


def test_an_updated_record_is_found_by_its_new_words(tickets):
    mirror(tickets, "tickets", [{**sample_record("tickets", 2), "summary": "Scanner jammed"}])
    assert found(tickets, "printer") == []
    assert found(tickets, "scan") == [2]


@pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="GIN pending lists exist only on PostgreSQL"
)
def test_tidying_after_a_sync_merges_the_search_index_pending_list(tickets):
    def pending() -> int:
        with db_connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            cursor.execute(
                "SELECT pending_tuples FROM pgstatginindex('records_ticket_search_words')"
            )
            return cursor.fetchone()[0]

    assert pending() > 0  # new rows wait in the pending list, which every search reads
    store.tidy_indexes(kind=TICKETS, analyze=True)
    assert pending() == 0
    assert found(tickets, "printer") == [2]
