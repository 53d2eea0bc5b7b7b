"""Numbers a DecimalField(20, 6) cannot hold, stored before issue 10 on SQLite, moved to the text.

SQLite keeps such a number (`1e30` sent through dataValueSets) as REAL, and Django's reading of it
fails, so every page showing it answered 500. From now on `validation.parse_value` refuses them
(docs/forms-file-format.md, "Numbers"); this moves any already stored out of the number column into
`text_value` as written, with a comment saying why, so the reports read again and nothing is lost.
PostgreSQL never stored one (its numeric(20, 6) refused them), so there is nothing to do there.
"""

from django.db import migrations

LIMIT = 1e14
NOTE = "[0007] value out of range (|x| >= 10^14) moved to text"


def move_out_of_range(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    table = apps.get_model("reporting", "DataValue")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, CAST(value AS TEXT), comment FROM {table} "
            f"WHERE typeof(value) = 'text' OR (typeof(value) = 'real' AND abs(value) >= %s)",
            [LIMIT],
        )
        rows = cursor.fetchall()
        for pk, shown, comment in rows:
            comment = f"{comment}\n{NOTE}".strip() if comment else NOTE
            cursor.execute(
                f"UPDATE {table} SET value = NULL, text_value = %s, comment = %s WHERE id = %s",
                [shown, comment, pk],
            )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0007_dhis2_uids")]

    operations = [migrations.RunPython(move_out_of_range, migrations.RunPython.noop, elidable=True)]
