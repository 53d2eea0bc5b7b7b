from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models


def fill_months(apps, schema_editor):
    """Existing dossiers get their local YYYYMM (in batches; nothing to do on a fresh install)."""
    Dossier = apps.get_model("analytics", "Dossier")
    tz = ZoneInfo(settings.TIME_ZONE)
    batch = []
    for dossier in Dossier.objects.only("dossier_id", "received_at").iterator(chunk_size=5000):
        local = dossier.received_at.astimezone(tz)
        dossier.received_month = local.year * 100 + local.month
        batch.append(dossier)
        if len(batch) >= 5000:
            Dossier.objects.bulk_update(batch, ["received_month"])
            batch.clear()
    if batch:
        Dossier.objects.bulk_update(batch, ["received_month"])


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_dossier_unit_index")]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="received_month",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="YYYYMM of received_at in local time: the cell, grouped without a date function",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_months, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["received_month", "unit"], name="analytics_d_receive_2e8d58_idx"),
        ),
    ]
