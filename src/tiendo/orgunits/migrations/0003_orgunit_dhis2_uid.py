"""A DHIS2-style UID on every unit, derived from its code (the same on every install)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from tiendo.core.uids import uid_for

    OrgUnit = apps.get_model("orgunits", "OrgUnit")
    for unit in OrgUnit.objects.filter(uid__isnull=True).only("pk", "code"):
        OrgUnit.objects.filter(pk=unit.pk).update(uid=uid_for("orgunit", unit.code))


class Migration(migrations.Migration):
    dependencies = [("orgunits", "0002_boundaries")]

    operations = [
        migrations.AddField(
            model_name="orgunit", name="uid", field=models.CharField(max_length=11, null=True, editable=False)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orgunit",
            name="uid",
            field=models.CharField(
                editable=False, help_text="DHIS2-style UID, derived from the code", max_length=11, unique=True
            ),
        ),
    ]
