"""Move the authenticator apps from django-otp's table, where the secret was plain hex, to
``directory.TOTPDevice``, where it is encrypted. Sessions verified before the move sign in
with a code again (they named the old device)."""

from django.db import migrations

COPIED = ("user_id", "name", "confirmed", "throttling_failure_timestamp",
          "throttling_failure_count", "last_used_at", "key", "step", "t0", "digits",
          "tolerance", "drift", "last_t")


def move(source, target):
    for old in source.objects.order_by("pk"):
        new = target.objects.create(**{name: getattr(old, name) for name in COPIED})
        # created_at is set on creation: keep the original date.
        target.objects.filter(pk=new.pk).update(created_at=old.created_at)
    source.objects.all().delete()


def forwards(apps, schema_editor):
    move(apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("directory", "TOTPDevice"))


def backwards(apps, schema_editor):
    move(apps.get_model("directory", "TOTPDevice"), apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0005_totp_device"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
