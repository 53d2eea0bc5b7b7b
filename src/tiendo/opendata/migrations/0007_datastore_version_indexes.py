"""PostgreSQL: the indexes a big version gets when it is stored (services.datastore_indexes_create),
made for the versions stored before them: for a version of at least 50,000 rows, one per column of
type string, integer or date (the first 12), `(data -> 'column'), row WHERE version_id = N`, so that
datastore_search's filter on such a column reads only that version's matching rows, in row order.
The rule is copied here as it stood (selectors.datastore_indexed_columns); SQLite has no such index."""

from django.db import migrations

MIN_ROWS = 50_000
MAX_COLUMNS = 12
TYPES = ("string", "integer", "date")
PREFIX = "opendata_dsrow_v"


def _columns(version):
    fields = (version.schema or {}).get("fields", [])
    return [f["name"] for f in fields if f.get("type", "string") in TYPES][:MAX_COLUMNS]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from psycopg import sql

    DatasetVersion = apps.get_model("opendata", "DatasetVersion")
    with schema_editor.connection.cursor() as cursor:
        for version in DatasetVersion.objects.filter(row_count__gte=MIN_ROWS).order_by("pk"):
            for position, column in enumerate(_columns(version)):
                statement = sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {name} ON opendata_datastorerow ((data -> {column}), row) "
                    "WHERE version_id = {id}"
                ).format(
                    name=sql.Identifier(f"{PREFIX}{version.pk}_c{position}"),
                    column=sql.Literal(column),
                    id=sql.Literal(version.pk),
                )
                cursor.execute(statement.as_string(cursor.connection))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from psycopg import sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'opendata_datastorerow' AND indexname LIKE %s",
            [PREFIX + "%"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)).as_string(cursor.connection)
            )


class Migration(migrations.Migration):
    dependencies = [("opendata", "0006_withheld_units")]

    operations = [migrations.RunPython(forwards, backwards)]
