# Reserved for the time-series work: monthly partitions of ioc_reading on PostgreSQL, BRIN on time.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ioc", "0001_initial")]

    operations: list[migrations.operations.base.Operation] = []
