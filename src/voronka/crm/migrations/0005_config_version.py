# The configuration stamp (crm.config_cache): one row, set anew by triggers on every write to a
# configuration table of the CRM (automation and webhooks add theirs in their own migrations).

import secrets

from django.db import migrations, models

from voronka.crm.config_cache import watch


def stamp(apps, schema_editor):
    apps.get_model("crm", "ConfigVersion").objects.create(pk=1, version=secrets.randbits(62))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_merge_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0, verbose_name="version")),
            ],
            options={
                "verbose_name": "configuration version",
                "verbose_name_plural": "configuration versions",
            },
        ),
        migrations.RunPython(stamp, migrations.RunPython.noop),
        *watch("crm_pipeline", "crm_stage", "crm_source", "crm_customfield", "crm_crmsettings"),
    ]
