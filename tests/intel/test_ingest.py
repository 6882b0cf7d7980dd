import json

from django.test import override_settings

from tests.intel.store_data import T1, TLP1_WHITE, TLP2_RED, bundle, indicator, sid
from vaka.intel import services
from vaka.intel.models import Observable, StixObject, StixObjectVersion, Submission
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings


def ingest(data: bytes, user, *, fmt=None, filename="", partial=False, **markings):
    return services.ingest_bytes(data, organisation=user.organisation, user=user,
                                 markings=Markings(**markings), source="api", fmt=fmt,
                                 filename=filename, partial=partial)


def test_bundle_is_stored_with_its_versions_and_index(region):
    data = bundle(indicator("Evil.Example.COM"), indicator("198.51.100.7", "ipv4-addr:value"),
                  {"type": "relationship", "spec_version": "2.1",
                   "id": sid("relationship", "r"), "created": "2026-01-10T08:00:00.000Z",
                   "modified": "2026-01-10T08:00:00.000Z", "relationship_type": "related-to",
                   "source_ref": sid("indicator", "Evil.Example.COM"),
                   "target_ref": sid("indicator", "198.51.100.7")})
    submission = ingest(data, region.analyst_a)
    assert (submission.status, submission.new, submission.rejected) == ("stored", 3, 0)
    assert StixObject.objects.filter(owner=region.unit_a).count() == 3
    assert StixObjectVersion.objects.count() == 3
    assert set(Observable.objects.values_list("kind", "value")) == {
        ("domain", "evil.example.com"), ("ipv4", "198.51.100.7")}
    obj = StixObject.objects.get(type="indicator", name="Evil.Example.COM")
    assert obj.data["pattern"] == "[domain-name:value = 'Evil.Example.COM']"  # kept as sent
    assert obj.tlp == "amber" and obj.created_by == region.analyst_a
    assert AuditEntry.objects.filter(action="ingest", target_id=str(submission.pk)).exists()


def test_submitting_the_same_content_again_adds_nothing(region):
    data = bundle(indicator("evil.example.com"), indicator("bad.example.net"))
    ingest(data, region.analyst_a)
    again = ingest(data, region.analyst_a)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert StixObject.objects.count() == 2
    assert StixObjectVersion.objects.count() == 2
    assert Observable.objects.count() == 2


def test_a_newer_modified_is_a_new_version_and_becomes_current(region):
    ingest(bundle(indicator("evil.example.com")), region.analyst_a)
    newer = indicator("evil.example.com", modified=T1, description="now resolving")
    submission = ingest(bundle(newer), region.analyst_a)
    assert submission.updated == 1
    obj = StixObject.objects.get()
    assert obj.description == "now resolving"
    assert obj.versions.count() == 2
    first, second = obj.versions.order_by("stix_modified")
    assert first.stix == indicator("evil.example.com")  # the superseded JSON, exactly
    assert second.stix == obj.data == newer
    older_again = ingest(bundle(indicator("evil.example.com")), region.analyst_a)
    assert older_again.unchanged == 1
    assert StixObject.objects.get().description == "now resolving"


def test_revoked_objects_are_hidden_from_default_views(region, api_for):
    ingest(bundle(indicator("evil.example.com", modified=T1, revoked=True)), region.analyst_a)
    client = api_for(region.analyst_a)
    assert client.get("/api/objects/").json()["count"] == 0
    assert client.get("/api/objects/", {"include_revoked": "true"}).json()["count"] == 1


def test_tlp_marking_in_the_file_makes_an_object_stricter_never_looser(region):
    red = indicator("red.example.com", object_marking_refs=[TLP2_RED])
    white = indicator("white.example.com", object_marking_refs=[TLP1_WHITE])
    ingest(bundle(red, white), region.analyst_a, tlp="green", distribution="members")
    stored_red = StixObject.objects.get(name="red.example.com")
    assert stored_red.tlp == "red"
    assert list(stored_red.recipients) == [region.analyst_a]
    assert StixObject.objects.get(name="white.example.com").tlp == "green"


def test_an_invalid_object_rejects_the_whole_submission_naming_its_index(region):
    bad = indicator("evil.example.com")
    bad["pattern"] = "[domain-name:value = 'unterminated]"
    submission = ingest(bundle(indicator("fine.example.com"), bad), region.analyst_a)
    assert submission.status == "rejected"
    assert submission.errors[0]["index"] == 1
    assert StixObject.objects.count() == 0
    assert Submission.objects.get().status == "rejected"


def test_partial_keeps_the_valid_objects_and_lists_the_rejected(region):
    bad = {**indicator("x.example.com"), "id": "indicator--not-a-uuid"}
    submission = ingest(bundle(indicator("fine.example.com"), bad), region.analyst_a,
                        partial=True)
    assert (submission.status, submission.new, submission.rejected) == ("partial", 1, 1)
    assert submission.errors[0]["index"] == 1
    assert StixObject.objects.get().name == "fine.example.com"


def test_malformed_json_is_rejected_with_a_reason(region):
    submission = ingest(b'{"type": "bundle", "objects": [', region.analyst_a, fmt="stix",
                        filename="broken.json")
    assert submission.status == "rejected"
    assert submission.errors and submission.errors[0]["message"]
    assert StixObject.objects.count() == 0


def test_nothing_already_stored_changes_when_a_submission_is_rejected(region):
    ingest(bundle(indicator("evil.example.com")), region.analyst_a)
    changed = indicator("evil.example.com", modified=T1, description="changed")
    bad = {**indicator("y.example.com"), "created": "yesterday"}
    assert ingest(bundle(changed, bad), region.analyst_a).status == "rejected"
    obj = StixObject.objects.get()
    assert obj.description == "" and obj.versions.count() == 1


def test_stix_20_bundles_are_upgraded(region):
    old = {"type": "bundle", "id": sid("bundle", "20"), "spec_version": "2.0", "objects": [
        {"type": "indicator", "id": sid("indicator", "20"), "created": "2026-01-10T08:00:00Z",
         "modified": "2026-01-10T08:00:00Z", "labels": ["malicious-activity"],
         "pattern": "[url:value = 'http://evil.example.com/a']",
         "valid_from": "2026-01-10T08:00:00Z"}]}
    submission = ingest(json.dumps(old).encode(), region.analyst_a)
    assert submission.new == 1, submission.errors
    obj = StixObject.objects.get()
    assert obj.data["spec_version"] == "2.1"
    assert obj.observables.get().value == "http://evil.example.com/a"


def test_csv_rows_become_indicators_and_bad_rows_are_named_by_line(region):
    data = (b"value,type,comment,first_seen\n"
            b"hxxp://evil[.]example[.]com/login,url,phishing page,2026-03-01\n"
            b"198.51.100.7,,C2,\n"
            b"whatever,made-up,,\n")
    submission = ingest(data, region.analyst_a, filename="iocs.csv", partial=True)
    assert (submission.new, submission.rejected) == (2, 1)
    assert submission.errors[0]["line"] == 4
    assert "made-up" in submission.errors[0]["message"]
    url = StixObject.objects.get(name="http://evil.example.com/login")
    assert url.data["pattern"] == "[url:value = 'http://evil.example.com/login']"
    assert url.description == "phishing page"
    assert url.valid_from.date().isoformat() == "2026-03-01"
    again = ingest(data, region.analyst_a, filename="iocs.csv", partial=True)
    assert (again.new, again.unchanged) == (0, 2)


def test_csv_without_a_value_column_says_so(region):
    submission = ingest(b"ip,comment\n1.2.3.4,x\n", region.analyst_a, filename="x.csv")
    assert submission.status == "rejected"
    assert "no value column" in submission.errors[0]["message"]
    assert submission.errors[0]["line"] == 1


def test_free_text_indicators_are_extracted_refanged_and_stored(region):
    text = (b"The actor used hxxps://login-update[.]example[.]net/portal and 203.0.113.9 "
            b"(version 1.2.3.4 of the kit), see CVE-2024-3400.")
    submission = ingest(text, region.analyst_a, fmt="text")
    assert submission.new == 3, submission.errors
    assert set(Observable.objects.values_list("kind", flat=True)) == {"url", "ipv4", "cve"}


def test_a_pdf_that_is_not_a_pdf_is_rejected(region):
    submission = ingest(b"<html>not a pdf</html>", region.analyst_a, filename="report.pdf")
    assert submission.status == "rejected"
    assert "PDF" in submission.errors[0]["message"]


def test_misp_events_are_converted_with_their_tags(region):
    event = {"Event": {"uuid": "5e3b5f6e-1111-4c3f-9a3e-0a1b2c3d4e5f", "info": "Phishing wave",
                       "date": "2026-01-10", "distribution": "1", "threat_level_id": "2",
                       "analysis": "1", "timestamp": "1767000000",
                       "Orgc": {"name": "Unit A", "uuid": "5e3b5f6e-3333-4c3f-9a3e-0a1b2c3d4e5f"},
                       "Tag": [{"name": "tlp:green"}],
                       "Attribute": [{"uuid": "5e3b5f6e-2222-4c3f-9a3e-0a1b2c3d4e5f",
                                      "type": "domain", "category": "Network activity",
                                      "to_ids": True, "value": "phish.example.com",
                                      "timestamp": "1767000000"}]}}
    submission = ingest(json.dumps(event).encode(), region.analyst_a, tlp="green",
                        distribution="members")
    assert submission.status == "stored", submission.errors
    assert Observable.objects.filter(kind="domain", value="phish.example.com").exists()


@override_settings(MAX_UPLOAD_MB=1)
def test_oversized_upload_is_refused_before_reading(region, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("huge.json", b"x" * (2 * 1024 * 1024))
    response = api_for(region.analyst_a).post("/api/submissions/", {"file": big},
                                              format="multipart")
    assert response.status_code == 400
    assert "huge.json" in response.json()["file"][0]
    assert Submission.objects.count() == 0


def misp_event(distribution: str, attributes: list[dict]) -> bytes:
    return json.dumps({"Event": {
        "uuid": "6e3b5f6e-1111-4c3f-9a3e-0a1b2c3d4e5f", "info": "Mule accounts",
        "date": "2026-01-10", "distribution": distribution, "threat_level_id": "2",
        "analysis": "1", "timestamp": "1767000000",
        "Orgc": {"name": "Unit A", "uuid": "6e3b5f6e-3333-4c3f-9a3e-0a1b2c3d4e5f"},
        "Attribute": attributes}}).encode()


def attribute(n: int, value: str, distribution: str = "5") -> dict:
    return {"uuid": f"6e3b5f6e-2222-4c3f-9a3e-0a1b2c3d4e{n:02d}", "type": "domain",
            "category": "Network activity", "to_ids": True, "value": value,
            "distribution": distribution, "timestamp": "1767000000"}


def test_misp_distributions_only_ever_narrow_the_submission(region):
    data = misp_event("1", [attribute(1, "mule-bank-portal.net"),
                            attribute(2, "insider-only-portal.net", distribution="0")])
    submission = ingest(data, region.analyst_a, tlp="green", distribution="members")
    assert submission.status == "stored", submission.errors
    wide = StixObject.objects.get(type="indicator", name__contains="mule-bank-portal")
    narrow = StixObject.objects.get(type="indicator", name__contains="insider-only-portal")
    assert wide.distribution == "members"
    assert narrow.distribution == "organisation"
    StixObject.objects.all().delete()
    ingest(misp_event("0", [attribute(1, "mule-bank-portal.net")]), region.analyst_a,
           tlp="green", distribution="members")
    assert set(StixObject.objects.values_list("distribution", flat=True)) == {"organisation"}
