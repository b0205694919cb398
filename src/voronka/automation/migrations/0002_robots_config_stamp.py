# A write to the robots sets a new configuration stamp (crm.config_cache).

from django.db import migrations

from voronka.crm.config_cache import watch


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("crm", "0005_config_version"),
    ]

    operations = [*watch("automation_robot")]
