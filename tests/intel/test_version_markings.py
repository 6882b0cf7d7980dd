"""Markings belong to each version; a submission never reaches into a record its submitter
may not see; value-built ids are per owner."""

import json

import pytest
import requests
from django.test import Client

from tests.intel.store_data import T0, T1, TLP2_RED, bundle, indicator
from vaka.intel import selectors, services
from vaka.intel.models import StixObject, StixObjectVersion, Submission
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see


def ingest(data: bytes, user, *, fmt=None, partial=False, **markings) -> Submission:
    return services.ingest_bytes(data, organisation=user.organisation, user=user,
                                 markings=Markings(**markings), source="api", fmt=fmt,
                                 partial=partial)


def red_for(region, **extra) -> dict:
    return {"tlp": "red", "distribution": "organisation",
            "recipients": [region.colleague_a], **extra}


def test_every_version_keeps_the_markings_it_arrived_with(region):
    ingest(bundle(indicator("evil.example.com", object_marking_refs=[TLP2_RED])),
           region.analyst_a, tlp="green", distribution="members")
    ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
           tlp="green", distribution="members")
    first, second = StixObjectVersion.objects.order_by("stix_modified")
    assert first.tlp == "red" and list(first.recipients) == [region.analyst_a]
    # The newer GREEN version may not widen what the RED one said: it keeps RED too.
    assert second.tlp == "red"


def test_an_older_red_version_arriving_late_is_red_and_the_newer_stays_green(region):
    ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
           tlp="green", distribution="members")
    submission = ingest(bundle(indicator("evil.example.com", modified=T0,
                                         object_marking_refs=[TLP2_RED])),
                        region.analyst_a, tlp="green", distribution="members")
    assert submission.updated == 1
    old, new = StixObjectVersion.objects.order_by("stix_modified")
    assert (old.tlp, new.tlp) == ("red", "green")
    assert StixObject.objects.get().tlp == "green"
    seen_by_b = selectors.versions_for(region.analyst_b)
    assert list(seen_by_b) == [new]


def test_a_narrower_new_version_is_stored_as_sent(region):
    ingest(bundle(indicator("evil.example.com")), region.analyst_a, tlp="green",
           distribution="members")
    submission = ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
                        **red_for(region))
    assert submission.kept_markings == 0
    obj = StixObject.objects.get()
    assert obj.tlp == "red" and not can_see(region.analyst_b, obj)
    assert [v.tlp for v in selectors.versions_for(region.analyst_b)] == ["green"]


def test_a_wider_resubmission_keeps_the_stricter_markings_and_says_so(region):
    ingest(bundle(indicator("evil.example.com", description="source: informant X")),
           region.analyst_a, **red_for(region))
    again = ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
                   tlp="green", distribution="members", pap="clear")
    assert (again.updated, again.kept_markings) == (1, 1)
    obj = StixObject.objects.get()
    assert obj.tlp == "red" and obj.pap == "amber"  # PAP never loosens without a re-mark
    assert not can_see(region.analyst_b, obj)
    assert selectors.versions_for(region.analyst_b).count() == 0


def test_markings_that_each_reach_someone_new_are_refused_for_that_object(region):
    ingest(bundle(indicator("evil.example.com")), region.analyst_a, **red_for(region))
    submission = ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
                        tlp="red", distribution="organisation", recipients=[region.viewer_a])
    assert submission.status == "rejected"
    [error] = submission.errors
    assert error["index"] == 0 and "re-mark" in error["message"]
    assert StixObject.objects.get().versions.count() == 1


def test_granular_red_marking_makes_the_whole_object_red(region):
    obj = indicator("evil.example.com", description="named informant",
                    granular_markings=[{"marking_ref": TLP2_RED, "selectors": ["description"]}])
    submission = ingest(bundle(obj), region.analyst_a, tlp="green", distribution="members")
    assert submission.status == "stored", submission.errors
    stored = StixObject.objects.get()
    assert stored.tlp == "red" and not can_see(region.analyst_b, stored)
    assert not can_see(region.colleague_a, stored)


def test_a_colleagues_resubmission_never_touches_a_red_record_they_cannot_see(region):
    csv = b"type,value,comment\ndomain,evil.example.com,informant is X\n"
    ingest(csv, region.analyst_a, fmt="csv", tlp="red", distribution="organisation",
           recipients=[region.viewer_a])
    red = StixObject.objects.get()
    answer = ingest(b"type,value\ndomain,evil.example.com\n", region.colleague_a, fmt="csv",
                    tlp="green", distribution="members")
    assert (answer.new, answer.updated, answer.unchanged) == (1, 0, 0)  # reveals nothing
    red.refresh_from_db()
    assert red.tlp == "red" and red.versions.count() == 1
    assert red.description == "informant is X"
    mine = StixObject.objects.exclude(pk=red.pk).get()
    assert mine.stix_id != red.stix_id and mine.tlp == "green"
    # The colleague's next submission updates their own record, not the hidden one.
    again = ingest(b"type,value,comment\ndomain,evil.example.com,seen again\n",
                   region.colleague_a, fmt="csv", tlp="green", distribution="members")
    assert (again.new, again.updated) == (0, 1)
    assert StixObject.objects.count() == 2


def test_a_colleagues_bundle_with_a_hidden_id_makes_a_separate_record(region):
    ingest(bundle(indicator("evil.example.com", description="secret")), region.analyst_a,
           **red_for(region))
    recipient = ingest(bundle(indicator("evil.example.com", modified=T1)), region.colleague_a,
                       tlp="green", distribution="members")
    assert (recipient.new, recipient.updated) == (0, 1)  # a named recipient may add to it
    outsider = ingest(bundle(indicator("evil.example.com", modified=T1)), region.viewer_a,
                      tlp="green", distribution="members")
    assert (outsider.new, outsider.updated) == (1, 0)
    assert StixObject.objects.filter(owner=region.unit_a).count() == 2
    red = StixObject.objects.get(tlp="red")
    assert red.versions.count() == 2


def test_two_agencies_get_two_ids_for_one_value(region):
    ingest(b"type,value\ndomain,evil.example.com\n", region.analyst_a, fmt="csv",
           tlp="green", distribution="members")
    ingest(b"type,value\ndomain,evil.example.com\n", region.analyst_b, fmt="csv",
           tlp="green", distribution="members")
    ids = set(StixObject.objects.values_list("stix_id", flat=True))
    assert len(ids) == 2


def test_red_submission_is_seen_only_by_its_audience(region):
    submission = ingest(b"type,value\ndomain,evil.example.com\n", region.analyst_a,
                        fmt="csv", tlp="red", distribution="organisation",
                        recipients=[region.viewer_a])
    assert submission.tlp == "red"
    assert list(selectors.submissions_for(region.viewer_a)) == [submission]
    assert list(selectors.submissions_for(region.colleague_a)) == []
    web = Client()
    web.force_login(region.colleague_a)
    assert web.get(f"/intel/submissions/{submission.pk}/").status_code == 404
    page = web.get("/intel/submissions/")
    assert b"evil.example.com" not in page.content


@pytest.mark.django_db(transaction=True)
def test_taxii_serves_each_version_only_to_its_own_audience(region, live_server):
    from vaka.directory.services import create_token
    from vaka.exchange.models import Collection

    everything = Collection.objects.create(title="All", alias="all")
    ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
           tlp="green", distribution="members")
    ingest(bundle(indicator("evil.example.com", modified=T0, description="secret source",
                            object_marking_refs=[TLP2_RED])),
           region.analyst_a, tlp="green", distribution="members")
    _token, key = create_token(region.analyst_b, name="t")
    obj = StixObject.objects.get()
    answer = requests.get(
        f"{live_server.url}/taxii2/api/collections/{everything.id}/objects/{obj.stix_id}/",
        params={"match[version]": "all"}, auth=("analyst_b", key),
        headers={"Accept": "application/taxii+json;version=2.1"}, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert [o["modified"] for o in body["objects"]] == [T1]
    assert "secret source" not in json.dumps(body)
    versions = requests.get(
        f"{live_server.url}/taxii2/api/collections/{everything.id}/objects/{obj.stix_id}"
        "/versions/", auth=("analyst_b", key),
        headers={"Accept": "application/taxii+json;version=2.1"}, timeout=10).json()
    assert [v[:19] for v in versions["versions"]] == [T1[:19]]


def test_object_page_lists_only_the_versions_the_reader_may_see(region):
    ingest(bundle(indicator("evil.example.com", modified=T1)), region.analyst_a,
           tlp="green", distribution="members")
    ingest(bundle(indicator("evil.example.com", modified=T0, object_marking_refs=[TLP2_RED])),
           region.analyst_a, tlp="green", distribution="members")
    web = Client()
    web.force_login(region.analyst_b)
    page = web.get(f"/intel/objects/{StixObject.objects.get().pk}/")
    assert page.status_code == 200
    assert [v.tlp for v in page.context["versions"]] == ["green"]
    mine = Client()
    mine.force_login(region.analyst_a)
    page = mine.get(f"/intel/objects/{StixObject.objects.get().pk}/")
    assert [v.tlp for v in page.context["versions"]] == ["green", "red"]


def test_the_api_answer_says_how_many_versions_kept_stricter_markings(region, api_for):
    ingest(bundle(indicator("evil.example.com")), region.analyst_a, **red_for(region))
    answer = api_for(region.analyst_a).post("/api/submissions/", {
        "content": bundle(indicator("evil.example.com", modified=T1)).decode(),
        "tlp": "green", "distribution": "members"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["kept_markings"] == 1 and answer.json()["more_errors"] == 0


TLP_ORDER = ["clear", "green", "amber", "amber+strict", "red"]


@pytest.mark.parametrize("granular", TLP_ORDER)
@pytest.mark.parametrize("base", ["green", "amber"])
def test_a_granular_marking_never_serves_its_field_below_its_own_level(region, base, granular):
    from vaka.intel.parsing.stix_markings import TLP2_MARKING_IDS

    obj = indicator("evil.example.com", description="field marked on its own",
                    granular_markings=[{"marking_ref": TLP2_MARKING_IDS[granular],
                                        "selectors": ["description"]}])
    ingest(bundle(obj), region.analyst_a, tlp=base, distribution="members")
    stored = StixObject.objects.get()
    expected = max(base, granular, key=TLP_ORDER.index)
    assert stored.tlp == expected
    assert stored.versions.get().tlp == expected
    # Readers outside the stricter level (RED: only the submitter is named) get neither
    # the object nor its field; AMBER without named organisations reaches every member.
    assert can_see(region.analyst_b, stored) == (expected != "red")
