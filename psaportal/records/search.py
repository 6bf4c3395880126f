"""List search: every word typed must begin a word of the record's search text.

A record's search text is its search fields split into lower-cased words of letters and
digits ("Granit-App01" becomes "granit app01"), each word once. A search is split the same
way, so "app0" finds "GRANIT-APP01" on either database.

On PostgreSQL each searched mirror table has a stored ``search_words`` tsvector column,
generated from ``search_text`` ("simple" configuration: no stemming, no stop words), with a
GIN index (migration 0006). The models do not declare it, because SQLite has no such type;
only the condition below names it. A trigram index would match inside words too, but
costs four times as much to keep up while a sync writes. SQLite, the embedded default,
scans.

Tickets, the one kind with a million records, have two more GIN indexes on the same
words (migration 0015): one of open tickets only, which the planner takes for a search
among open tickets, and one of a sample, every ``SAMPLE_EVERY``th ticket by psa_id, in
which paging counts a common word's matches (``count_sample``).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

WORD = re.compile(r"[^\W_]+")
SEARCH_TERMS_MAX = 6
#: One ticket in this many (by psa_id) is in the search sample's index (migration 0015).
SAMPLE_EVERY = 8
SAMPLED_TABLES = frozenset({"records_ticket"})


def words(text: str) -> list[str]:
    """The distinct lower-cased words of ``text``, in order."""
    return list(dict.fromkeys(WORD.findall(text.lower())))


def search_text(values: list) -> str:
    """The text a record is found by, from its search fields' values."""
    return " ".join(words(" ".join(str(value) for value in values if value not in (None, ""))))


def search_condition(query: str) -> Q:
    """Records whose search text has, for each word of ``query``, a word starting with it."""
    terms = words(query)[:SEARCH_TERMS_MAX]
    if not terms:
        return Q()
    if connection.vendor == "postgresql":
        # Each term is letters and digits only, so it is safe inside to_tsquery's syntax.
        prefixes = " & ".join(f"{term}:*" for term in terms)
        return Q(
            RawSQL(
                "search_words @@ to_tsquery('simple', %s)", [prefixes], output_field=BooleanField()
            )
        )
    condition = Q()
    for term in terms:
        condition &= Q(search_text__startswith=term) | Q(search_text__contains=f" {term}")
    return condition


def count_sample(model, query: str) -> Q | None:
    """The condition of the search sample's index, for a search of ``model`` by ``query``;
    None where that index does not exist (another table, no search, SQLite)."""
    if (
        connection.vendor != "postgresql"
        or model._meta.db_table not in SAMPLED_TABLES
        or not words(query)
    ):
        return None
    return Q(Exact(Mod("psa_id", SAMPLE_EVERY), 0))
