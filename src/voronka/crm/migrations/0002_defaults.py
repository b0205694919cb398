from django.db import migrations


def forwards(apps, schema_editor):
    from voronka.crm.defaults import create_defaults

    create_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
