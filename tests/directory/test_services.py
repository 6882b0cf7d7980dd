from datetime import timedelta

import pytest
from django.conf import settings as configured
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from tests.factories import OrganisationFactory, UserFactory
from vaka import settings as vaka_settings
from vaka.directory import services
from vaka.directory.models import ApiToken, Organisation, User, hash_token
from vaka.directory.roles import Capability, Role
from vaka.policy.models import AuditEntry


def test_org_admin_creates_users_in_own_organisation_only(region):
    org_admin = UserFactory(role=Role.ORG_ADMIN, organisation=region.unit_a)
    user = services.create_user(actor=org_admin, organisation=region.unit_a,
                                username="new_officer", role=Role.ANALYST)
    assert user.organisation == region.unit_a
    with pytest.raises(PermissionDenied):
        services.create_user(actor=org_admin, organisation=region.unit_b, username="other")
    with pytest.raises(PermissionDenied):
        services.create_user(actor=org_admin, organisation=region.unit_a, username="boss",
                             role=Role.PLATFORM_ADMIN)
    assert not User.objects.filter(username__in=["other", "boss"]).exists()


def test_duplicate_username_is_refused_with_a_clear_message(region):
    with pytest.raises(ValidationError) as excinfo:
        services.create_user(actor=None, organisation=region.unit_a, username="Analyst_A")
    assert excinfo.value.message_dict == {"username": ["The username “Analyst_A” is taken."]}


def test_duplicate_organisation_name_is_refused(db):
    OrganisationFactory(name="NCB Fiji")
    with pytest.raises(ValidationError) as excinfo:
        services.save_organisation(Organisation(name="ncb fiji", kind="ncb"), actor=None)
    assert "exists" in excinfo.value.message_dict["name"][0]


def test_weak_password_is_refused_and_nothing_is_stored(region):
    with pytest.raises(ValidationError):
        services.create_user(actor=None, organisation=region.unit_a, username="weak",
                             password="123")
    assert not User.objects.filter(username="weak").exists()


def test_passwords_are_hashed_with_argon2(region):
    # Tests use a fast hasher (tests/conftest.py); the configured one is Argon2.
    assert vaka_settings.PASSWORD_HASHERS[0] == "vaka.directory.hashers.Argon2Hasher"
    assert configured.PASSWORD_HASHERS != vaka_settings.PASSWORD_HASHERS  # the test override
    user = region.analyst_a
    with override_settings(PASSWORD_HASHERS=vaka_settings.PASSWORD_HASHERS):
        user.set_password("correct-horse-battery")
    assert user.password.startswith("argon2")


def test_token_is_stored_hashed_and_shown_once(region):
    token, key = services.create_token(region.analyst_a, name="firewall", expires_in_days=30)
    assert key.startswith("vaka_")
    assert token.key_hash == hash_token(key)
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert services.authenticate_token(key) == token
    assert AuditEntry.objects.filter(action="token_create", target_id=str(token.pk)).exists()


def test_expired_revoked_and_unknown_tokens_do_not_authenticate(region):
    token, key = services.create_token(region.analyst_a, name="t", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert services.authenticate_token(key) is None
    token2, key2 = services.create_token(region.analyst_a, name="t2")
    services.revoke_token(token2, actor=region.analyst_a)
    assert services.authenticate_token(key2) is None
    assert AuditEntry.objects.filter(action="token_revoke", target_id=str(token2.pk)).exists()
    assert services.authenticate_token("vaka_not-a-token") is None


def test_a_user_cannot_revoke_someone_elses_token(region):
    token, _key = services.create_token(region.analyst_a, name="t")
    with pytest.raises(PermissionDenied):
        services.revoke_token(token, actor=region.analyst_b)


def test_roles_grant_capabilities():
    viewer, admin = User(role=Role.VIEWER), User(role=Role.PLATFORM_ADMIN)
    assert viewer.can(Capability.VIEW) and not viewer.can(Capability.CONTRIBUTE)
    assert all(admin.can(c) for c in Capability)
    assert User(role=Role.ORG_ADMIN).requires_two_factor
    assert not User(role=Role.ANALYST).requires_two_factor


def test_people_change_their_own_details_but_not_their_role(region):
    services.update_user(region.analyst_a, actor=region.analyst_a, language="ar", phone="+679")
    region.analyst_a.refresh_from_db()
    assert (region.analyst_a.language, region.analyst_a.phone) == ("ar", "+679")
    with pytest.raises(PermissionDenied):
        services.update_user(region.analyst_a, actor=region.analyst_a,
                             role=Role.PLATFORM_ADMIN)
    with pytest.raises(PermissionDenied):
        services.update_user(region.analyst_b, actor=region.analyst_a, language="fr")


def test_createsuperuser_makes_a_platform_admin(db):
    user = User.objects.create_superuser("root", "root@vaka.example", "a-long-pass-phrase")
    assert user.role == Role.PLATFORM_ADMIN
    assert user.requires_two_factor


def test_profile_page_saves_and_audits_what_changed(region, client):
    client.force_login(region.analyst_a)
    response = client.post("/accounts/profile/", {"first_name": "Josefa", "last_name": "",
                                                  "email": "", "phone": "+679 123",
                                                  "language": "es"})
    assert response.status_code == 302
    region.analyst_a.refresh_from_db()
    assert (region.analyst_a.phone, region.analyst_a.language) == ("+679 123", "es")
    entry = AuditEntry.objects.filter(action="update", actor=region.analyst_a).get()
    assert entry.detail["changed"] == ["first_name", "language", "phone"]


def test_org_admin_adds_and_edits_users_of_own_organisation_in_the_ui(region, client):
    from tests.factories import confirmed_totp, totp_code

    org_admin = UserFactory(role=Role.ORG_ADMIN, organisation=region.unit_a)
    client.force_login(org_admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(org_admin))})
    form = client.get("/users/new/").context["form"]
    assert list(form.fields["organisation"].queryset) == [region.unit_a]
    assert Role.PLATFORM_ADMIN not in dict(form.fields["role"].choices)
    response = client.post("/users/new/", {"username": "new_officer", "organisation":
                                           region.unit_a.pk, "role": "viewer",
                                           "password": "a-long-pass-phrase", "is_active": "on"})
    officer = User.objects.get(username="new_officer")
    assert response["Location"] == f"/users/{officer.pk}/"
    response = client.post(f"/users/{officer.pk}/edit/", {
        "username": "new_officer", "organisation": region.unit_a.pk, "role": "analyst",
        "is_active": "on"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="update", target_id=str(officer.pk)).get()
    assert entry.detail["changed"] == ["role"]
    assert client.get(f"/users/{region.analyst_b.pk}/edit/").status_code == 403
    duplicate = client.post("/users/new/", {"username": "ANALYST_A", "organisation":
                                            region.unit_a.pk, "role": "viewer"})
    assert "username" in duplicate.context["form"].errors
