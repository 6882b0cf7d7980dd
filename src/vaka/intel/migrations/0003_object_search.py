"""Full-text search over STIX objects' names and descriptions.

SQLite: an FTS5 table keyed by object id, filled per ingest batch. PostgreSQL: a GIN
index on the tsvector of name and description, kept by the database itself.
"""

from django.db import migrations

SQLITE = ("CREATE VIRTUAL TABLE intel_object_search USING fts5("
          "name, description, tokenize = 'unicode61 remove_diacritics 2')")
# Punctuation becomes spaces, so "evil-portal.net" is the words evil, portal, net — as
# SQLite's tokenizer sees it (PostgreSQL's own parser would keep one hostname token).
POSTGRES = ("CREATE INDEX intel_object_search ON intel_stixobject USING GIN (to_tsvector("
            "'simple', regexp_replace(name || ' ' || description, '[^[:alnum:]]+', ' ', 'g')))")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS intel_object_search")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS intel_object_search")


class Migration(migrations.Migration):
    dependencies = [("intel", "0002_stix_store")]
    operations = [migrations.RunPython(forwards, backwards)]
