"""An intact chain is not proof enough: an empty log, or one whose newest entries are gone
(checked against a hash recorded earlier), fails; PostgreSQL refuses TRUNCATE."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from vaka.policy import audit


def delete_newest(count: int) -> None:
    """Remove the newest entries behind the application's back, as a database owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
        cursor.execute("DELETE FROM policy_auditentry WHERE seq > "
                       "(SELECT max(seq) FROM policy_auditentry) - %s", [count])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_verify_fails_on_an_empty_log(db):
    result = audit.verify()
    assert (result.ok, result.checked) == (False, 0)
    with pytest.raises(CommandError, match="not proven: the log is empty"):
        call_command("audit", "verify")


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
