import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import UserFactory, make_note
from vaka.intel.models import Note
from vaka.policy import audit
from vaka.policy.models import AuditEntry
from vaka.policy.selectors import audit_entries


def tamper(sql: str) -> None:
    """Change the table behind the application's back, as a database superuser could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_chain_of_a_fresh_log_verifies(region):
    make_note(region.analyst_a)
    result = audit.verify()
    assert result.ok
    assert result.checked == AuditEntry.objects.count() > 0
    assert result.last_hash == AuditEntry.objects.order_by("-seq").first().hash


def test_each_entry_links_to_the_one_before(db):
    first = audit.record("test", actor_name="a")
    second = audit.record("test", actor_name="b")
    assert second.prev_hash == first.hash
    assert second.seq == first.seq + 1


def test_altered_entry_is_named_by_verify(db):
    for i in range(5):
        audit.record("test", actor_name=f"user{i}")
    tamper("UPDATE policy_auditentry SET actor_name = 'mallory' WHERE seq = 3")
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 3
    assert "altered" in result.reason
    with pytest.raises(CommandError, match="broken at entry #3"):
        call_command("audit", "verify")


def test_removed_entry_is_named_by_verify(db):
    for i in range(4):
        audit.record("test", actor_name=f"user{i}")
    tamper("DELETE FROM policy_auditentry WHERE seq = 2")
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "missing" in result.reason


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm(db):
    entry = audit.record("test", actor_name="a")
    entry.actor_name = "b"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(actor_name="x")


def test_note_writes_are_audited_with_who_and_what(region):
    note = make_note(region.analyst_a, title="Phishing kit")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor, entry.organisation) == ("create", region.analyst_a,
                                                              region.unit_a)
    assert entry.target_type == "intel.note"
    assert entry.target_id == str(note.pk)
    assert entry.detail["tlp"] == "amber"


def test_viewing_red_and_amber_strict_records_is_audited_but_green_is_not(region, client):
    red = make_note(region.analyst_a, tlp="red", recipients=[region.viewer_a])
    strict = make_note(region.analyst_a, tlp="amber+strict")
    green = make_note(region.analyst_a, tlp="green")
    client.force_login(region.viewer_a)
    before = AuditEntry.objects.filter(action="view").count()
    for note in (red, strict, green):
        assert client.get(f"/intel/notes/{note.pk}/").status_code == 200
    views = AuditEntry.objects.filter(action="view").order_by("seq")
    assert views.count() == before + 2
    assert [v.target_id for v in views] == [str(red.pk), str(strict.pk)]
    assert views.last().actor == region.viewer_a
    assert views.last().ip == "127.0.0.1"


def test_audit_log_page_is_for_platform_admins_and_filters(region, client):
    # Shared with every member, so the other organisation's admin may read its title.
    make_note(region.analyst_a, title="Filtered", distribution="members", tlp="green")
    admin = UserFactory(role="platform_admin", organisation=region.unit_b)
    client.force_login(region.analyst_a)
    assert client.get("/audit/").status_code == 403
    client.force_login(admin)
    # Platform admins must have a second factor: verify the session as django-otp would.
    from tests.factories import confirmed_totp, totp_code

    device = confirmed_totp(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(device)})
    page = client.get("/audit/", {"user": "analyst_a", "action": "create"})
    assert page.status_code == 200
    assert b"Filtered" in page.content
    assert list(audit_entries(user="analyst_a", action="delete")) == []
    assert Note.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_refuses_direct_updates_of_the_audit_log(db):
    from django.db import DatabaseError, transaction

    audit.record("test", actor_name="a")
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute("UPDATE policy_auditentry SET actor_name = 'x'")


def test_every_audit_action_has_a_label_for_the_audit_page():
    assert set(audit.ACTION_LABELS) == set(audit.ACTIONS)
