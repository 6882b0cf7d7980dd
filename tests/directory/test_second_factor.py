"""A password alone never authenticates an account with a second factor outside the
interactive sign-in: machines use API tokens."""

import base64

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.request import Request

from tests.factories import PASSWORD, UserFactory, confirmed_totp
from vaka.directory.authentication import VerifiedSessionAuthentication
from vaka.directory.roles import Role
from vaka.directory.services import create_token

TAXII = "application/taxii+json;version=2.1"


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def taxii_get(client, authorization: str):
    return client.get("/taxii2/", HTTP_AUTHORIZATION=authorization, HTTP_ACCEPT=TAXII)


def test_taxii_basic_password_is_refused_for_a_user_with_a_second_factor(db, client):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    response = taxii_get(client, basic(user.username, PASSWORD))
    assert response.status_code == 401
    assert response.json()["title"] == "This account uses a second factor: use an API token."
    assert response["WWW-Authenticate"].startswith("Basic")


def test_taxii_basic_password_is_refused_for_a_role_that_requires_a_second_factor(db, client):
    admin = UserFactory(role=Role.ORG_ADMIN)
    response = taxii_get(client, basic(admin.username, PASSWORD))
    assert response.status_code == 401
    assert "use an API token" in response.json()["title"]


def test_taxii_wrong_password_of_a_user_with_a_second_factor_says_nothing_more(db, client):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    response = taxii_get(client, basic(user.username, "not-the-password"))
    assert response.status_code == 401
    assert response.json()["title"] == "Authentication required"


def test_taxii_api_token_works_for_a_user_with_a_second_factor(db, client):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    _token, key = create_token(user, name="taxii")
    assert taxii_get(client, basic(user.username, key)).status_code == 200
    assert taxii_get(client, f"Token {key}").status_code == 200


def test_taxii_basic_password_still_works_for_a_user_without_a_second_factor(db, client):
    user = UserFactory(role=Role.ANALYST)
    assert taxii_get(client, basic(user.username, PASSWORD)).status_code == 200


def _session_request(user, *, verified: bool) -> Request:
    request = RequestFactory().get("/api/countries/")
    request.session = SessionStore()
    request.user = user
    user.is_verified = lambda: verified
    request._dont_enforce_csrf_checks = True
    drf_request = Request(request)
    return drf_request


def test_api_session_that_skipped_the_second_factor_is_refused(db):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    with pytest.raises(exceptions.AuthenticationFailed, match="Second factor required"):
        VerifiedSessionAuthentication().authenticate(_session_request(user, verified=False))


def test_api_session_after_the_second_factor_is_accepted(db):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    result = VerifiedSessionAuthentication().authenticate(_session_request(user, verified=True))
    assert result is not None and result[0] == user


def test_api_session_of_a_user_without_a_second_factor_is_accepted(db):
    user = UserFactory(role=Role.ANALYST)
    result = VerifiedSessionAuthentication().authenticate(_session_request(user, verified=False))
    assert result is not None and result[0] == user


def test_api_session_is_ignored_when_nobody_is_signed_in(db):
    request = RequestFactory().get("/api/countries/")
    request.user = AnonymousUser()
    assert VerifiedSessionAuthentication().authenticate(Request(request)) is None


def test_api_with_a_password_session_but_no_second_factor_gives_nothing(db, client):
    user = UserFactory(role=Role.ANALYST)
    confirmed_totp(user)
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = client.get("/api/countries/")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()
