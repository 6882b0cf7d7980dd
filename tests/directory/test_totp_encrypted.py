"""Authenticator apps keep their TOTP secret encrypted at rest (directory.TOTPDevice), sign
in as before, and a secret no key decrypts is a message on the page, never a server error."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_otp.oath import totp

from tests.factories import PASSWORD, UserFactory, confirmed_totp, totp_code
from vaka.directory import services
from vaka.directory.models import TOTPDevice
from vaka.directory.roles import Role
from vaka.policy import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored_key(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM directory_totpdevice WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def test_the_totp_secret_is_stored_encrypted(db):
    device = confirmed_totp(UserFactory())
    raw = stored_key(device.pk)
    assert raw.startswith(crypto.PREFIX) and device.key not in raw
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == device.bin_key


def test_sign_in_with_the_apps_code_still_works(db, client):
    user = UserFactory(role=Role.ANALYST)
    device = confirmed_totp(user)
    assert sign_in(client, user)["Location"] == "/"
    assert client.get("/")["Location"].startswith("/accounts/verify/")
    answer = client.post("/accounts/verify/", {"otp_token": totp_code(device)})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_secret_no_key_decrypts_is_explained_and_recovery_codes_still_work(
        db, client, settings):
    settings.ENCRYPTION_KEY = OLD
    user = UserFactory(role=Role.ANALYST)
    device = confirmed_totp(user)
    codes = services.create_recovery_codes(user)
    settings.ENCRYPTION_KEY = NEW
    sign_in(client, user)
    page = client.post("/accounts/verify/", {"otp_token": totp_code(device)})
    assert page.status_code == 200
    assert "encryption key changed" in page.content.decode()
    answer = client.post("/accounts/verify/", {"otp_token": codes[0]})
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_enrolment_starts_again_when_the_unconfirmed_secret_cannot_be_read(
        db, client, settings):
    settings.ENCRYPTION_KEY = OLD
    admin = UserFactory(role=Role.ORG_ADMIN)
    sign_in(client, admin)
    client.get("/accounts/two-factor/")
    first = admin.totp_devices.get()
    settings.ENCRYPTION_KEY = NEW
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content
    again = admin.totp_devices.get()
    assert again.pk != first.pk
    assert client.post("/accounts/two-factor/", {"otp_token": totp_code(again)}).status_code \
        == 302


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_plain_devices_into_the_encrypted_table(region):
    # Only the migration that moves the devices runs, back and forth, from the project state
    # of its parents: `migrate` to a target before it would also unapply every later
    # migration of every app that depends on it, and apply them all again (about a minute),
    # without reaching this code any differently.
    executor = MigrationExecutor(connection)
    move = executor.loader.graph.nodes[("directory", "0006_move_totp_devices")]
    state = executor.loader.project_state(move.dependencies, at_end=True)
    legacy_model = state.apps.get_model("otp_totp", "TOTPDevice")
    executor.unapply_migration(state, move)
    legacy = legacy_model.objects.create(user_id=region.analyst_a.pk, name="app",
                                         confirmed=True, key="31323334353637383930" * 2)
    executor.apply_migration(state, move)
    assert not legacy_model.objects.exists()
    device = TOTPDevice.objects.get(user=region.analyst_a)
    assert legacy.key not in stored_key(device.pk)
    assert device.key == legacy.key and device.confirmed
    code = totp(device.bin_key, device.step, device.t0, device.digits)
    assert device.verify_token(code)
    executor.unapply_migration(state, move)  # and back
    assert legacy_model.objects.get().key == legacy.key
    assert not TOTPDevice.objects.exists()
    executor.apply_migration(state, move)
    assert TOTPDevice.objects.get(user=region.analyst_a).key == legacy.key
