"""Admins never widen their own audience by editing the directory: another admin must."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import (
    CommunityFactory,
    OrganisationFactory,
    UserFactory,
    confirmed_totp,
    make_note,
    totp_code,
)
from vaka.directory import services
from vaka.directory.models import Community, Organisation
from vaka.directory.roles import Role
from vaka.intel.models import Note
from vaka.policy.models import AuditEntry
from vaka.policy.visibility import visible_to


@pytest.fixture
def admin(region):
    return UserFactory(username="admin_b", role=Role.PLATFORM_ADMIN, organisation=region.unit_b)


@pytest.fixture
def other_admin(region):
    return UserFactory(username="admin_a", role=Role.PLATFORM_ADMIN,
                       organisation=region.unit_a)


def refusals(actor) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="refused", actor=actor))


def test_admin_may_not_give_own_organisation_a_server(region, admin):
    amber = make_note(region.analyst_a, recipient_organisations=[region.unit_a], tlp="amber",
                      distribution="members")
    org = Organisation.objects.get(pk=region.unit_b.pk)
    org.served_by = region.unit_a
    with pytest.raises(ValidationError, match="Another admin must") as caught:
        services.save_organisation(org, actor=admin)
    assert "served_by" in caught.value.message_dict
    assert Organisation.objects.get(pk=region.unit_b.pk).served_by_id is None
    assert amber not in visible_to(admin, Note.objects.all())


def test_refused_served_by_change_is_audited_with_before_and_after(region, admin):
    org = Organisation.objects.get(pk=region.unit_b.pk)
    org.served_by = region.unit_a
    with pytest.raises(ValidationError):
        services.save_organisation(org, actor=admin)
    [entry] = refusals(admin)
    assert (entry.target_type, entry.target_id) == ("directory.organisation",
                                                    str(region.unit_b.pk))
    assert entry.detail["refused"] == "served_by"
    assert entry.detail["before"] == {"served_by": None}
    assert entry.detail["after"] == {"served_by": region.unit_a.pk}


def test_another_admin_may_give_the_organisation_a_server(region, admin, other_admin):
    org = Organisation.objects.get(pk=region.unit_b.pk)
    org.served_by = region.unit_a
    services.save_organisation(org, actor=other_admin)
    entry = AuditEntry.objects.get(action="update", target_type="directory.organisation")
    assert entry.detail["before"] == {"served_by": None}
    assert entry.detail["after"] == {"served_by": region.unit_a.pk}


def test_admin_may_edit_other_fields_of_own_organisation_and_drop_its_server(region):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.cert)
    org = Organisation.objects.get(pk=region.cert.pk)
    org.name, org.served_by = "CERT A (national)", None
    services.save_organisation(org, actor=admin)
    entry = AuditEntry.objects.get(action="update", target_type="directory.organisation")
    assert entry.detail["before"] == {"name": "CERT A", "served_by": region.unit_a.pk}
    assert entry.detail["after"] == {"name": "CERT A (national)", "served_by": None}


def test_admin_may_not_add_own_organisation_to_a_community(region, admin):
    community = Community.objects.get(pk=region.community.pk)
    with pytest.raises(ValidationError, match="Another admin must") as caught:
        services.save_community(community, [region.unit_a, region.cert, region.unit_b],
                                actor=admin)
    assert "members" in caught.value.message_dict
    assert region.unit_b not in region.community.members.all()
    [entry] = refusals(admin)
    assert entry.detail["before"]["members"] == sorted([region.unit_a.pk, region.cert.pk])
    assert region.unit_b.pk in entry.detail["after"]["members"]


def test_admin_may_not_create_a_community_with_own_organisation(region, admin):
    with pytest.raises(ValidationError, match="Another admin must"):
        services.save_community(Community(name="New circle"), [region.unit_b], actor=admin)
    assert not Community.objects.filter(name="New circle").exists()
    [entry] = refusals(admin)
    assert entry.target_type == "" and entry.detail["record"] == "New circle"


def test_admin_may_change_communities_own_organisation_does_not_join(region, admin,
                                                                     other_admin):
    community = Community.objects.get(pk=region.community.pk)
    services.save_community(community, [region.unit_a], actor=admin)
    entry = AuditEntry.objects.get(action="update", target_type="directory.community")
    assert entry.detail["before"] == {"members": sorted([region.unit_a.pk, region.cert.pk])}
    assert entry.detail["after"] == {"members": [region.unit_a.pk]}
    services.save_community(community, [region.unit_a, region.unit_b], actor=other_admin)
    assert region.unit_b in community.members.all()


def test_admin_may_not_move_self_to_another_organisation(region, admin):
    with pytest.raises(ValidationError, match="Another admin must") as caught:
        services.update_user(admin, actor=admin, organisation=region.unit_a)
    assert "organisation" in caught.value.message_dict
    admin.refresh_from_db()
    assert admin.organisation == region.unit_b
    [entry] = refusals(admin)
    assert entry.detail["after"] == {"organisation": region.unit_a.pk}


def test_admin_may_not_change_own_role(region):
    org_admin = UserFactory(role=Role.ORG_ADMIN, organisation=region.unit_a)
    with pytest.raises(ValidationError, match="Another admin must"):
        services.update_user(org_admin, actor=org_admin, role=Role.ANALYST)
    org_admin.refresh_from_db()
    assert org_admin.role == Role.ORG_ADMIN
    assert refusals(org_admin)[0].detail["refused"] == "role"


def test_another_admin_moves_a_user_and_the_change_is_audited(region, admin, other_admin):
    services.update_user(admin, actor=other_admin, organisation=region.unit_a)
    entry = AuditEntry.objects.get(action="update", target_id=str(admin.pk))
    assert entry.detail["changed"] == ["organisation"]
    assert entry.detail["before"] == {"organisation": region.unit_b.pk}
    assert entry.detail["after"] == {"organisation": region.unit_a.pk}


def test_admin_may_not_create_a_token_for_someone_else(region, admin):
    with pytest.raises(PermissionDenied):
        services.create_token(region.analyst_a, name="mine now", actor=admin)


def test_self_widening_in_the_organisation_form_shows_the_error(region, admin, client):
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    org = region.unit_b
    response = client.post(f"/organisations/{org.pk}/edit/", {
        "name": org.name, "kind": org.kind, "served_by": region.unit_a.pk,
        "is_active": "on"})
    assert response.status_code == 200
    assert "Another admin must make this change." in str(
        response.context["form"].errors["served_by"])
    org.refresh_from_db()
    assert org.served_by_id is None


def test_self_widening_through_the_api_is_400(region, admin, api_for):
    community = CommunityFactory(name="Analysts", members=[region.unit_a])
    response = api_for(admin).patch(f"/api/communities/{community.pk}/",
                                    {"members": [region.unit_a.pk, region.unit_b.pk]},
                                    format="json")
    assert response.status_code == 400
    assert "Another admin must" in str(response.json()["members"])


def test_demo_loader_and_command_line_have_no_actor_to_widen(db):
    org = OrganisationFactory(name="Desk")
    services.save_community(Community(name="All"), [org], actor=None)
    assert Community.objects.get(name="All").members.get() == org
