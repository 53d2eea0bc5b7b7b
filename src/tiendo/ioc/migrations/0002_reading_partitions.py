# Raw readings on PostgreSQL: a table partitioned by month on ts, a BRIN index on ts, a default
# partition so that no reading is ever refused for want of a partition (tiendo ioc-retention moves
# rows out of it when it creates a month). On SQLite the table stays as 0001 made it.
from django.db import migrations

from tiendo.ioc.partitions import months_ensure


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ioc_reading RENAME TO ioc_reading_plain")
        cursor.execute(
            "ALTER TABLE ioc_reading_plain RENAME CONSTRAINT ioc_reading_pkey TO ioc_reading_plain_pkey"
        )
        cursor.execute(
            "CREATE TABLE ioc_reading (series_id bigint NOT NULL, ts timestamptz NOT NULL, "
            "value double precision NOT NULL, PRIMARY KEY (series_id, ts)) PARTITION BY RANGE (ts)"
        )
        cursor.execute("CREATE TABLE ioc_reading_default PARTITION OF ioc_reading DEFAULT")
        cursor.execute("CREATE INDEX ioc_reading_ts_brin ON ioc_reading USING brin (ts)")
        cursor.execute(
            "ALTER TABLE ioc_reading ADD CONSTRAINT ioc_reading_series_fk FOREIGN KEY (series_id) "
            "REFERENCES ioc_devicemetric (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
        )
        cursor.execute("INSERT INTO ioc_reading SELECT series_id, ts, value FROM ioc_reading_plain")
        cursor.execute("DROP TABLE ioc_reading_plain")
    months_ensure(connection=schema_editor.connection)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ioc_reading RENAME TO ioc_reading_parts")
        # the names of constraints are the schema's: free the primary key's for the plain table
        cursor.execute(
            "ALTER TABLE ioc_reading_parts RENAME CONSTRAINT ioc_reading_pkey TO ioc_reading_parts_pkey"
        )
        cursor.execute(
            "CREATE TABLE ioc_reading (series_id bigint NOT NULL REFERENCES ioc_devicemetric (id) "
            "DEFERRABLE INITIALLY DEFERRED, ts timestamptz NOT NULL, value double precision NOT NULL, "
            "CONSTRAINT ioc_reading_pkey PRIMARY KEY (series_id, ts))"
        )
        cursor.execute("INSERT INTO ioc_reading SELECT series_id, ts, value FROM ioc_reading_parts")
        cursor.execute("DROP TABLE ioc_reading_parts CASCADE")


class Migration(migrations.Migration):
    dependencies = [("ioc", "0001_initial")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
