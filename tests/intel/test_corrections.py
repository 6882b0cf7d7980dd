"""Stored intelligence can be corrected, narrowed and withdrawn — by its owner only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import api_client_for
from tests.intel.store_data import bundle, indicator
from vaka.intel import corrections, selectors, services
from vaka.intel.exports import blocklist_values
from vaka.intel.models import StixObject, StixObjectVersion, Withdrawal
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see


def stored(user, value="secure-login-bank.top", **markings) -> StixObject:
    markings = {"tlp": "green", "distribution": "members", "pap": "clear", **markings}
    submission = services.ingest_bytes(
        bundle(indicator(value, description="first")), organisation=user.organisation,
        user=user, markings=Markings(**markings), source="api")
    return StixObject.objects.get(submission=submission)


def test_remark_narrows_every_version_and_is_audited(region):
    obj = stored(region.analyst_a)
    corrections.edit(obj, user=region.analyst_a, changes={"description": "second"})
    corrections.remark(obj, user=region.analyst_a, markings=Markings(
        tlp="red", distribution="organisation", recipients=[region.colleague_a]))
    assert set(StixObjectVersion.objects.values_list("tlp", flat=True)) == {"red"}
    assert obj.versions.count() == 3
    assert not can_see(region.analyst_b, obj)
    assert selectors.versions_for(region.analyst_b).count() == 0
    entry = AuditEntry.objects.get(action="remark")
    assert entry.detail["before"]["tlp"] == "green" and entry.detail["after"]["tlp"] == "red"


def test_widening_needs_to_be_asked_for(region):
    obj = stored(region.analyst_a, tlp="amber", distribution="organisation")
    wider = Markings(tlp="green", distribution="members")
    with pytest.raises(ValidationError) as error:
        corrections.remark(obj, user=region.analyst_a, markings=wider)
    assert "widen" in error.value.message_dict
    corrections.remark(obj, user=region.analyst_a, markings=wider, widen=True)
    assert can_see(region.analyst_b, obj)
    assert AuditEntry.objects.get(action="remark").detail["widened"] is True


def test_narrowing_a_federated_record_leaves_a_withdrawal(region):
    obj = stored(region.analyst_a, distribution="federation")
    corrections.remark(obj, user=region.analyst_a,
                       markings=Markings(tlp="green", distribution="members"))
    assert Withdrawal.objects.get().stix_id == obj.stix_id


def test_only_the_owners_contributors_correct(region):
    obj = stored(region.analyst_a)
    for outsider in (region.analyst_b, region.viewer_a):
        with pytest.raises(PermissionDenied):
            corrections.revoke(obj, user=outsider)
    assert not StixObject.objects.get().revoked


def test_revoked_record_leaves_lookup_and_blocklists_at_once(region):
    obj = stored(region.analyst_a)
    assert "secure-login-bank.top" in blocklist_values(selectors.objects_for(region.analyst_b),
                                                  "domain")
    corrections.revoke(obj, user=region.analyst_a)
    obj.refresh_from_db()
    assert obj.revoked and obj.data["revoked"] is True and obj.versions.count() == 2
    [answer] = services.lookup(["secure-login-bank.top"], user=region.analyst_b)
    assert answer.matches == [] and answer.hits == 0
    assert "secure-login-bank.top" not in blocklist_values(
        selectors.objects_for(region.analyst_b), "domain")


def test_edit_is_a_new_version_with_a_later_modified(region):
    obj = stored(region.analyst_a)
    before = obj.data["modified"]
    corrections.edit(obj, user=region.analyst_a,
                     changes={"name": "renamed", "labels": ["phishing"]})
    obj.refresh_from_db()
    assert obj.name == "renamed" and obj.labels == ["phishing"]
    assert obj.data["modified"] > before
    assert [v.stix["name"] for v in obj.versions.order_by("stix_modified")] == [
        "secure-login-bank.top", "renamed"]


def test_edit_refuses_valid_until_before_valid_from(region):
    obj = stored(region.analyst_a)
    with pytest.raises(ValidationError) as error:
        corrections.edit(obj, user=region.analyst_a,
                         changes={"valid_until": "2020-01-01T00:00:00Z"})
    assert "valid_until" in error.value.message_dict
    assert obj.versions.count() == 1


def test_api_patch_remarks_and_edits_and_delete_revokes(region):
    obj = stored(region.analyst_a)
    api = api_client_for(region.analyst_a)
    answer = api.patch(f"/api/objects/{obj.pk}/", {"description": "corrected",
                                                   "tlp": "amber"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["tlp"] == "amber" and answer.json()["description"] == "corrected"
    wider = api.patch(f"/api/objects/{obj.pk}/", {"tlp": "clear"}, format="json")
    assert wider.status_code == 400 and "widen" in wider.json()
    gone = api.delete(f"/api/objects/{obj.pk}/")
    assert gone.status_code == 200 and gone.json()["revoked"] is True


def test_api_corrections_are_404_outside_the_audience_and_403_for_others(region):
    obj = stored(region.analyst_a, tlp="amber", distribution="organisation")
    assert api_client_for(region.analyst_b).delete(f"/api/objects/{obj.pk}/").status_code == 404
    visible = stored(region.analyst_a, "bad.example.net")
    answer = api_client_for(region.analyst_b).patch(f"/api/objects/{visible.pk}/",
                                                    {"name": "mine now"}, format="json")
    assert answer.status_code == 403
    assert StixObject.objects.get(pk=visible.pk).name == "bad.example.net"


def test_api_bulk_revoke_of_a_submission(region):
    submission = services.ingest_bytes(
        bundle(indicator("a.example.com"), indicator("b.example.com")),
        organisation=region.unit_a, user=region.analyst_a,
        markings=Markings(tlp="green", distribution="members"), source="api")
    stored(region.analyst_a, "c.example.com")
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/objects/revoke/", {"submission": submission.pk}, format="json")
    assert answer.status_code == 200 and answer.json() == {"revoked": 2}
    assert StixObject.objects.filter(revoked=True).count() == 2


def test_api_bulk_remark_touches_only_the_users_own_records(region):
    stored(region.analyst_a, "a.example.com")
    theirs = stored(region.analyst_b, "b.example.com")
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/objects/remark/?type=indicator",
                      {"tlp": "amber", "distribution": "members"}, format="json")
    assert answer.status_code == 200 and answer.json() == {"remarked": 1}
    theirs.refresh_from_db()
    assert theirs.tlp == "green"


def test_object_page_offers_corrections_to_the_owner_only(region):
    obj = stored(region.analyst_a)
    owner, other = Client(), Client()
    owner.force_login(region.analyst_a)
    other.force_login(region.analyst_b)
    assert b"object_revoke" not in other.get(f"/intel/objects/{obj.pk}/").content
    assert f"/intel/objects/{obj.pk}/revoke/".encode() in owner.get(
        f"/intel/objects/{obj.pk}/").content
    assert other.post(f"/intel/objects/{obj.pk}/revoke/").status_code == 403
    page = owner.post(f"/intel/objects/{obj.pk}/remark/", {
        "tlp": "red", "distribution": "organisation", "recipients": [region.colleague_a.pk]})
    assert page.status_code == 302
    assert StixObject.objects.get(pk=obj.pk).tlp == "red"
    edit = owner.post(f"/intel/objects/{obj.pk}/edit/", {
        "name": "renamed", "description": "first", "labels": "",
        "valid_from": "2026-01-10T08:00"})
    assert edit.status_code == 302 and StixObject.objects.get(pk=obj.pk).name == "renamed"


def test_remark_page_shows_the_widen_error_on_its_field(region):
    obj = stored(region.analyst_a, tlp="amber", distribution="organisation")
    owner = Client()
    owner.force_login(region.analyst_a)
    page = owner.post(f"/intel/objects/{obj.pk}/remark/",
                      {"tlp": "clear", "distribution": "public"})
    assert page.status_code == 200
    assert page.context["form"].errors["widen"]
    assert StixObject.objects.get(pk=obj.pk).tlp == "amber"


@pytest.mark.parametrize("selection", [{"ids": [2**63]}, {"submission": 2**63}])
def test_api_bulk_correction_of_an_id_past_any_record_is_a_400_naming_it(region, selection):
    # Past a 64-bit integer: SQLite could not even compare it (a server error).
    answer = api_client_for(region.analyst_a).post("/api/objects/revoke/", selection,
                                                   format="json")
    assert answer.status_code == 400 and list(answer.json()) == list(selection)


def test_api_correlations_answer_each_value_with_its_matches_and_hits(region):
    own = stored(region.analyst_a, "shared-c2.xyz")
    stored(region.analyst_b, "shared-c2.xyz", tlp="amber", distribution="organisation")
    answer = api_client_for(region.analyst_a).get(f"/api/objects/{own.pk}/correlations/")
    assert answer.status_code == 200
    [value] = answer.json()
    assert (value["type"], value["value"], value["matches"]) == (
        "domain", "shared-c2.xyz", [])
    assert [list(hit) for hit in value["hits"]] == [["contact"]]


def test_api_edit_of_an_early_date_stores_a_four_digit_year(region):
    # strftime wrote the year 738 as "738", which the next read refused (a server error).
    obj = stored(region.analyst_a)
    answer = api_client_for(region.analyst_a).patch(
        f"/api/objects/{obj.pk}/", {"valid_from": "0738-12-10T04:45:42.79-07:00"},
        format="json")
    assert answer.status_code == 200
    obj.refresh_from_db()
    assert obj.data["valid_from"] == "0738-12-10T11:45:42.790Z"
    assert obj.valid_from.year == 738
