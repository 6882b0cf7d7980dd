"""After the second factor, the page the user was going to is on this site, however its
address was encoded."""

import pytest

from tests.factories import PASSWORD, UserFactory, confirmed_totp, totp_code
from vaka.directory.accounts import is_local_path
from vaka.directory.roles import Role

MALICIOUS = [
    "//evil.example/",
    "/%2F%2Fevil.example/",
    "/%252F%252Fevil.example/",
    "/%25252F%25252Fevil.example/",
    "https://evil.example/",
    "\\\\evil.example/",
    "/\\evil.example/",
    "/%5C%5Cevil.example/",
    "/%255C%255Cevil.example/",
    "javascript:alert(1)",
    "/%2F%09%2Fevil.example/",
]


def sign_in_with_second_factor(client, next_url: str) -> str:
    """Sign in with ?next=, follow where the site sends us, give the code; the last Location."""
    user = UserFactory(role=Role.ANALYST)
    device = confirmed_totp(user)
    login = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD,
                                             "next": next_url})
    location = login["Location"]
    while location != "/accounts/verify/":
        if not location.startswith("/") or location.startswith("//"):
            return location  # the login page itself already sent us away
        location = client.get(location)["Location"]
    return client.post("/accounts/verify/", {"otp_token": totp_code(device)})["Location"]


@pytest.mark.parametrize("next_url", MALICIOUS)
def test_next_after_the_second_factor_never_leaves_the_site(db, client, next_url):
    location = sign_in_with_second_factor(client, next_url)
    assert location == "/"


def test_next_after_the_second_factor_keeps_a_local_page_and_its_query(db, client):
    location = sign_in_with_second_factor(client, "/intel/objects/?search=%2F%2Fx&type=indicator")
    assert location == "/intel/objects/?search=%2F%2Fx&type=indicator"


@pytest.mark.parametrize("next_url", MALICIOUS)
def test_encoded_off_site_addresses_are_not_local_paths(next_url):
    assert not is_local_path(next_url)


def test_plain_paths_are_local():
    assert is_local_path("/intel/notes/7/")
    assert is_local_path("/intel/objects/?search=caf%C3%A9")
