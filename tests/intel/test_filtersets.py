"""One object filter (intel/filtersets.py) on every channel: the web list, the API, TAXII
collections and export links accept, refuse and read values the same way."""

import re

import pytest
from django.test import Client

from tests.exchange.test_collections import signed_in_admin
from tests.factories import CountryFactory
from tests.intel.store_data import bundle, indicator
from vaka.exchange.models import Collection
from vaka.intel import services
from vaka.intel.models import ExportLink
from vaka.policy.services import Markings

BAD = [({"tlp": "GREEN"}, "tlp"), ({"type": "Indicator"}, "type"), ({"country": "fj"}, "country"),
       ({"country": "ZZ"}, "country"), ({"pap": "purple"}, "pap"),
       ({"has_correlations": "maybe"}, "has_correlations"),
       ({"include_revoked": "maybe"}, "include_revoked"), ({"since": "yesterday"}, "since")]


@pytest.fixture
def stored(region):
    region.unit_a.country = CountryFactory(code="FJ")
    region.unit_a.save()
    for value, pap in (("green-portal-7.net", "green"), ("amber-portal-7.net", "amber")):
        services.ingest_bytes(bundle(indicator(value)), organisation=region.unit_a,
                              user=region.analyst_a, source="api", fmt="stix",
                              markings=Markings(tlp="green", distribution="members", pap=pap))
    return region


def web_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("params", "name"), BAD)
def test_api_list_refuses_a_bad_value_naming_the_parameter(stored, api_for, params, name):
    response = api_for(stored.analyst_b).get("/api/objects/", params)
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize(("params", "name"), [({"type": "50%off"}, "type"),
                                              ({"country": "%s"}, "country")])
def test_api_list_refuses_a_value_with_a_percent_sign_quoting_it(stored, api_for, params, name):
    # The value was formatted into the message before django-filter formatted it again: 500.
    response = api_for(stored.analyst_b).get("/api/objects/", params)
    assert response.status_code == 400
    assert f"“{params[name]}”" in response.json()[name][0]


@pytest.mark.parametrize(("params", "name"), BAD)
def test_web_list_refuses_a_bad_value_naming_the_field(stored, params, name):
    response = web_for(stored.analyst_b).get("/intel/objects/", params)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [name]
    assert "green-portal-7.net" not in response.content.decode()
    assert re.search(rf"<code[^>]*>{name}</code>", response.content.decode())


def test_api_and_web_list_read_the_same_filter_the_same_way(stored, api_for):
    params = {"type": "indicator", "country": "FJ", "pap": "green"}
    api = api_for(stored.analyst_b).get("/api/objects/", params).json()
    assert [o["name"] for o in api["results"]] == ["green-portal-7.net"]
    page = web_for(stored.analyst_b).get("/intel/objects/", params)
    assert page.status_code == 200
    assert [o.name for o in page.context["page"]] == ["green-portal-7.net"]
    assert web_for(stored.analyst_b).get("/intel/objects/", {"country": "WS"}
                                          ).context["page"].paginator.count == 0


def test_export_link_is_not_saved_for_a_bad_filter(stored):
    client = web_for(stored.analyst_a)
    page = client.post("/intel/export-links/?tlp=GREEN", {"name": "edge", "format": "csv"})
    assert page.context["filters"] is None
    assert not ExportLink.objects.exists()
    client.post("/intel/export-links/?pap=green", {"name": "edge", "format": "csv"})
    assert ExportLink.objects.get().filters == {"pap": "green"}


def test_taxii_collection_refuses_a_bad_saved_filter_naming_the_field(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Fiji", "country": "fj", "type": "Indicator", "write_tlp": "green",
        "write_distribution": "members"})
    assert {"country", "type"} <= set(answer.context["form"].errors)
    assert not Collection.objects.exists()
    client.post("/exchange/collections/new/", {
        "title": "Fiji", "country": "FJ", "pap": "green", "write_tlp": "green",
        "write_distribution": "members"})
    assert Collection.objects.get().filters == {"country": "FJ", "pap": "green"}


def test_saved_filter_is_shown_with_translated_names_not_codes(region):
    from django.utils import translation

    from vaka.intel.filtersets import described_filters

    saved = {"type": "indicator", "tlp": "amber+strict", "owner": region.unit_a.pk,
             "label": "ransomware"}
    with translation.override("fr"):
        shown = [(str(name), str(value)) for name, value in described_filters(saved)]
    assert shown == [("Type", "Indicateur"), ("TLP", "AMBER+STRICT"),
                     ("Propriétaire", region.unit_a.name), ("Étiquette", "ransomware")]
