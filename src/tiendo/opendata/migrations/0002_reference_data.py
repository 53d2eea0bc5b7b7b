from django.db import migrations


def load(apps, schema_editor):
    from tiendo.opendata.reference import reference_load

    reference_load(apps.get_model("opendata", "Licence"), apps.get_model("opendata", "Theme"))


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
