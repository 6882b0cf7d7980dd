"""An intact chain is not proof enough: an emptied log, or one whose newest entries are gone
(checked against a hash recorded earlier), fails; PostgreSQL refuses TRUNCATE. A new
instance's log is never empty: `vaka migrate` starts it with one entry, so it verifies."""

import importlib
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.new_instance import run_vaka
from vaka.policy import audit
from vaka.policy.models import AuditEntry

START = importlib.import_module("vaka.policy.migrations.0004_audit_log_start")


def delete_where(condition: str, parameters: list | None = None) -> None:
    """Remove entries behind the application's back, as a database owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
        cursor.execute(f"DELETE FROM policy_auditentry WHERE {condition}", parameters)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def delete_newest(count: int) -> None:
    delete_where("seq > (SELECT max(seq) FROM policy_auditentry) - %s", [count])


def delete_all() -> None:
    delete_where("seq IS NOT NULL")


def start_the_chain() -> None:
    """Run migration 0004's step on this database, as `vaka migrate` does."""
    state = MigrationExecutor(connection).loader.project_state(
        ("policy", "0004_audit_log_start"), at_end=True)
    # It only needs the schema editor's connection (SQLite opens no editor in a transaction).
    START.start_the_chain(state.apps, SimpleNamespace(connection=connection))


@pytest.mark.one_database  # a new SQLite instance, in processes of its own
def test_a_new_instance_verifies_before_any_audited_action(new_instance):
    done = run_vaka(new_instance, "audit", "verify")  # `vaka migrate` made it, nothing else
    assert done.returncode == 0, done.stderr
    assert "Audit chain intact: 1 entries" in done.stdout


def test_the_migration_starts_an_empty_log_with_one_entry_and_only_once(db):
    delete_all()
    start_the_chain()
    start_the_chain()
    first = AuditEntry.objects.get()
    assert (first.seq, first.action, first.prev_hash) == (1, "log_start", audit.GENESIS)
    assert audit.verify().ok
    audit.record("test", actor_name="a")
    assert audit.verify().checked == 2


def test_verify_fails_on_an_emptied_log(db):
    audit.record("test", actor_name="a")
    delete_all()
    result = audit.verify()
    assert (result.ok, result.checked) == (False, 0)
    with pytest.raises(CommandError, match="not proven: the log is empty"):
        call_command("audit", "verify")


def test_verify_fails_when_the_first_entry_was_deleted(db):
    delete_all()
    start_the_chain()
    audit.record("test", actor_name="a")
    delete_where("seq = 1")
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 1)
    assert "entry #1 is missing" in result.reason


def test_verify_fails_when_the_expected_newest_entry_was_deleted(db):
    entries = [audit.record("test", actor_name=f"user{i}") for i in range(3)]
    delete_newest(1)
    assert audit.verify().ok  # the rest of the chain is still intact...
    result = audit.verify(expect=entries[-1].hash)  # ...but no longer reaches the record
    assert not result.ok
    assert "is not in the chain" in result.reason
    with pytest.raises(CommandError, match=f"expected hash {entries[-1].hash} is not in"):
        call_command("audit", "verify", "--expect", entries[-1].hash)


def test_verify_passes_with_a_hash_still_in_the_chain(db, capsys):
    entries = [audit.record("test", actor_name=f"user{i}") for i in range(3)]
    call_command("audit", "verify", "--expect", entries[1].hash)
    assert f"last hash {entries[2].hash}" in capsys.readouterr().out


def test_verify_fails_with_a_hash_from_elsewhere(db):
    audit.record("test", actor_name="a")
    with pytest.raises(CommandError, match="not in the chain"):
        call_command("audit", "verify", "--expect", "f" * 64)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_refuses_truncate_of_the_audit_log(db):
    with connection.cursor() as cursor:
        # The test database lets Django empty tables between tests (tests/conftest.py).
        cursor.execute("ALTER TABLE policy_auditentry ENABLE TRIGGER policy_auditentry_no_truncate")
    audit.record("test", actor_name="a")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the insert's pending FK checks
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute("TRUNCATE policy_auditentry")
    assert audit.verify().ok
