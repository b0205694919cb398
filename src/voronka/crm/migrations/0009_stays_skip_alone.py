# The stays' insert trigger does nothing for a row alone for its item (crm.stays._alone): a new
# item's creation row, which every create, bulk create and import writes, costs one probe.

from django.db import migrations

from voronka.crm import stays


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_stays")]

    operations = [stays.skip_alone()]
