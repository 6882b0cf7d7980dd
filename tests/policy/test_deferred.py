"""Side writes while another writer holds the database: best-effort ones are skipped, the
ones that must be kept wait in the spool and are written later, in order, once."""

import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tests.busy import database_on_file, write_lock_held
from tests.factories import UserFactory
from vaka import faults
from vaka.directory.models import ApiToken
from vaka.directory.services import authenticate_token, create_token
from vaka.policy import audit, deferred
from vaka.policy.models import AppliedDeferredWrite, AuditEntry


@pytest.fixture
def busy_ready(transactional_db, settings, tmp_path, monkeypatch):
    """Side writes wait 50 ms, the spool is the test's own, and a flush may follow a busy
    one at once; the database is a file that other connections lock as Vaka's would."""
    settings.SIDE_WRITE_WAIT = 0.05
    settings.DEFERRED_WRITES_DIR = tmp_path / "deferred"
    monkeypatch.setattr(deferred, "RETRY_AFTER_BUSY", 0)
    with database_on_file(tmp_path, busy_timeout=5):
        yield tmp_path / "deferred"


def spooled_lines(folder) -> list[dict]:
    path = folder / "writes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_entry_within_a_transaction_is_written_in_it_and_never_spooled(db):
    entry = audit.record("test", actor_name="a")
    assert entry is not None and entry.pk
    assert not deferred.pending()


def test_entries_spooled_while_busy_are_written_in_order_with_their_own_times(busy_ready):
    before = AuditEntry.objects.count()
    with write_lock_held():
        started = timezone.now()
        results = [audit.record("test", actor_name=f"user{i}") for i in range(3)]
        assert results == [None, None, None]
        assert [line["data"]["actor_name"] for line in spooled_lines(busy_ready)] == [
            "user0", "user1", "user2"]
    assert AuditEntry.objects.count() == before
    written_after = timezone.now()
    assert deferred.flush() == 3
    entries = list(AuditEntry.objects.filter(action="test").order_by("seq"))
    assert [e.actor_name for e in entries] == ["user0", "user1", "user2"]
    assert all(started <= e.at <= written_after for e in entries)
    assert not deferred.pending()
    assert not AppliedDeferredWrite.objects.exists()
    assert audit.verify().ok


def test_an_entry_made_while_others_wait_joins_the_end_of_the_spool(busy_ready):
    with write_lock_held():
        audit.record("test", actor_name="first")
    assert audit.record("test", actor_name="second") is None  # the database is free now
    deferred.flush()
    assert [e.actor_name for e in AuditEntry.objects.filter(action="test").order_by("seq")] == [
        "first", "second"]


def test_a_flush_stopped_after_committing_writes_nothing_twice(busy_ready, monkeypatch):
    with write_lock_held():
        audit.record("test", actor_name="once")
    monkeypatch.setattr(deferred, "_empty_spool", lambda: None)  # killed before emptying
    assert deferred.flush() == 1
    assert deferred.pending()
    monkeypatch.undo()
    assert deferred.flush() == 0
    assert AuditEntry.objects.filter(action="test").count() == 1
    assert not deferred.pending()
    assert audit.verify().ok


def test_a_line_cut_short_by_a_crash_is_set_aside_and_the_rest_written(busy_ready):
    busy_ready.mkdir(parents=True, exist_ok=True)
    (busy_ready / "writes.jsonl").write_bytes(b'{"id": "cut sho')
    audit.record("test", actor_name="after the crash")
    assert deferred.flush() == 1
    assert AuditEntry.objects.filter(actor_name="after the crash").exists()
    [rejected] = (busy_ready / "rejected.jsonl").read_text().splitlines()
    assert json.loads(rejected)["line"] == '{"id": "cut sho'
    assert not deferred.pending()


def test_an_entry_whose_user_was_deleted_meanwhile_keeps_the_name(busy_ready):
    user = UserFactory(username="leaver")
    with write_lock_held():
        audit.record("test", actor=user)
    user.delete()
    deferred.flush()
    entry = AuditEntry.objects.get(action="test")
    assert (entry.actor_id, entry.actor_name) == (None, "leaver")


def test_a_token_last_use_is_skipped_while_busy_and_noted_at_the_next_use(busy_ready):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows: only the token's own would hold its last use")
    token, key = create_token(UserFactory(), name="script")
    with write_lock_held():
        assert authenticate_token(key) == token
    assert ApiToken.objects.get(pk=token.pk).last_used is None
    assert authenticate_token(key) == token
    assert ApiToken.objects.get(pk=token.pk).last_used is not None


def test_audit_verify_writes_the_spool_first(busy_ready, capsys):
    with write_lock_held():
        audit.record("test", actor_name="waiting")
    call_command("audit", "verify")
    assert AuditEntry.objects.filter(actor_name="waiting").exists()
    assert "Audit chain intact" in capsys.readouterr().out


def test_busy_is_told_from_other_database_errors():
    from django.db import IntegrityError, OperationalError

    assert faults.is_database_busy(OperationalError("database is locked"))
    assert not faults.is_database_busy(OperationalError("no such table: x"))
    assert not faults.is_database_busy(IntegrityError("database is locked"))
    assert not faults.is_database_busy(ValueError("database is locked"))


def note_after_commit(data, at, *, late=False):
    """An applier whose write, once committed, makes another side write."""
    transaction.on_commit(lambda: audit.record("test", actor_name=data["then"]))


def test_a_side_write_made_while_the_spool_is_written_joins_it(busy_ready, monkeypatch):
    monkeypatch.setitem(deferred.APPLIERS, "test", f"{__name__}.note_after_commit")
    deferred._append("test", {"then": "made while flushing"}, timezone.now())  # spooled
    assert deferred.flush() == 2
    assert AuditEntry.objects.filter(actor_name="made while flushing").exists()
    assert not deferred.pending()
