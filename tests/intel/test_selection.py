"""Records ticked on the object list: exported, re-marked or revoked — the latter two only
where the user may correct them, with an answer saying how many and why not the rest."""

import csv
import io

import pytest
from django.test import Client

from tests.intel.store_data import bundle, indicator
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings


def stored(user, value, **markings) -> StixObject:
    markings = {"tlp": "green", "distribution": "members", "pap": "clear", **markings}
    submission = services.ingest_bytes(
        bundle(indicator(value)), organisation=user.organisation, user=user,
        markings=Markings(**markings), source="api")
    return StixObject.objects.get(submission=submission)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ticked(user, action, objects, **extra):
    return client_for(user).post("/intel/objects/selected/", {
        "action": action, "selected": [getattr(o, "pk", o) for o in objects], **extra},
        follow=True)


def test_the_list_offers_a_checkbox_per_row_and_the_actions(region):
    obj = stored(region.analyst_a, "one.example")
    page = client_for(region.analyst_a).get("/intel/objects/").content.decode()
    assert f'name="selected" value="{obj.pk}" form="selection-form"' in page
    assert 'id="selection-form"' in page and 'value="revoke"' in page
    assert "vaka/select-all.js" in page and "data-select-all" in page


def test_a_viewer_is_not_offered_remark_or_revoke(region):
    stored(region.analyst_a, "one.example")
    page = client_for(region.viewer_a).get("/intel/objects/").content.decode()
    assert 'value="export"' in page and 'value="revoke"' not in page


def test_revoking_a_selection_skips_records_the_user_may_not_correct(region):
    own = stored(region.analyst_a, "own.example")
    theirs = stored(region.analyst_b, "theirs.example")
    answer = ticked(region.analyst_a, "revoke", [own, theirs])
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.revoked and not theirs.revoked
    text = answer.content.decode()
    assert "1 record revoked." in text
    assert "1 not changed: only contributors of the organisation that owns" in text


def test_a_viewer_revokes_nothing_and_is_told_why(region):
    own = stored(region.analyst_a, "own.example")
    text = ticked(region.viewer_a, "revoke", [own]).content.decode()
    own.refresh_from_db()
    assert not own.revoked
    assert "Nothing was changed." in text and "only contributors" in text


def test_ids_the_user_cannot_see_are_told_as_not_found_only(region):
    hidden = stored(region.analyst_b, "hidden.example", tlp="amber",
                    distribution="organisation")
    own = stored(region.analyst_a, "own.example")
    text = ticked(region.analyst_a, "revoke", [own, hidden, 999999]).content.decode()
    hidden.refresh_from_db()
    assert not hidden.revoked and "hidden.example" not in text
    assert "2 not found: deleted, or no longer shared with you." in text


def test_an_already_revoked_record_is_counted_as_such(region):
    first, second = stored(region.analyst_a, "a.example"), stored(region.analyst_a, "b.example")
    ticked(region.analyst_a, "revoke", [first])
    text = ticked(region.analyst_a, "revoke", [first, second]).content.decode()
    assert "1 record revoked." in text and "1 already revoked." in text


def test_the_answer_returns_to_the_list_with_its_filters(region):
    own = stored(region.analyst_a, "own.example")
    answer = client_for(region.analyst_a).post("/intel/objects/selected/", {
        "action": "revoke", "selected": [own.pk], "query": "tlp=green&type=indicator"})
    assert answer["Location"] == "/intel/objects/?tlp=green&type=indicator"


def test_exporting_a_selection_holds_the_visible_ticked_records_only(region):
    a, b = stored(region.analyst_a, "a.example"), stored(region.analyst_a, "b.example")
    hidden = stored(region.analyst_b, "hidden.example", tlp="amber",
                    distribution="organisation")
    answer = client_for(region.analyst_a).post("/intel/objects/selected/", {
        "action": "export", "format": "csv", "selected": [a.pk, hidden.pk]})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["stix_id"] for row in rows] == [a.stix_id]
    assert b.stix_id not in str(rows)


def test_a_viewer_may_export_what_they_see(region):
    obj = stored(region.analyst_b, "theirs.example")
    answer = client_for(region.viewer_a).post("/intel/objects/selected/", {
        "action": "export", "format": "stix", "selected": [obj.pk]})
    assert answer.status_code == 200
    assert obj.stix_id in b"".join(answer.streaming_content).decode()


def test_remark_shows_the_form_for_the_correctable_records_first(region):
    own = stored(region.analyst_a, "own.example")
    theirs = stored(region.analyst_b, "theirs.example")
    answer = ticked(region.analyst_a, "remark", [own, theirs])
    text = answer.content.decode()
    assert answer.status_code == 200 and "own.example" in text
    assert "theirs.example" not in text and "1 not changed" in text
    own.refresh_from_db()
    assert own.tlp == "green"


def test_remark_applies_to_the_correctable_records_only(region):
    own = stored(region.analyst_a, "own.example")
    theirs = stored(region.analyst_b, "theirs.example")
    text = ticked(region.analyst_a, "remark", [own, theirs], confirm="1", tlp="amber",
                  distribution="members", pap="clear").content.decode()
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert (own.tlp, theirs.tlp) == ("amber", "green")
    assert "1 record re-marked." in text


def test_widening_a_selection_must_be_asked_for(region):
    own = stored(region.analyst_a, "own.example", tlp="amber", distribution="organisation")
    answer = ticked(region.analyst_a, "remark", [own], confirm="1", tlp="green",
                    distribution="members", pap="clear")
    own.refresh_from_db()
    assert answer.status_code == 400 and own.tlp == "amber"
    assert "Confirm that you mean to widen" in answer.content.decode()


def test_nothing_ticked_says_so_on_the_list(region):
    text = ticked(region.analyst_a, "revoke", []).content.decode()
    assert "Tick at least one record first." in text


@pytest.mark.parametrize("value", ["abc", "³", "99999999999999999999"])
def test_a_selection_that_is_not_ids_is_refused_naming_the_value(region, value):
    # "³" is a digit to str.isdigit, not to int; the long one is past any id (and SQLite's
    # integers): each was a server error.
    text = ticked(region.analyst_a, "revoke", ["12", value]).content.decode()
    assert f"“{value}” is not a record id." in text
