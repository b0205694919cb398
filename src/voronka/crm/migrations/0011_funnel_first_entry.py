# The item's first entry into the pipeline on every stage history row, kept by triggers
# (crm.first_entries), and in the two indexes the funnel reads.

from django.db import migrations, models

from voronka.crm import first_entries, stays


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_history_left"),
    ]

    operations = [
        migrations.AddField(
            model_name="stagehistory",
            name="first_entry_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="first entry at"),
        ),
        # The triggers and the backfill, before the indexes (built once on the filled column).
        first_entries.install(),
        migrations.RemoveIndex(model_name="stagehistory", name="history_pipeline_moved"),
        migrations.AddIndex(
            model_name="stagehistory",
            index=models.Index(
                fields=["pipeline", "moved_at", "to_stage", "deal", "lead", "id", "first_entry_at"],
                name="history_pipeline_moved",
            ),
        ),
        migrations.RemoveIndex(model_name="stagehistory", name="history_creation"),
        migrations.AddIndex(
            model_name="stagehistory",
            index=models.Index(
                condition=models.Q(("from_stage__isnull", True)),
                fields=["pipeline", "moved_at", "deal", "lead", "first_entry_at"],
                name="history_creation",
            ),
        ),
        stays.analyze(),
    ]
