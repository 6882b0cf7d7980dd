"""On PostgreSQL, refuse UPDATE and DELETE on the audit log inside the database itself."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION vaka_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER policy_auditentry_append_only
    BEFORE UPDATE OR DELETE ON policy_auditentry
    FOR EACH ROW EXECUTE FUNCTION vaka_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS policy_auditentry_append_only ON policy_auditentry;
DROP FUNCTION IF EXISTS vaka_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
