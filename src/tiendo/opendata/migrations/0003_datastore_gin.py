"""PostgreSQL: a GIN index (jsonb_path_ops) on the rows' data, so datastore_search's `filters`
(`data @> '{"column": value}'`) read only the matching rows of a million-row table. SQLite has no
such index; its filters scan the version's rows."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS opendata_datastorerow_data_gin ON opendata_datastorerow USING gin (data jsonb_path_ops)"
DROP = "DROP INDEX IF EXISTS opendata_datastorerow_data_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0002_reference_data")]

    operations = [migrations.RunPython(forwards, backwards)]
