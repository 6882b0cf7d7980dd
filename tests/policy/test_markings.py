import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_note
from vaka.intel.models import Note
from vaka.policy.services import Markings, clean_markings


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_public_distribution_requires_tlp_clear(region):
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a,
                       Markings(distribution="public", tlp="green"))
    assert errors_of(excinfo) == {"tlp": ["Public distribution requires TLP:CLEAR."]}


def test_communities_distribution_needs_a_community_the_owner_belongs_to(region):
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_b, region.analyst_b,
                       Markings(distribution="communities", tlp="green",
                                communities=[region.community]))
    assert "Unit B is not a member of Unit A and CERT." in errors_of(excinfo)["communities"]
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a,
                       Markings(distribution="communities", tlp="green"))
    assert errors_of(excinfo)["communities"] == ["Choose at least one community."]


def test_red_needs_a_named_recipient_and_adds_the_author(region):
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a, Markings(tlp="red"))
    assert errors_of(excinfo)["recipients"] == ["TLP:RED needs at least one named recipient."]
    m = clean_markings(region.unit_a, region.analyst_a,
                       Markings(tlp="red", recipients=[region.viewer_a]))
    assert m.recipients == [region.analyst_a, region.viewer_a]


def test_red_recipient_outside_the_distribution_is_refused(region):
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a,
                       Markings(tlp="red", distribution="organisation",
                                recipients=[region.analyst_b]))
    assert "analyst_b is outside the chosen distribution." in errors_of(excinfo)["recipients"]


def test_amber_without_recipients_resolves_to_the_communities_organisations(region):
    m = clean_markings(region.unit_a, region.analyst_a,
                       Markings(tlp="amber+strict", distribution="communities",
                                communities=[region.community]))
    assert m.recipient_organisations == [region.cert]


def test_amber_to_own_organisation_only_has_no_recipients(region):
    m = clean_markings(region.unit_a, region.analyst_a,
                       Markings(tlp="amber", distribution="organisation"))
    assert m.recipient_organisations == []


def test_grading_codes_are_checked_against_their_scheme(region):
    ok = clean_markings(region.unit_a, region.analyst_a, Markings(
        grading_scheme="uk3x5x2", grading_source="1", grading_information="B",
        grading_handling="P"))
    assert (ok.grading_source, ok.grading_information, ok.grading_handling) == ("1", "B", "P")
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a, Markings(
            grading_scheme="admiralty", grading_source="B", grading_information="2",
            grading_handling="P"))
    assert list(errors_of(excinfo)) == ["grading_handling"]
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a, Markings(
            grading_scheme="europol4x4", grading_source="F"))
    assert "allowed: A, B, C, X" in errors_of(excinfo)["grading_source"][0]


def test_unknown_handling_code_is_refused(region):
    with pytest.raises(ValidationError) as excinfo:
        clean_markings(region.unit_a, region.analyst_a, Markings(handling=["burn-after"]))
    assert errors_of(excinfo)["handling"] == ["Unknown handling code(s): burn-after."]


def test_grading_code_is_written_as_on_a_report(region):
    note = make_note(region.analyst_a, grading_scheme="uk3x5x2", grading_source="1",
                     grading_information="B", grading_handling="C")
    assert note.grading_code == "1BC"
    note = make_note(region.analyst_a, grading_source="B", grading_information="2")
    assert note.grading_code == "B2"
    assert note.grading_labels == ["B: Usually reliable", "2: Probably true"]


def test_invalid_markings_store_nothing(region):
    with pytest.raises(ValidationError):
        make_note(region.analyst_a, distribution="public", tlp="red")
    assert Note.objects.count() == 0
