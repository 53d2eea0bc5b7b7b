# Reserved for the alert rules' state (duration and repeat debouncing) and notifications.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ioc", "0002_reading_partitions")]

    operations: list[migrations.operations.base.Operation] = []
