from rest_framework.test import APIClient

from tests.factories import UserFactory
from vaka.directory.models import ApiToken, User
from vaka.directory.roles import Role


def test_api_needs_a_token(db):
    response = APIClient().get("/api/users/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_refused_with_a_reason(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token vaka_wrong")
    response = client.get("/api/countries/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid, expired or revoked token."}


def test_users_list_is_paginated_filterable_and_searchable(region, api_for):
    client = api_for(region.analyst_a)
    body = client.get("/api/users/", {"organisation": region.unit_a.pk}).json()
    assert body["count"] == 3
    assert {u["username"] for u in body["results"]} == {"analyst_a", "colleague_a", "viewer_a"}
    assert "password" not in body["results"][0]
    body = client.get("/api/users/", {"search": "cert_"}).json()
    assert [u["username"] for u in body["results"]] == ["cert_user"]


def test_a_user_without_an_organisation_has_a_null_organisation_name(region, api_for):
    admin = UserFactory(username="roaming", organisation=None, role=Role.PLATFORM_ADMIN)
    body = api_for(region.analyst_a).get(f"/api/users/{admin.pk}/").json()
    assert (body["organisation"], body["organisation_name"]) == (None, None)
    body = api_for(region.analyst_a).get(f"/api/users/{region.analyst_a.pk}/").json()
    assert body["organisation_name"] == "Unit A"


def test_org_admin_manages_own_users_through_the_api(region, api_for):
    org_admin = UserFactory(role=Role.ORG_ADMIN, organisation=region.unit_a)
    client = api_for(org_admin)
    created = client.post("/api/users/", {"username": "officer", "organisation": region.unit_a.pk,
                                          "role": "analyst", "password": "long-enough-pass-1"},
                          format="json")
    assert created.status_code == 201, created.json()
    assert User.objects.get(username="officer").check_password("long-enough-pass-1")
    other = client.post("/api/users/", {"username": "intruder",
                                        "organisation": region.unit_b.pk}, format="json")
    assert other.status_code == 403
    response = client.patch(f"/api/users/{region.analyst_b.pk}/", {"role": "viewer"},
                            format="json")
    assert response.status_code == 403
    assert User.objects.get(pk=region.analyst_b.pk).role == Role.ANALYST


def test_user_created_without_an_organisation_is_refused_to_an_org_admin(region, api_for):
    # The organisation is optional in the API as in the web form: leaving it out was a 500.
    org_admin = UserFactory(role=Role.ORG_ADMIN, organisation=region.unit_a)
    refused = api_for(org_admin).post("/api/users/", {"username": "nowhere"}, format="json")
    assert refused.status_code == 403
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a)
    created = api_for(admin).post("/api/users/", {"username": "nowhere"}, format="json")
    assert created.status_code == 201, created.json()
    assert User.objects.get(username="nowhere").organisation is None


def test_duplicate_username_gets_a_field_error(region, api_for):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a)
    response = api_for(admin).post("/api/users/", {"username": "analyst_b",
                                                   "organisation": region.unit_b.pk},
                                   format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["The username “analyst_b” is taken."]}


def test_malformed_input_gets_field_errors(region, api_for):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a)
    response = api_for(admin).post("/api/organisations/", {"name": "", "kind": "pirates"},
                                   format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "kind"}


def test_field_errors_come_in_the_users_language(region, api_for):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a)
    response = api_for(admin).post("/api/organisations/", {"name": "", "kind": "ncb"},
                                   format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json()["name"] == ["Ce champ ne peut être vide."]


def test_only_platform_admins_write_organisations_and_communities(region, api_for):
    client = api_for(region.analyst_a)
    assert client.post("/api/organisations/", {"name": "X", "kind": "ncb"},
                       format="json").status_code == 403
    assert client.post("/api/communities/", {"name": "X"}, format="json").status_code == 403
    admin = api_for(UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a))
    response = admin.post("/api/communities/", {"name": "Pacific CERTs",
                                                "members": [region.cert.pk]}, format="json")
    assert response.status_code == 201
    assert response.json()["members"] == [region.cert.pk]


def test_communities_are_known_only_to_their_members(region, api_for):
    community = region.community
    outsider = api_for(region.analyst_b)
    assert outsider.get("/api/communities/").json()["count"] == 0
    assert outsider.get(f"/api/communities/{community.pk}/").status_code == 404
    member = api_for(region.cert_user)
    assert member.get(f"/api/communities/{community.pk}/").json()["name"] == community.name


def test_tokens_api_shows_the_key_once_and_revokes(region, api_for):
    client = api_for(region.analyst_a)
    created = client.post("/api/tokens/", {"name": "siem", "expires_in_days": 7}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("vaka_")
    listing = client.get("/api/tokens/").json()["results"]
    assert all(t["key"] is None for t in listing)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert other.get("/api/countries/").status_code == 200
    token_id = created.json()["id"]
    assert client.delete(f"/api/tokens/{token_id}/").status_code == 204
    assert ApiToken.objects.get(pk=token_id).revoked is not None
    assert other.get("/api/countries/").status_code == 401


def test_tokens_of_other_users_are_404(region, api_for):
    theirs = api_for(region.analyst_b).post("/api/tokens/", {"name": "x"}, format="json")
    client = api_for(region.analyst_a)
    assert client.get(f"/api/tokens/{theirs.json()['id']}/").status_code == 404
    assert client.delete(f"/api/tokens/{theirs.json()['id']}/").status_code == 404


def test_openapi_schema_and_docs_are_served_locally(region, client):
    client.force_login(region.analyst_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/notes/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "<script>" not in docs
    redoc = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc
    assert "googleapis" not in redoc
