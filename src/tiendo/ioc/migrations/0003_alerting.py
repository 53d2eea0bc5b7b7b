# The alert rules' memory between batches (duration and repeat debouncing, rate of change).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ioc', '0002_reading_partitions'),
    ]

    operations = [
        migrations.CreateModel(
            name='RuleState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('breach_since', models.DateTimeField(blank=True, null=True)),
                ('breach_count', models.IntegerField(default=0)),
                ('last_ts', models.DateTimeField(blank=True, null=True)),
                ('last_value', models.FloatField(blank=True, null=True)),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='states', to='ioc.alertrule')),
                ('series', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ioc.devicemetric')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('rule', 'series'), name='ioc_rulestate_rule_series')],
            },
        ),
    ]
