from django.test import override_settings

from tests.factories import PASSWORD, UserFactory, confirmed_totp, totp_code
from vaka.directory.roles import Role
from vaka.policy.models import AuditEntry


def sign_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_sign_in_and_out_are_audited_with_address(region, client):
    response = sign_in(client, "analyst_a")
    assert response.status_code == 302
    assert response["Location"] == "/"
    login = AuditEntry.objects.filter(action="login").get()
    assert (login.actor, login.ip) == (region.analyst_a, "127.0.0.1")
    client.post("/accounts/logout/")
    assert AuditEntry.objects.filter(action="logout", actor=region.analyst_a).exists()


def test_failed_sign_in_is_audited_and_explained(region, client):
    response = sign_in(client, "analyst_a", "wrong-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.detail == {"username": "analyst_a"}
    assert failed.actor is None


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_out(region, client):
    for _ in range(3):
        sign_in(client, "analyst_a", "wrong-password")
    response = sign_in(client, "analyst_a")  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_without_a_device_must_enrol_before_anything_else(db, client):
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    sign_in(client, admin.username)
    response = client.get("/users/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"
    api = client.get("/api/users/")
    assert api.status_code == 403


def test_enrolment_confirms_the_device_with_a_code(db, client):
    admin = UserFactory(role=Role.ORG_ADMIN)
    sign_in(client, admin.username)
    page = client.get("/accounts/two-factor/")
    assert b"<svg" in page.content  # the QR code, inline, no script
    device = admin.totp_devices.get()
    assert not device.confirmed
    bad = client.post("/accounts/two-factor/", {"otp_token": "000000"})
    assert "not valid" in bad.content.decode()
    assert AuditEntry.objects.filter(action="two_factor_failed", actor=admin,
                                     detail={"step": "enrolment"}).exists()
    # A mistyped code does not block the correct one typed straight after it.
    good = client.post("/accounts/two-factor/", {"otp_token": totp_code(device)})
    assert good["Location"] == "/accounts/recovery-codes/"  # shown once, then on to work
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/users/").status_code == 200
    assert AuditEntry.objects.filter(action="two_factor_enrol", actor=admin).exists()


def test_user_with_a_device_must_give_a_code_after_the_password(db, client):
    user = UserFactory(role=Role.ANALYST)
    device = confirmed_totp(user)
    sign_in(client, user.username)
    assert client.get("/intel/notes/")["Location"] == "/accounts/verify/"
    wrong = client.post("/accounts/verify/", {"otp_token": "123456"})
    assert wrong.status_code == 200
    assert "not valid" in wrong.content.decode()
    assert AuditEntry.objects.filter(action="two_factor_failed", actor=user).exists()
    # The mistyped code does not block the right one typed straight after it.
    right = client.post("/accounts/verify/", {"otp_token": totp_code(device)})
    assert right["Location"] == "/intel/notes/"  # back where they were going
    assert client.get("/intel/notes/").status_code == 200


def test_two_factor_is_optional_for_analysts(db, client):
    user = UserFactory(role=Role.ANALYST)
    sign_in(client, user.username)
    assert client.get("/intel/notes/").status_code == 200


def test_password_change_checks_the_old_password_and_is_audited(region, client):
    client.force_login(region.analyst_a)
    wrong = client.post("/accounts/password/", {"old_password": "nope",
                                                "new_password1": "a-new-long-pass-42",
                                                "new_password2": "a-new-long-pass-42"})
    assert "old password was entered incorrectly" in wrong.content.decode()
    ok = client.post("/accounts/password/", {"old_password": PASSWORD,
                                             "new_password1": "a-new-long-pass-42",
                                             "new_password2": "a-new-long-pass-42"})
    assert ok.status_code == 302
    region.analyst_a.refresh_from_db()
    assert region.analyst_a.check_password("a-new-long-pass-42")
    assert AuditEntry.objects.filter(action="password_change").count() == 1


def test_tokens_page_shows_a_new_key_once_and_revokes(region, client):
    client.force_login(region.analyst_a)
    page = client.post("/accounts/tokens/", {"name": "siem", "expires_in_days": "30"})
    key = page.context["new_key"]
    assert key in page.content.decode()
    token = region.analyst_a.api_tokens.get()
    assert key not in client.get("/accounts/tokens/").content.decode()
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked is not None


def test_repeated_wrong_codes_make_the_next_try_wait(db, client):
    from vaka.directory.accounts import FREE_TRIES

    admin = UserFactory(role=Role.ORG_ADMIN)
    sign_in(client, admin.username)
    client.get("/accounts/two-factor/")
    device = admin.totp_devices.get()
    for _attempt in range(FREE_TRIES):
        assert "not valid" in client.post("/accounts/two-factor/",
                                          {"otp_token": "000000"}).content.decode()
    waited = client.post("/accounts/two-factor/", {"otp_token": totp_code(device)})
    assert "Too many wrong codes" in waited.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
