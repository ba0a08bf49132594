"""Webhook signing secrets move from plain text to Fernet tokens
(hotwash.core.crypto): add the encrypted column and encrypt every existing
secret into it; 0003 drops the plain column."""

from django.db import migrations, models


def encrypt_plain_secrets(apps, schema_editor):
    from hotwash.core.crypto import encrypt

    subscriptions = apps.get_model("notifications", "WebhookSubscription")
    for subscription in subscriptions.objects.using(schema_editor.connection.alias).exclude(
        secret=""
    ):
        subscription.secret_encrypted = encrypt(subscription.secret)
        subscription.save(update_fields=["secret_encrypted"])


def decrypt_to_plain(apps, schema_editor):
    from hotwash.core.crypto import SecretUndecryptable, decrypt

    subscriptions = apps.get_model("notifications", "WebhookSubscription")
    for subscription in subscriptions.objects.using(schema_editor.connection.alias).exclude(
        secret_encrypted=""
    ):
        try:
            subscription.secret = decrypt(subscription.secret_encrypted)
        except SecretUndecryptable:
            continue  # the key changed: nothing to restore; the admin enters it again
        subscription.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="secret_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="secret (encrypted)"),
        ),
        migrations.RunPython(encrypt_plain_secrets, decrypt_to_plain),
    ]
