"""Two small search indexes on tickets (PostgreSQL), beside the whole table's
records_ticket_search_words, for the searches that index answers slowly at a million
tickets (see search.py and paging.py):

- tk_open_search: the words of open tickets only. A common word among the open tickets
  (a few per cent of a large mirror) is read from it alone, not intersected with the
  whole table's entries for the word and for "open".
- tk_search_sample: the words of one ticket in ``search.SAMPLE_EVERY`` (by psa_id). A
  common word's count, capped, is reached within the sample, without reading the word's
  tens of thousands of entries in the main index.
"""

from django.db import migrations

SAMPLE_EVERY = 8  # search.SAMPLE_EVERY when this was written


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX "tk_open_search" ON "records_ticket" USING gin ("search_words") '
        'WHERE NOT "closed_flag"'
    )
    schema_editor.execute(
        'CREATE INDEX "tk_search_sample" ON "records_ticket" USING gin ("search_words") '
        f'WHERE MOD("psa_id", {SAMPLE_EVERY}) = 0'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "tk_open_search"')
    schema_editor.execute('DROP INDEX IF EXISTS "tk_search_sample"')


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0014_ticket_list_sort_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
