"""A connected instance's organisation is held here by a stand-in that may bear the name of
a local one: every channel that names a record's owner also names the instance it came
from (the API, the CSV export, the object pages)."""

import csv
import io

import pytest
from django.test import Client

from tests.intel.store_data import bundle, indicator
from vaka.exchange import sync
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings


@pytest.fixture
def namesake(region):
    """Two federation records the analysts of Unit A see: one their own, one received from
    the connected instance "Twin" whose own organisation is also called "Unit A"."""
    services.ingest_bytes(bundle(indicator("local-kit.example")), organisation=region.unit_a,
                          user=region.analyst_a, source="api", fmt="stix",
                          markings=Markings(distribution="federation", tlp="green"))
    peer, _token = sync.create_peer(actor=None, name="Twin", url="https://twin.example")
    received = sync.receive(peer, [{
        "stix": indicator("remote-kit.example"),
        "owner": {"name": "Unit A", "short_name": "", "kind": "police_unit", "country": None},
        "markings": {"distribution": "federation", "tlp": "green"}}])
    assert received.new == 1, received.errors
    return peer


def owners_by_name(rows) -> dict[str, tuple[str, str | None]]:
    return {row["name"]: (row["owner_name"], row["owner_peer"]) for row in rows}


def test_the_objects_api_names_the_instance_a_stand_in_owner_came_from(
        region, api_for, namesake):
    rows = api_for(region.analyst_a).get("/api/objects/").json()["results"]
    assert owners_by_name(rows) == {"local-kit.example": ("Unit A", None),
                                    "remote-kit.example": ("Unit A", "Twin")}


def test_an_object_read_alone_names_the_instance_of_its_owner(region, api_for, namesake):
    remote = StixObject.objects.get(name="remote-kit.example")
    body = api_for(region.analyst_a).get(f"/api/objects/{remote.pk}/").json()
    assert (body["owner_name"], body["owner_peer"]) == ("Unit A", "Twin")


def test_the_csv_export_names_the_instance_beside_the_owner(region, api_for, namesake):
    response = api_for(region.analyst_a).get("/api/objects/export/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    rows = {row["name"]: (row["owner"], row["owner_peer"])
            for row in csv.DictReader(io.StringIO(text))}
    assert rows == {"local-kit.example": ("Unit A", ""), "remote-kit.example": ("Unit A", "Twin")}


def test_the_object_pages_badge_a_stand_in_owner_with_its_instance(region, namesake):
    client = Client()
    client.force_login(region.analyst_a)
    listing = client.get("/intel/objects/").content.decode()
    assert listing.count("owner-peer") == 1 and "via Twin" in listing
    remote = StixObject.objects.get(name="remote-kit.example")
    local = StixObject.objects.get(name="local-kit.example")
    assert "via Twin" in client.get(f"/intel/objects/{remote.pk}/").content.decode()
    assert "owner-peer" not in client.get(f"/intel/objects/{local.pk}/").content.decode()
