"""Typed columns the manager reports read: a member's daily capacity, a ticket's first
response and item, and an index to count tickets by the day they closed. The values of
records already mirrored are filled from their stored PSA JSON (RecordDocument), so the
reports are right before the next full sync.
"""

from datetime import UTC, datetime

from django.db import migrations, models

BATCH = 2000


def _datetime(value):
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ticket_values(data):
    item = data.get("item")
    name = item.get("name") if isinstance(item, dict) else None
    return {
        "date_responded": _datetime(data.get("dateResponded")),
        "item_name": str(name)[:100] if name is not None else "",
    }


def _member_values(data):
    capacity = data.get("dailyCapacity")
    usable = isinstance(capacity, int | float) and not isinstance(capacity, bool)
    return {"daily_capacity": float(capacity) if usable else None}


def fill_from_documents(apps, schema_editor):
    Document = apps.get_model("records", "RecordDocument")
    for model_name, kind, values in (
        ("ticket", "tickets", _ticket_values),
        ("member", "members", _member_values),
    ):
        model = apps.get_model("records", model_name)
        fields = list(values({}))
        last = 0
        while batch := list(model.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
            last = batch[-1].pk
            documents = {
                (doc.connection_id, doc.psa_id): doc.data
                for doc in Document.objects.filter(
                    kind=kind, psa_id__in=[record.psa_id for record in batch]
                )
            }
            for record in batch:
                data = documents.get((record.connection_id, record.psa_id)) or {}
                for name, value in values(data).items():
                    setattr(record, name, value)
            model.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0003_last_ready_at'),
        ('records', '0008_mirror_without_foreign_key_checks'),
    ]

    operations = [
        migrations.AddField(
            model_name='member',
            name='daily_capacity',
            field=models.FloatField(blank=True, help_text='Hours a day the member can work (utilization).', null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='date_responded',
            field=models.DateTimeField(blank=True, help_text="The PSA's dateResponded: the first response.", null=True),
        ),
        migrations.AddField(
            model_name='ticket',
            name='item_name',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['connection', 'closed_date'], name='tk_closed'),
        ),
        migrations.RunPython(fill_from_documents, migrations.RunPython.noop),
    ]
