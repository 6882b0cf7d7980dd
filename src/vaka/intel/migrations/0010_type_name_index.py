from django.db import migrations, models


class Migration(migrations.Migration):
    """The object list filtered by type and sorted by name walks one index."""

    dependencies = [
        ("intel", "0009_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stixobject",
            index=models.Index(fields=["type", "name", "id"], name="intel_object_type_name"),
        ),
    ]
