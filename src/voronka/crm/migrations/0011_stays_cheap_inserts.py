# The stays' triggers skip the rows that have nothing to do (crm.stays.cheap_inserts): a new item's
# creation row costs one probe on SQLite; on PostgreSQL one trigger per statement reads the
# statement's rows from its transition table, so a COPY of new items is one query.

from django.db import migrations

from voronka.crm import stays


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_history_left")]

    operations = [stays.cheap_inserts()]
