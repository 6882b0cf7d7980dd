"""No browser cache or proxy keeps what a signed-in user or a credentialed client was shown:
TLP:RED and TLP:AMBER+STRICT records above all, but every authenticated answer is marked."""

import pytest

from tests.factories import make_note
from tests.intel.store_data import bundle, indicator
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings


def no_store(response) -> bool:
    directives = {d.strip() for d in response["Cache-Control"].lower().split(",")}
    return {"private", "no-store"} <= directives


@pytest.fixture
def red_note(region):
    return make_note(region.analyst_a, title="Informant", tlp="red",
                     recipients=[region.viewer_a])


@pytest.fixture
def strict_object(region):
    services.ingest_bytes(bundle(indicator("strict.example")), organisation=region.unit_a,
                          user=region.analyst_a, source="api",
                          markings=Markings(tlp="amber+strict"))
    return StixObject.objects.get()


def test_red_note_page_is_not_stored_by_browsers(region, client, red_note):
    client.force_login(region.analyst_a)
    response = client.get(f"/intel/notes/{red_note.pk}/")
    assert response.status_code == 200
    assert no_store(response)


def test_red_note_api_answer_is_not_stored(region, api_for, red_note):
    response = api_for(region.analyst_a).get(f"/api/notes/{red_note.pk}/")
    assert response.status_code == 200
    assert no_store(response)


def test_amber_strict_object_page_and_api_answer_are_not_stored(region, client, api_for,
                                                               strict_object):
    client.force_login(region.analyst_a)
    page = client.get(f"/intel/objects/{strict_object.pk}/")
    assert page.status_code == 200 and no_store(page)
    answer = api_for(region.analyst_a).get(f"/api/objects/{strict_object.pk}/")
    assert answer.status_code == 200 and no_store(answer)


def test_lists_that_hold_restricted_records_are_not_stored(region, client, api_for, red_note,
                                                          strict_object):
    client.force_login(region.analyst_a)
    for path in ("/intel/notes/", "/intel/objects/"):
        assert no_store(client.get(path)), path
    for path in ("/api/notes/", "/api/objects/"):
        assert no_store(api_for(region.analyst_a).get(path)), path


def test_refused_api_requests_with_credentials_are_not_stored(db, client):
    response = client.get("/api/notes/", HTTP_AUTHORIZATION="Token vaka_wrong")
    assert response.status_code == 401
    assert no_store(response)

