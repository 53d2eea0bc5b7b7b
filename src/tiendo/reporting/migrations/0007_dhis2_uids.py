"""A DHIS2-style UID on every data element and form, derived from its code (the same on every install)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from tiendo.core.uids import uid_for

    for model, kind in (("DataElement", "dataelement"), ("DataSet", "dataset")):
        Model = apps.get_model("reporting", model)
        for row in Model.objects.filter(uid__isnull=True).only("pk", "code"):
            Model.objects.filter(pk=row.pk).update(uid=uid_for(kind, row.code))


def _field(**kwargs):
    return models.CharField(max_length=11, editable=False, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0006_four_eyes_exception")]

    operations = [
        migrations.AddField(model_name="dataelement", name="uid", field=_field(null=True)),
        migrations.AddField(model_name="dataset", name="uid", field=_field(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dataelement",
            name="uid",
            field=_field(unique=True, help_text="DHIS2-style UID, derived from the code"),
        ),
        migrations.AlterField(
            model_name="dataset",
            name="uid",
            field=_field(unique=True, help_text="DHIS2-style UID, derived from the code"),
        ),
    ]
