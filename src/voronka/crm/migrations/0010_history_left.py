# The stage history's stays by when they ended: the forecast backtest's open items (crm.stays).

from django.db import migrations, models

from voronka.crm import stays


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_item_created_lookup")]

    operations = [
        migrations.AddIndex(
            model_name="stagehistory",
            index=models.Index(
                fields=["pipeline", "to_stage", "left_at", "moved_at", "won_at", "deal", "lead"],
                name="history_left",
            ),
        ),
        stays.analyze(),
    ]
