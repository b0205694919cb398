# A write to the webhook subscriptions sets a new configuration stamp (crm.config_cache).

from django.db import migrations

from voronka.crm.config_cache import watch


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_bitrix24_format"),
        ("crm", "0005_config_version"),
    ]

    operations = [*watch("webhooks_webhooksubscription")]
