"""The audit log shows admins the kind and id of every record, its title only to readers
who may see the record."""

import pytest

from tests.factories import UserFactory, confirmed_totp, make_note, totp_code
from vaka.directory.roles import Role
from vaka.directory.services import create_user
from vaka.intel.services import delete_note
from vaka.policy.models import AuditEntry
from vaka.policy.selectors import audit_rows

TITLE = "Informant inside the Lautoka syndicate"


@pytest.fixture
def red_note(region):
    return make_note(region.analyst_a, title=TITLE, tlp="red",
                     recipients=[region.viewer_a], distribution="organisation")


def admin_client(client, user):
    client.force_login(user)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(user))})
    return client


def create_entry(note) -> AuditEntry:
    return AuditEntry.objects.get(action="create", target_type="intel.note",
                                  target_id=str(note.pk))


def test_other_organisations_admin_sees_id_but_not_title_of_red_note(region, red_note,
                                                                        client):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_b)
    page = admin_client(client, admin).get("/audit/", {"action": "create"})
    assert page.status_code == 200
    assert f"#{red_note.pk}".encode() in page.content
    assert TITLE.encode() not in page.content
    assert b"title withheld" in page.content


def test_owner_recipient_admin_sees_title_of_red_note(region, red_note, client):
    region.viewer_a.role = Role.PLATFORM_ADMIN
    region.viewer_a.save()
    page = admin_client(client, region.viewer_a).get("/audit/", {"action": "create"})
    assert TITLE.encode() in page.content


def test_hidden_record_entry_withholds_its_detail(region, red_note):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_b)
    [row] = audit_rows(admin, [create_entry(red_note)])
    assert (row.kind, row.entry.target_id) == ("note", str(red_note.pk))
    assert (row.title, row.detail, row.withheld) == ("", {}, True)


def test_visible_record_entry_shows_title_and_detail(region, red_note):
    [row] = audit_rows(region.viewer_a, [create_entry(red_note)])
    assert (row.title, row.withheld) == (TITLE, False)
    assert row.detail["tlp"] == "red"


def test_deleted_record_shows_kind_and_id_only_even_to_its_owner(region, red_note):
    pk = red_note.pk
    delete_note(red_note, user=region.analyst_a)
    entry = AuditEntry.objects.get(action="delete", target_id=str(pk))
    [row] = audit_rows(region.analyst_a, [entry])
    assert (row.kind, row.title, row.withheld) == ("note", "", True)


def test_directory_records_show_their_names_to_admins(region):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_b)
    create_user(actor=admin, organisation=region.unit_a, username="newcomer")
    entry = AuditEntry.objects.get(target_type="directory.user", action="create")
    [row] = audit_rows(admin, [entry])
    assert (row.kind, row.title, row.withheld) == ("user", "newcomer", False)


def test_unknown_record_kind_shows_kind_and_id_only(db):
    from vaka.policy import audit

    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    note = make_note(admin, title="Some note")
    entry = audit.record("test", actor=admin, target=note)
    fake = AuditEntry(seq=0, target_type="nowhere.thing", target_id="7",
                      target_repr="Secret", detail={"x": 1}, action="test")
    rows = audit_rows(admin, [entry, fake])
    assert rows[0].title == "Some note"
    assert (rows[1].kind, rows[1].title, rows[1].detail) == ("nowhere.thing", "", {})


def test_a_page_of_entries_costs_one_query_per_record_kind(region, django_assert_num_queries):
    notes = [make_note(region.analyst_a, title=f"Note {i}", tlp="red",
                       recipients=[region.viewer_a]) for i in range(10)]
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_b)
    for i in range(3):
        create_user(actor=admin, organisation=region.unit_a, username=f"newcomer{i}")
    entries = list(AuditEntry.objects.filter(
        target_type__in=["intel.note", "directory.user"]))
    assert len(entries) > len(notes)
    with django_assert_num_queries(1):  # directory records need none; notes one
        rows = audit_rows(admin, entries)
    assert all(r.withheld for r in rows if r.entry.target_type == "intel.note")
