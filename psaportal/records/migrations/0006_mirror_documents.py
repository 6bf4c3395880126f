"""The full PSA JSON moves out of the mirror tables into RecordDocument, so list tables stay
narrow; search text becomes words (search.search_text), found on PostgreSQL through a
full-text index instead of a trigram one; the synced_at indexes, which only served one
DELETE per full sync, go.
"""

import re

import django.db.models.deletion
from django.db import migrations, models

#: Mirror model -> registry key, as of this migration.
KINDS = {
    "ticket": "tickets",
    "company": "companies",
    "contact": "contacts",
    "project": "projects",
    "opportunity": "opportunities",
    "timeentry": "time_entries",
    "product": "products",
    "expenseentry": "expense_entries",
    "configuration": "configurations",
    "member": "members",
    "board": "boards",
    "boardstatus": "statuses",
    "priority": "priorities",
}
#: The mirror tables that had a trigram index (the lookups' tables have none).
SEARCHED = list(KINDS)[:9]
BATCH = 2000
WORD = re.compile(r"[^\W_]+")


def _words(text):
    return " ".join(dict.fromkeys(WORD.findall(text.lower())))


def move_documents(apps, schema_editor):
    Document = apps.get_model("records", "RecordDocument")
    for model_name, key in KINDS.items():
        model = apps.get_model("records", model_name)
        last = 0
        while batch := list(model.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
            last = batch[-1].pk
            Document.objects.bulk_create(
                [
                    Document(
                        connection_id=record.connection_id,
                        kind=key,
                        psa_id=record.psa_id,
                        data=record.data,
                    )
                    for record in batch
                ],
                ignore_conflicts=True,
            )
            for record in batch:
                record.search_text = _words(record.search_text)
            model.objects.bulk_update(batch, ["search_text"])


def use_full_text_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCHED:
        table = apps.get_model("records", name)._meta.db_table
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_search_trgm"')
        # Stored, so that a search condition checked row by row reads the words instead of
        # parsing the text again; Django's models do not know this column (see search.py).
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN "search_words" tsvector GENERATED ALWAYS AS '
            "(to_tsvector('simple'::regconfig, \"search_text\")) STORED"
        )
        schema_editor.execute(
            f'CREATE INDEX "{table}_search_words" ON "{table}" USING gin ("search_words")'
        )


def use_trigram_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCHED:
        table = apps.get_model("records", name)._meta.db_table
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "search_words"')
        schema_editor.execute(
            f'CREATE INDEX "{table}_search_trgm" ON "{table}" USING gin '
            '("search_text" gin_trgm_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0003_last_ready_at"),
        ("records", "0005_mirror_connection_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        help_text="The registry key of the record kind.", max_length=32
                    ),
                ),
                ("psa_id", models.BigIntegerField()),
                ("data", models.JSONField(default=dict)),
            ],
        ),
        migrations.AddField(
            model_name="recorddocument",
            name="connection",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="connections.connection",
            ),
        ),
        migrations.AddConstraint(
            model_name="recorddocument",
            constraint=models.UniqueConstraint(
                fields=("connection", "kind", "psa_id"), name="records_document_unique"
            ),
        ),
        # Going back leaves the restored data columns empty until the next full sync.
        migrations.RunPython(move_documents, migrations.RunPython.noop),
        migrations.RunPython(use_full_text_search, use_trigram_search),
        migrations.RemoveIndex(
            model_name="board",
            name="bd_synced",
        ),
        migrations.RemoveIndex(
            model_name="boardstatus",
            name="bs_synced",
        ),
        migrations.RemoveIndex(
            model_name="company",
            name="co_synced",
        ),
        migrations.RemoveIndex(
            model_name="configuration",
            name="cf_synced",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="ct_synced",
        ),
        migrations.RemoveIndex(
            model_name="expenseentry",
            name="ex_synced",
        ),
        migrations.RemoveIndex(
            model_name="member",
            name="mb_synced",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="op_synced",
        ),
        migrations.RemoveIndex(
            model_name="priority",
            name="pt_synced",
        ),
        migrations.RemoveIndex(
            model_name="product",
            name="pr_synced",
        ),
        migrations.RemoveIndex(
            model_name="project",
            name="pj_synced",
        ),
        migrations.RemoveIndex(
            model_name="ticket",
            name="tk_synced",
        ),
        migrations.RemoveIndex(
            model_name="timeentry",
            name="te_synced",
        ),
        migrations.RemoveField(
            model_name="board",
            name="data",
        ),
        migrations.RemoveField(
            model_name="boardstatus",
            name="data",
        ),
        migrations.RemoveField(
            model_name="company",
            name="data",
        ),
        migrations.RemoveField(
            model_name="configuration",
            name="data",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="data",
        ),
        migrations.RemoveField(
            model_name="expenseentry",
            name="data",
        ),
        migrations.RemoveField(
            model_name="member",
            name="data",
        ),
        migrations.RemoveField(
            model_name="opportunity",
            name="data",
        ),
        migrations.RemoveField(
            model_name="priority",
            name="data",
        ),
        migrations.RemoveField(
            model_name="product",
            name="data",
        ),
        migrations.RemoveField(
            model_name="project",
            name="data",
        ),
        migrations.RemoveField(
            model_name="ticket",
            name="data",
        ),
        migrations.RemoveField(
            model_name="timeentry",
            name="data",
        ),
        migrations.AlterField(
            model_name="board",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="boardstatus",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="company",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="configuration",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="expenseentry",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="priority",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="project",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="owner_identifier",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AlterField(
            model_name="timeentry",
            name="search_text",
            field=models.TextField(
                blank=True,
                help_text="The words of the registry's search fields (search.search_text).",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["connection", "owner_identifier"], name="tk_owner"),
        ),
    ]
