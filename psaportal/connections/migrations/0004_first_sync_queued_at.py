from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    """A connection READY before this field existed has had its first sync: none is queued."""
    Connection = apps.get_model("connections", "Connection")
    Connection.objects.filter(last_ready_at__isnull=False).update(
        first_sync_queued_at=F("last_ready_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0003_last_ready_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="first_sync_queued_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When its first sync was queued, on first becoming READY (once per connection).",
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
