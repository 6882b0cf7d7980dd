"""On PostgreSQL, refuse TRUNCATE of the audit log too: row triggers do not fire for it."""

from django.db import migrations

CREATE = """
CREATE TRIGGER policy_auditentry_no_truncate
    BEFORE TRUNCATE ON policy_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION vaka_audit_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS policy_auditentry_no_truncate ON policy_auditentry;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("policy", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
