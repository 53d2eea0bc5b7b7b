# Reserved for Vietnam's domain rules (VN_AQI, alarm levels, geofences) if they need tables.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ioc", "0003_alerting")]

    operations: list[migrations.operations.base.Operation] = []
