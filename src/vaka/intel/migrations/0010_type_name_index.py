from django.db import migrations, models


def analyse_new_index(apps, schema_editor) -> None:
    """(SQLite) Give the new index statistics when the table has some: the planner otherwise
    takes an index without statistics for very selective and reads a whole type through it
    for every list page (2 s at 1,000,000 objects)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE intel_object_type_name")


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
        migrations.RunPython(analyse_new_index, migrations.RunPython.noop, elidable=True),
    ]
