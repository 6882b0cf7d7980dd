import uuid

from django.db import migrations, models


def give_uids(apps, schema_editor):
    Organisation = apps.get_model("directory", "Organisation")
    for org in Organisation.objects.filter(uid__isnull=True).only("pk"):
        Organisation.objects.filter(pk=org.pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_remote_organisations")]

    operations = [
        migrations.AddField(
            model_name="organisation", name="uid",
            field=models.UUIDField(null=True, editable=False, verbose_name="identifier"),
        ),
        migrations.RunPython(give_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="organisation", name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True,
                                   verbose_name="identifier"),
        ),
    ]
