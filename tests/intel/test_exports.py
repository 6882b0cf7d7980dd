import csv
import io
import json

import pytest
from django.test import Client
from stix2validator import ValidationOptions, validate_string

from tests.factories import CountryFactory
from tests.intel.store_data import T0, bundle, indicator, sid
from vaka.intel import exports, services
from vaka.intel.models import ExportLink, StixObject
from vaka.intel.parsing.stix_markings import TLP2_MARKING_IDS
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

PAST = "2026-01-20T00:00:00.000Z"
FUTURE = "2099-01-01T00:00:00.000Z"


def ingest(user, *objects, labels=None, **markings):
    submission = services.ingest_bytes(bundle(*objects), organisation=user.organisation,
                                       user=user, markings=Markings(**markings), source="api",
                                       fmt="stix", labels=labels)
    assert submission.status == "stored", submission.errors
    return submission


def ip(value, **extra):
    return indicator(value, "ipv4-addr:value", **extra)


def text(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode()


def export(client, fmt, **filters):
    return client.get("/api/objects/export/", {"format": fmt, **filters})


def csv_rows(client, **filters) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text(export(client, "csv", **filters)))))


def blocklist(client, kind, **params) -> list[str]:
    return text(client.get(f"/api/blocklists/{kind}.txt", params)).splitlines()


# --- STIX --------------------------------------------------------------------------------

def test_stix_bundle_marks_each_object_with_its_records_tlp(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz"), tlp="green",
           distribution="members")
    # The file says TLP:CLEAR, the record is TLP:AMBER: what goes out says AMBER.
    ingest(region.analyst_a, ip("91.92.240.13", object_marking_refs=[TLP2_MARKING_IDS["clear"]]),
           tlp="amber")
    response = export(api_for(region.analyst_a), "stix")
    assert response["Content-Type"].startswith("application/stix+json")
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(text(response))
    assert document["type"] == "bundle" and document["id"].startswith("bundle--")
    by_id = {obj["id"]: obj for obj in document["objects"]}
    assert by_id[sid("indicator", "login-update.xyz")]["object_marking_refs"] == [
        TLP2_MARKING_IDS["green"]]
    assert by_id[sid("indicator", "91.92.240.13")]["object_marking_refs"] == [
        TLP2_MARKING_IDS["amber"]]
    definitions = {o["id"] for o in document["objects"] if o["type"] == "marking-definition"}
    assert definitions == {TLP2_MARKING_IDS["green"], TLP2_MARKING_IDS["amber"]}


def test_stix_bundle_passes_the_stix2_validator(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz", labels=["phishing"]),
           ip("91.92.240.13"),
           {"type": "malware", "spec_version": "2.1", "id": sid("malware", "m"),
            "created": T0, "modified": T0, "name": "Emotet", "is_family": True},
           {"type": "relationship", "spec_version": "2.1", "id": sid("relationship", "r"),
            "created": T0, "modified": T0, "relationship_type": "indicates",
            "source_ref": sid("indicator", "login-update.xyz"),
            "target_ref": sid("malware", "m")}, tlp="green")
    content = text(export(api_for(region.analyst_a), "stix"))
    result = validate_string(content, ValidationOptions(version="2.1"))
    assert result.is_valid, result.as_dict()
    assert len(json.loads(content)["objects"]) == 5  # four objects and TLP:GREEN


def test_an_empty_stix_export_is_a_valid_empty_bundle(region, api_for):
    document = json.loads(text(export(api_for(region.analyst_a), "stix")))
    assert document["objects"] == []


# --- Filters and errors ------------------------------------------------------------------

def test_exports_apply_the_object_list_filters(region, api_for):
    region.unit_a.country = CountryFactory(code="FJ")
    region.unit_a.save()
    ingest(region.analyst_a, indicator("login-update.xyz"), labels=["phishing"])
    ingest(region.analyst_a, indicator("paypa1-secure.top"))
    client = api_for(region.analyst_a)
    assert [r["name"] for r in csv_rows(client, label="phishing")] == ["login-update.xyz"]
    assert [r["name"] for r in csv_rows(client, search="paypa1")] == ["paypa1-secure.top"]
    assert len(csv_rows(client, country="FJ")) == 2
    assert csv_rows(client, country="WS") == []
    stix = json.loads(text(export(client, "stix", label="phishing")))
    assert [o["name"] for o in stix["objects"] if o["type"] == "indicator"] == [
        "login-update.xyz"]


@pytest.mark.parametrize(("params", "name"), [
    ({"format": "pdf"}, "format"), ({}, "format"),
    ({"format": "csv", "tlp": "purple"}, "tlp"),
    ({"format": "csv", "modified_after": "last tuesday"}, "modified_after"),
    ({"format": "csv", "owner": "unit-a"}, "owner"),
    ({"format": "csv", "tlp": "GREEN"}, "tlp"),
    ({"format": "csv", "type": "Indicator"}, "type"),
    ({"format": "csv", "country": "fj"}, "country"),
    ({"format": "csv", "country": "ZZ"}, "country"),
    ({"format": "csv", "pap": "purple"}, "pap"),
    ({"format": "csv", "has_correlations": "maybe"}, "has_correlations"),
])
def test_bad_export_parameters_are_400_naming_the_parameter(region, api_for, params, name):
    response = api_for(region.analyst_a).get("/api/objects/export/", params)
    assert response.status_code == 400
    assert name in response.json()


def test_unknown_blocklist_kind_or_header_is_400(region, api_for):
    client = api_for(region.analyst_a)
    response = client.get("/api/blocklists/email.txt")
    assert response.status_code == 400 and "kind" in response.json()
    response = client.get("/api/blocklists/ip.txt", {"header": "maybe"})
    assert response.status_code == 400 and "header" in response.json()


def test_exports_need_authentication(region):
    assert Client().get("/api/objects/export/", {"format": "csv"}).status_code in (401, 403)
    assert Client().get("/api/blocklists/ip.txt").status_code in (401, 403)


def test_exports_are_audited_with_the_filter_and_count(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz"), labels=["phishing"])
    text(export(api_for(region.analyst_a), "csv", label="phishing"))
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.actor == region.analyst_a
    assert entry.detail == {"format": "csv", "filters": {"label": "phishing"}, "count": 1}


# --- CSV ---------------------------------------------------------------------------------

def test_csv_has_a_row_per_object_with_its_values_and_markings(region, api_for):
    region.unit_a.country = CountryFactory(code="FJ")
    region.unit_a.save()
    ingest(region.analyst_a, indicator(
        "login-update.xyz", confidence=70, valid_until=FUTURE,
        pattern="[domain-name:value = 'login-update.xyz'] OR [ipv4-addr:value = '91.92.240.13']"),
        labels=["phishing", 'misp-galaxy:threat-actor="APT28"'], tlp="green", pap="green",
        distribution="members")
    response = export(api_for(region.analyst_a), "csv")
    assert response["Content-Type"].startswith("text/csv")
    reader = csv.reader(io.StringIO(text(response)))
    assert tuple(next(reader)) == exports.CSV_COLUMNS
    row = dict(zip(exports.CSV_COLUMNS, next(reader), strict=True))
    assert row == {
        "stix_id": sid("indicator", "login-update.xyz"), "type": "indicator",
        "name": "login-update.xyz", "values": "login-update.xyz 91.92.240.13",
        "tlp": "TLP:GREEN", "pap": "PAP:GREEN", "distribution": "members", "owner": "Unit A",
        "owner_peer": "", "owner_country": "FJ",
        "labels": 'phishing; misp-galaxy:threat-actor="APT28"',
        "confidence": "70", "created": "2026-01-10T08:00:00Z",
        "modified": "2026-01-10T08:00:00Z", "valid_from": "2026-01-10T08:00:00Z",
        "valid_until": "2099-01-01T00:00:00Z"}


def test_csv_cells_never_start_a_formula(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz", name='=HYPERLINK("http://x")'),
           indicator("paypa1-secure.top", name="@SUM(A1)"), labels=["-2+3"])
    rows = csv_rows(api_for(region.analyst_a))
    assert sorted(r["name"] for r in rows) == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    assert {r["labels"] for r in rows} == {"'-2+3"}


# --- MISP --------------------------------------------------------------------------------

def test_misp_event_carries_each_records_tlp_distribution_and_labels(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz"), labels=["phishing"], tlp="green",
           distribution="members")
    ingest(region.analyst_a, ip("91.92.240.13"), tlp="amber", distribution="organisation")
    response = export(api_for(region.analyst_a), "misp")
    assert response["Content-Type"] == "application/json"
    event = json.loads(text(response))["Event"]
    attributes = {a["value"]: a for a in event["Attribute"]}
    assert set(attributes) == {"login-update.xyz", "91.92.240.13"}
    domain, address = attributes["login-update.xyz"], attributes["91.92.240.13"]
    assert {t["name"] for t in domain["Tag"]} == {"tlp:green", "phishing"}
    assert {t["name"] for t in address["Tag"]} == {"tlp:amber"}
    assert (int(domain["distribution"]), int(address["distribution"])) == (1, 0)
    assert int(event["distribution"]) == 1  # the widest: attributes narrow it
    assert [t["name"] for t in event["Tag"] if t["name"].startswith("tlp:")] == ["tlp:amber"]


def test_misp_export_is_refused_beyond_its_cap(region, api_for, monkeypatch):
    monkeypatch.setattr(exports, "MAX_MISP_OBJECTS", 1)
    ingest(region.analyst_a, indicator("login-update.xyz"), indicator("paypa1-secure.top"))
    response = export(api_for(region.analyst_a), "misp")
    assert response.status_code == 400
    assert "at most 1 objects" in response.json()["format"][0]


# --- Blocklists --------------------------------------------------------------------------

def _blocklist_world(region):
    """Blockable values, and one of each reason a value must stay off the lists."""
    a = region.analyst_a
    ingest(a, ip("91.92.240.13"), ip("91.92.240.0/24", seed="net"),
           indicator("2a0b:4140:1::13", "ipv6-addr:value"), indicator("login-update.xyz"),
           indicator("http://login-update.xyz/verify", "url:value"),
           indicator("ab" * 32, "file:hashes.'SHA-256'"),
           indicator("login-update.xyz", seed="same value again"),
           indicator("valid.example-shop.xyz", valid_until=FUTURE),
           ip("8.8.8.8"),  # on a warninglist (public DNS resolvers)
           tlp="green", pap="green", distribution="members")
    ingest(a, indicator("clear-pap.xyz"), tlp="clear", pap="clear", distribution="members")
    ingest(a, indicator("amber-pap.xyz"), tlp="green", pap="amber", distribution="members")
    ingest(a, indicator("red-pap.xyz"), tlp="green", pap="red", distribution="members")
    ingest(a, indicator("red-tlp.xyz"), tlp="red", pap="green")
    ingest(a, indicator("revoked.xyz", revoked=True), indicator("expired.xyz",
           valid_until=PAST), tlp="green", pap="green", distribution="members")
    ingest(a, {"type": "domain-name", "spec_version": "2.1", "id": sid("domain-name", "sco"),
               "value": "observed-only.xyz"}, tlp="green", pap="green", distribution="members")


def test_blocklists_hold_only_indicators_cleared_for_blocking(region, api_for):
    _blocklist_world(region)
    client = api_for(region.analyst_a)
    assert blocklist(client, "domain") == ["clear-pap.xyz", "login-update.xyz",
                                           "valid.example-shop.xyz"]
    assert blocklist(client, "ip") == ["2a0b:4140:1::13", "91.92.240.0/24", "91.92.240.13"]
    assert blocklist(client, "url") == ["http://login-update.xyz/verify"]
    assert blocklist(client, "hash") == ["ab" * 32]


def test_blocklist_is_plain_text_and_a_header_line_is_optional(region, api_for):
    ingest(region.analyst_a, ip("91.92.240.13"), tlp="green", pap="clear")
    client = api_for(region.analyst_a)
    response = client.get("/api/blocklists/ip.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert text(response) == "91.92.240.13\n"
    lines = blocklist(client, "ip", header="1")
    assert lines[0].startswith("# Vaka ip blocklist, generated ")
    assert lines[0].endswith(", 1 entries") and lines[1:] == ["91.92.240.13"]


def test_blocklists_apply_the_object_filters(region, api_for):
    ingest(region.analyst_a, indicator("login-update.xyz"), labels=["phishing"], pap="green")
    ingest(region.analyst_a, indicator("paypa1-secure.top"), pap="green")
    client = api_for(region.analyst_a)
    assert blocklist(client, "domain", label="phishing") == ["login-update.xyz"]
    assert len(blocklist(client, "domain")) == 2


# --- Nobody outside a record's audience learns of it ------------------------------------

def test_exports_show_nothing_outside_the_audience(region, api_for):
    # Unit A's own (organisation), and a community's that unit B is not in.
    ingest(region.analyst_a, indicator("login-update.xyz"), pap="green", tlp="green")
    ingest(region.analyst_a, ip("91.92.240.13"), pap="green", tlp="green",
           distribution="communities", communities=[region.community])
    outsider = api_for(region.analyst_b)
    assert csv_rows(outsider) == []
    assert json.loads(text(export(outsider, "stix")))["objects"] == []
    assert json.loads(text(export(outsider, "misp")))["Event"].get("Attribute", []) == []
    for kind in exports.BLOCKLISTS:
        assert blocklist(outsider, kind, header="1")[1:] == []
        assert blocklist(outsider, kind, header="1")[0].endswith(", 0 entries")
    assert set(AuditEntry.objects.filter(action="export", actor=region.analyst_b).values_list(
        "detail__count", flat=True)) == {0}
    insider = api_for(region.colleague_a)
    assert blocklist(insider, "ip") == ["91.92.240.13"]
    assert len(csv_rows(insider)) == 2


# --- Export links ------------------------------------------------------------------------

def _make_link(region, fmt, query=""):
    client = Client()
    client.force_login(region.analyst_a)
    page = client.post(f"/intel/export-links/{query}", {"name": "edge firewall", "format": fmt})
    assert page.status_code == 200
    url = page.context["new_url"]
    assert url.startswith("http://testserver/intel/export/vakx_")
    return client, url.removeprefix("http://testserver")


def test_export_link_serves_the_filtered_export_without_authentication(region):
    ingest(region.analyst_a, indicator("login-update.xyz"), labels=["phishing"], pap="green")
    ingest(region.analyst_a, indicator("paypa1-secure.top"), pap="green")
    _client, url = _make_link(region, "domain", "?label=phishing")
    assert url.endswith("/domain.txt")
    link = ExportLink.objects.get()
    assert link.filters == {"label": "phishing"} and link.user == region.analyst_a
    assert text(Client().get(url)) == "login-update.xyz\n"
    # Computed at each fetch, as its owner sees the store now.
    ingest(region.analyst_a, indicator("later.xyz"), labels=["phishing"], pap="green")
    assert text(Client().get(url)) == "later.xyz\nlogin-update.xyz\n"
    link.refresh_from_db()
    assert link.last_used is not None
    assert AuditEntry.objects.filter(action="export", target_id=str(link.pk)).count() == 2


def test_export_link_keeps_the_date_filter_of_the_object_list(region):
    ingest(region.analyst_a, indicator("login-update.xyz"))  # modified 2026-01-10
    _client, url = _make_link(region, "csv", "?since=2026-01-10&until=2026-01-10")
    assert [r["name"] for r in csv.DictReader(io.StringIO(text(Client().get(url))))] == [
        "login-update.xyz"]
    _client, url = _make_link(region, "csv", "?since=2026-01-11")
    assert list(csv.DictReader(io.StringIO(text(Client().get(url))))) == []


def test_revoked_unknown_or_orphaned_export_links_are_404(region):
    client, url = _make_link(region, "stix")
    assert text(Client().get(url))
    assert Client().get(url.replace("stix.json", "objects.csv")).status_code == 404
    assert Client().get("/intel/export/vakx_nothing/stix.json").status_code == 404
    region.analyst_a.is_active = False
    region.analyst_a.save()
    assert Client().get(url).status_code == 404
    region.analyst_a.is_active = True
    region.analyst_a.save()
    link = ExportLink.objects.get()
    other = Client()
    other.force_login(region.analyst_b)
    assert other.post(f"/intel/export-links/{link.pk}/revoke/").status_code == 404
    assert Client().get(url).status_code == 200
    assert client.post(f"/intel/export-links/{link.pk}/revoke/").status_code == 302
    assert Client().get(url).status_code == 404
    assert AuditEntry.objects.filter(action="export_link_revoke").count() == 1


def test_export_link_shows_only_what_its_owner_may_see(region):
    ingest(region.analyst_b, indicator("unit-b-secret.xyz"), pap="green")
    ingest(region.analyst_b, indicator("unit-b-amber.xyz"), pap="green", tlp="amber",
           distribution="members", recipient_organisations=[region.cert])
    ingest(region.analyst_a, indicator("login-update.xyz"), pap="green")
    for fmt in ("domain", "csv", "stix", "misp"):
        _client, url = _make_link(region, fmt)
        content = text(Client().get(url))
        assert "login-update.xyz" in content
        assert "unit-b" not in content, fmt


def test_export_link_page_lists_only_your_links(region):
    _make_link(region, "ip")
    other = Client()
    other.force_login(region.analyst_b)
    page = other.get("/intel/export-links/").content.decode()
    assert "edge firewall" not in page
    assert "No export links yet." in page


def test_object_list_offers_exports_of_the_current_filter(region):
    client = Client()
    client.force_login(region.analyst_a)
    page = client.get("/intel/objects/", {"label": "phishing", "search": "bank"}
                      ).content.decode()
    assert "/api/objects/export/?format=csv&amp;search=bank&amp;label=phishing" in page
    assert "/api/blocklists/ip.txt?search=bank&amp;label=phishing" in page
    assert "/intel/export-links/?label=phishing&amp;search=bank" in page
    invalid = client.get("/intel/objects/", {"since": "not a date"})
    assert invalid.status_code == 400
    assert "/api/objects/export/" not in invalid.content.decode()


def test_object_count_in_stix_export_matches_the_store(region, api_for):
    ingest(region.analyst_a, *[indicator(f"host{i}.login-update.xyz") for i in range(5)])
    content = json.loads(text(export(api_for(region.analyst_a), "stix")))
    assert sum(o["type"] == "indicator" for o in content["objects"]) == StixObject.objects.count()
