"""Start the audit chain with one entry, so that even a new instance's log is never empty.

`vaka audit verify` fails on an empty log (deleting every entry must not pass); without
this entry a new instance failed too, until its first audited action. The entry is
written once, when this migration runs, and only into an empty log: a log in use already
has its first entry. Deleting it later breaks the chain like deleting any other entry."""

from django.db import migrations
from django.utils import timezone

from vaka.policy import audit
from vaka.policy.models import AuditEntry as CurrentAuditEntry


def start_the_chain(apps, schema_editor):
    AuditEntry = apps.get_model("policy", "AuditEntry")
    entries = AuditEntry.objects.using(schema_editor.connection.alias)
    if entries.exists():
        return
    first = {"seq": 1, "at": timezone.now(), "actor_name": "migrate",
             "action": audit.Action.LOG_START, "detail": {}, "prev_hash": audit.GENESIS}
    # Hashed by the chain's one definition, on an unsaved instance of the current model.
    first["hash"] = CurrentAuditEntry(**first).compute_hash()
    entries.create(**first)


class Migration(migrations.Migration):
    dependencies = [("policy", "0003_audit_no_truncate")]
    # Nothing to undo: the audit log is append-only.
    operations = [migrations.RunPython(start_the_chain, migrations.RunPython.noop)]
