"""The API schema and its documentation pages are for signed-in users and API clients."""

import pytest


def test_api_schema_needs_sign_in(db, client):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    assert "Vaka API" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_documentation_sends_visitors_to_sign_in(db, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_api_schema_is_served_to_a_token_client(region, api_for):
    response = api_for(region.analyst_a).get("/api/schema/")
    assert response.status_code == 200
    assert b"Vaka API" in response.content


def test_api_schema_and_documentation_are_shown_to_signed_in_users(region, client):
    client.force_login(region.analyst_a)
    assert client.get("/api/schema/").status_code == 200
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"<title>Vaka API</title>" in response.content, path
