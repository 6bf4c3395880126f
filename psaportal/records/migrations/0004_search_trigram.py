"""PostgreSQL: trigram indexes so the list search (search_text LIKE '%term%') needs no scan.

SQLite has no such index; there the search scans, which is fine at a newcomer's scale.
"""

from django.db import migrations

TABLES = (
    "records_ticket",
    "records_company",
    "records_contact",
    "records_project",
    "records_opportunity",
    "records_timeentry",
    "records_product",
    "records_expenseentry",
    "records_configuration",
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_search_trgm" '
            f'ON "{table}" USING gin ("search_text" gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_search_trgm"')


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0003_sync_pages"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
