"""The plain-text secret column goes, once 0002 has encrypted its values."""

import hotwash.notifications.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_webhook_secret_encrypted"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="webhooksubscription",
            name="secret",
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret_env",
            field=models.CharField(
                blank=True,
                help_text="Or the name of an environment variable of the worker that holds the secret; it must start with HOTWASH_SECRET_.",
                max_length=100,
                validators=[hotwash.notifications.models.validate_env_name],
                verbose_name="secret from environment variable",
            ),
        ),
    ]
