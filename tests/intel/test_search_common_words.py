"""A search for a word that matches very many objects is answered by walking the list's
order (``selectors._matches_many``); it must find the same objects, counted the same way."""

import pytest
from django.db import connection

from tests.intel.store_data import bundle, indicator
from vaka.intel import selectors, services
from vaka.policy.services import Markings

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite",
                                reason="SQLite's full-text plan only")


@pytest.fixture
def common_word(region, monkeypatch):
    monkeypatch.setattr(selectors, "_MANY_MATCHES", 0)  # every match counts as "many"
    for value in ("harbour-relay-1.net", "harbour-relay-2.net", "lagoon-relay-3.net"):
        services.ingest_bytes(bundle(indicator(value)), organisation=region.unit_a,
                              user=region.analyst_a, source="api", fmt="stix",
                              markings=Markings(tlp="green", distribution="members"))
    services.ingest_bytes(bundle(indicator("harbour-hidden-9.net")), organisation=region.unit_b,
                          user=region.analyst_b, source="api", fmt="stix",
                          markings=Markings(tlp="amber", distribution="organisation"))
    return region


def test_common_word_search_pages_only_the_visible_matches(common_word, api_for):
    answer = api_for(common_word.analyst_a).get("/api/objects/", {"search": "harbour"}).json()
    names = sorted(row["name"] for row in answer["results"])
    assert (answer["count"], names) == (2, ["harbour-relay-1.net", "harbour-relay-2.net"])


def test_common_word_search_walks_every_match_by_cursor(common_word, api_for):
    client = api_for(common_word.analyst_a)
    first = client.get("/api/objects/", {"search": "harbour", "page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert {first["results"][0]["name"], second["results"][0]["name"]} == {
        "harbour-relay-1.net", "harbour-relay-2.net"}
    assert second["next"] is None
