"""Passwords: Argon2id at OWASP's 19 MiB / 2 passes / 1 lane, older parameters upgraded."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import Client

from tests.factories import UserFactory
from vaka.directory.hashers import Argon2Hasher

PRODUCTION = ["vaka.directory.hashers.Argon2Hasher",
              "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def test_the_settings_hash_with_the_tuned_argon2(settings):
    from vaka import settings as production

    assert production.PASSWORD_HASHERS[0] == "vaka.directory.hashers.Argon2Hasher"
    settings.PASSWORD_HASHERS = PRODUCTION
    encoded = make_password("correct horse battery")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct horse battery", encoded)
    assert not check_password("wrong horse battery", encoded)


@pytest.mark.django_db
def test_a_password_stored_with_django_defaults_is_rehashed_at_sign_in(settings):
    settings.PASSWORD_HASHERS = PRODUCTION
    user = UserFactory(username="old_hash")
    django_default = Argon2PasswordHasher()
    user.password = django_default.encode("a long passphrase", django_default.salt())
    user.save(update_fields=["password"])
    assert "m=102400,t=2,p=8" in user.password
    assert Argon2Hasher().must_update(user.password)

    answer = Client().post("/accounts/login/", {"username": "old_hash",
                                                "password": "a long passphrase"})

    assert answer.status_code == 302
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
    assert not Argon2Hasher().must_update(user.password)
