from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the object list's sortable columns, walked by keyset paging."""

    dependencies = [
        ("intel", "0008_submission_source"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stixobject",
            index=models.Index(fields=["name", "id"], name="intel_object_name"),
        ),
        migrations.AddIndex(
            model_name="stixobject",
            index=models.Index(fields=["type", "id"], name="intel_object_type"),
        ),
    ]
