from django.db import migrations


def forwards(apps, schema_editor):
    from voronka.accounts.roles import create_built_in_roles

    create_built_in_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
