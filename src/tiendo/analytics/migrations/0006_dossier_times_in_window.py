"""Every time of a dossier in 2000-01-01 – 2100-12-31 (Vietnamese time), checked by the table too.

The COPY import on PostgreSQL lets these constraints refuse a file (the line-by-line fallback then
names the line and the rule); the line-by-line check refuses the same on every database. Dossiers
already stored outside the window (a year 0999 took the home page down, issue 10) are removed first,
with what they counted, and their number printed: they are not dates the province can mean. On
SQLite adding a constraint remakes the table, so the recount's index of 0005 is created again.
"""

import datetime
from collections import Counter

from django.db import migrations, models

FROM = datetime.datetime(1999, 12, 31, 17, 0, tzinfo=datetime.timezone.utc)
BEFORE = datetime.datetime(2100, 12, 31, 17, 0, tzinfo=datetime.timezone.utc)
INDEX = "analytics_dossier_month_unit_flags"


def remove_outside(apps, schema_editor):
    from tiendo.analytics.feed.counts import counted_of, counts_apply

    Dossier = apps.get_model("analytics", "Dossier")
    outside = models.Q(received_at__lt=FROM) | models.Q(received_at__gte=BEFORE)
    for name in ("due_at", "resolved_at"):
        outside |= models.Q(**{f"{name}__lt": FROM}) | models.Q(**{f"{name}__gte": BEFORE})
    rows = Dossier.objects.filter(outside)
    cells = Counter(rows.values_list("unit_id", "received_month", "flags"))
    if not cells:
        return
    deltas = {}
    for (unit_id, month, flags), n in cells.items():
        cell = deltas.setdefault((unit_id, month), [0] * len(counted_of(0)))
        for i, counted in enumerate(counted_of(flags)):
            cell[i] -= n * counted
    deleted, _ = rows.delete()
    counts_apply(deltas)
    print(f"\n  analytics 0006: {deleted} dossier(s) with a time outside 2000-2100 removed and uncounted")


def index_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON analytics_dossier (received_month, unit_id, flags)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_sqlite_count_index'),
        ('orgunits', '0002_boundaries'),
    ]

    operations = [
        migrations.RunPython(remove_outside, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.CheckConstraint(condition=models.Q(('received_at__gte', FROM), ('received_at__lt', BEFORE)), name='dossier_received_in_window'),
        ),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.CheckConstraint(condition=models.Q(('due_at__isnull', True), models.Q(('due_at__gte', FROM), ('due_at__lt', BEFORE)), _connector='OR'), name='dossier_due_in_window'),
        ),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.CheckConstraint(condition=models.Q(('resolved_at__isnull', True), models.Q(('resolved_at__gte', FROM), ('resolved_at__lt', BEFORE)), _connector='OR'), name='dossier_resolved_in_window'),
        ),
        migrations.RunPython(index_again, migrations.RunPython.noop),
    ]
