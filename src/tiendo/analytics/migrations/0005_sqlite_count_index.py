"""SQLite only: an index that lets the full recount read (month, unit, flags) in order.

SQLite groups two million rows by sorting them into a temporary b-tree (2.4 s); from this covering
index it reads them in order (about 1 s). PostgreSQL counts with a parallel scan instead and keeps
only the primary key, which is what its 2-million-row import can afford. (Django does not know this
index: a later migration that remakes the table on SQLite must create it again.)
"""

from django.db import migrations

INDEX = "analytics_dossier_month_unit_flags"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON analytics_dossier (received_month, unit_id, flags)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_dossier_counts")]

    operations = [migrations.RunPython(create, drop)]
