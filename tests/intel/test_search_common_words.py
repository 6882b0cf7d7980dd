"""A search for a word that matches very many objects is answered by walking the list's
order (``selectors._matches_many`` on SQLite; the row's own full-text condition on
PostgreSQL) and counted from the full-text index first; it must find the same objects,
counted the same way, and never count what the reader may not see."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.intel.store_data import bundle, indicator
from vaka.intel import selectors, services
from vaka.policy.services import Markings


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


def test_common_word_count_past_the_cap_is_not_counted_again(common_word, api_for, settings):
    """Two visible matches are past a cap of one: the full-text index says so (SQLite:
    the matches joined to the objects; PostgreSQL: a sample of the GIN index's matches),
    and the usual count does not run after it."""
    settings.LIST_COUNT_CAP = 1
    client = api_for(common_word.analyst_a)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/api/objects/", {"search": "harbour", "page_size": 1}).json()
    assert answer["count"] == "1+"
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(counts) == 1
    if connection.vendor == "sqlite":
        assert '"intel_object_search"' in counts[0]  # driven from the full-text index
    else:  # the sample's limit is set for that count only, and reset after it
        settings_made = [q["sql"] for q in queries.captured_queries if "set_config" in q["sql"]]
        assert len(settings_made) == 2 and "'0'" in settings_made[1]
        with connection.cursor() as cursor:
            cursor.execute("SHOW gin_fuzzy_search_limit")
            assert cursor.fetchone()[0] == "0"


def test_common_word_count_floor_leaves_out_hidden_matches_and_other_filters(
        common_word, api_for, settings):
    """The floor counts only what the reader may see and what the other filters keep:
    one visible "harbour" indicator besides the hidden one is exactly one, not "1+"."""
    settings.LIST_COUNT_CAP = 1
    client = api_for(common_word.analyst_b)  # sees its own hidden one and unit A's two
    answer = client.get("/api/objects/", {"search": "hidden"}).json()
    assert (answer["count"], [row["name"] for row in answer["results"]]) == (
        1, ["harbour-hidden-9.net"])
    none = client.get("/api/objects/", {"search": "harbour", "type": "malware"}).json()
    assert (none["count"], none["results"]) == (0, [])
    outsider = api_for(common_word.analyst_a).get("/api/objects/", {"search": "hidden"}).json()
    assert (outsider["count"], outsider["results"]) == (0, [])


def test_common_prefix_is_counted_and_paged_like_the_whole_word(common_word, api_for, settings):
    """The whole words are asked first only as a shortcut (a subset of the prefix's
    matches): a prefix no object holds whole finds and counts the same as the word."""
    settings.LIST_COUNT_CAP = 1
    client = api_for(common_word.analyst_a)
    whole = client.get("/api/objects/", {"search": "harbour"}).json()
    prefix = client.get("/api/objects/", {"search": "harb"}).json()
    assert prefix["count"] == whole["count"] == "1+"
    assert sorted(r["name"] for r in prefix["results"]) == sorted(
        r["name"] for r in whole["results"]) == ["harbour-relay-1.net", "harbour-relay-2.net"]
    settings.LIST_COUNT_CAP = 5
    exact = client.get("/api/objects/", {"search": "harb"}).json()
    assert exact["count"] == 2
