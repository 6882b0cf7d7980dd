"""Encrypt the feed credentials and peer tokens stored in plain text before 0004."""

from django.db import migrations

from vaka.policy import crypto

FIELDS = {"Feed": ("password", "token"), "Peer": ("outgoing_token",)}


def encrypt(apps, schema_editor):
    for model, names in FIELDS.items():
        crypto.encrypt_plain(apps.get_model("exchange", model), *names)


def decrypt(apps, schema_editor):
    for model, names in FIELDS.items():
        crypto.decrypt_to_plain(apps.get_model("exchange", model), *names)


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0004_encrypted_credentials"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt),
    ]
