"""MISP JSON → STIX 2.1 through misp-stix (vaka.intel.parsing.misp): pure, no database."""

import copy
import json
from pathlib import Path

import pytest
from misp_stix_converter import MISPtoSTIX21Parser
from stix2validator import validate_instance

from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.misp import (
    TLP_MARKING_IDS,
    Grading,
    is_misp,
    misp_tlp,
    misp_to_stix,
)

DATA = Path(__file__).parent / "data"

CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

PHISHING_EVENT = "5f1c9d3e-2b7a-4c8e-9a41-6d2e8b0f3c71"
IP_DST = "7a1e3c5b-9d2f-4b6a-8c0e-1f3a5b7d9e2c"  # tagged tlp:red and kill-chain:Delivery
DOMAIN = "8b2f4d6c-0e3a-4c7b-9d1f-2a4b6c8e0f3d"
EMAIL_SRC = "2f6d8b0a-4c7e-4a1f-9b5d-6e8f0a2c4d7b"
FILE_OBJECT = "3a7e9c1b-5d8f-4b2a-8c6e-7f9a1b3d5e8c"
MADE_UP = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def phishing() -> dict:
    return load("misp_event_phishing")


def by_id(result) -> dict:
    return {o["id"]: o for o in result.objects}


def of_type(result, type_: str) -> list[dict]:
    return [o for o in result.objects if o["type"] == type_]


def minimal_event(**fields) -> dict:
    """A small valid event, for the tests of one field."""
    event = {
        "uuid": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        "info": "Minimal event",
        "date": "2024-08-01",
        "timestamp": "1722470400",
        "published": True,
        "publish_timestamp": "1722470500",
        "distribution": "1",
        "Orgc": {"name": "CERT Tonga", "uuid": "a6b0e8c2-4f1d-4e3a-b5c7-d9e1f3a5b7c9"},
        "Attribute": [
            {"type": "domain", "category": "Network activity", "to_ids": True,
             "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "timestamp": "1722470400",
             "value": "scam-pacific.example.com"},
        ],
        "Tag": [],
    }
    event.update(fields)
    return {"Event": event}


@pytest.fixture(scope="module")
def converted():
    return misp_to_stix(phishing(), file="phishing.json")


@pytest.fixture(scope="module")
def collection():
    return misp_to_stix(load("misp_response_two_events"), file="search.json")


# --- recognising MISP ---------------------------------------------------------------------


def test_is_misp_recognises_an_event_wrapped_in_event():
    assert is_misp(phishing())


def test_is_misp_recognises_a_bare_event():
    assert is_misp(phishing()["Event"])


def test_is_misp_recognises_rest_search_output():
    assert is_misp(load("misp_response_two_events"))


def test_is_misp_recognises_a_list_of_events():
    assert is_misp(load("misp_response_two_events")["response"])


@pytest.mark.parametrize("data", [
    {"type": "bundle", "id": "bundle--6b1c0a4e-0f6f-4b8e-9c4a-2d7f0e1c3b5a", "objects": []},
    {"response": []},
    {"info": "no MISP keys besides info"},
    [{"type": "indicator"}],
    [],
    "Event",
    None,
])
def test_is_misp_rejects_what_is_not_misp(data):
    assert not is_misp(data)


def test_not_misp_raises_input_error_naming_the_file():
    with pytest.raises(InputError) as caught:
        misp_to_stix({"type": "bundle", "objects": []}, file="feed.json")
    assert caught.value.problems[0].file == "feed.json"
    assert "not MISP JSON" in caught.value.problems[0].message


# --- TLP tags -----------------------------------------------------------------------------


def test_misp_tlp_picks_the_most_restrictive_tag():
    assert misp_tlp(["tlp:green", "tlp:amber+strict", "tlp:amber"]) == "amber+strict"


def test_misp_tlp_reads_tlp_white_as_clear():
    assert misp_tlp(["TLP:WHITE "]) == "clear"


def test_misp_tlp_is_none_without_a_tlp_level_tag():
    assert misp_tlp(["tlp:ex:chr", "admiralty-scale:source-reliability=\"b\""]) is None


# --- the conversion -----------------------------------------------------------------------


def test_an_event_becomes_one_report_naming_all_its_objects(converted):
    (report,) = of_type(converted, "report")
    assert report["id"] == f"report--{PHISHING_EVENT}"
    assert report["name"].startswith("Phishing campaign impersonating")
    others = {o["id"] for o in converted.objects
              if o["type"] not in ("report", "identity", "marking-definition")}
    assert others <= set(report["object_refs"])
    assert converted.events == 1


def test_attributes_become_indicators_with_stix_patterns(converted):
    patterns = {o["pattern"] for o in of_type(converted, "indicator")}
    assert "[network-traffic:dst_ref.type = 'ipv4-addr' AND " \
           "network-traffic:dst_ref.value = '203.0.113.45']" in patterns
    assert "[domain-name:value = 'forumsec-pacific.example.net']" in patterns
    assert "[url:value = 'https://forumsec-pacific.example.net/owa/login.php']" in patterns
    assert "[file:hashes.MD5 = 'b1946ac92492d2347c6235b4d2611184']" in patterns
    assert any("file:hashes.'SHA-256'" in p for p in patterns)


def test_an_attribute_not_for_ids_becomes_an_observable_only(converted):
    objects = by_id(converted)
    assert f"indicator--{EMAIL_SRC}" not in objects
    assert objects[f"observed-data--{EMAIL_SRC}"]["object_refs"]
    assert objects[f"email-addr--{EMAIL_SRC}"]["value"] == \
        "secretariat@forumsec-pacific.example.net"


def test_a_file_object_becomes_one_indicator_with_its_hashes_and_name(converted):
    indicator = by_id(converted)[f"indicator--{FILE_OBJECT}"]
    assert "file:hashes.MD5 = 'b1946ac92492d2347c6235b4d2611184'" in indicator["pattern"]
    assert "file:name = 'Invitation_Forum_2024.docm'" in indicator["pattern"]
    assert 'misp:name="file"' in indicator["labels"]


def test_an_unpublished_event_becomes_a_grouping(collection):
    (grouping,) = of_type(collection, "grouping")
    assert grouping["name"].startswith("Agent Tesla infostealer")
    assert grouping["object_refs"]


def test_an_attack_pattern_galaxy_cluster_becomes_an_attack_pattern(converted):
    (pattern,) = of_type(converted, "attack-pattern")
    assert pattern["id"] == "attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b"
    assert pattern["name"] == "Phishing"
    assert pattern["id"] in of_type(converted, "report")[0]["object_refs"]


def test_a_threat_actor_galaxy_cluster_becomes_a_threat_actor(collection):
    (actor,) = of_type(collection, "threat-actor")
    assert actor["name"] == "SilverTerrier"


def test_a_malware_galaxy_cluster_becomes_a_malware(collection):
    (malware,) = of_type(collection, "malware")
    assert malware["name"] == "Agent Tesla"


def test_an_unmapped_attribute_type_is_kept_as_a_custom_object_with_a_warning():
    data = minimal_event()
    data["Event"]["Attribute"][0].update(type="text", category="Other", value="call +676 555")
    result = misp_to_stix(data)
    assert of_type(result, "x-misp-attribute")
    assert any("text not mapped" in w for w in result.warnings)
    assert not result.problems


def test_the_input_is_left_unchanged():
    data = phishing()
    before = copy.deepcopy(data)
    misp_to_stix(data)
    assert data == before


def test_an_attribute_without_uuid_gets_the_same_stix_id_on_every_conversion():
    data = minimal_event()
    del data["Event"]["Attribute"][0]["uuid"]
    first = {o["id"] for o in of_type(misp_to_stix(data), "indicator")}
    second = {o["id"] for o in of_type(misp_to_stix(copy.deepcopy(data)), "indicator")}
    assert first == second and len(first) == 1


def test_a_deleted_attribute_is_skipped_with_a_warning():
    data = minimal_event()
    data["Event"]["Attribute"][0]["deleted"] = True
    result = misp_to_stix(data)
    assert not of_type(result, "indicator")
    assert any("deleted in MISP" in w for w in result.warnings)


# --- labels -------------------------------------------------------------------------------


def test_event_tags_are_labels_of_the_report(converted):
    labels = of_type(converted, "report")[0]["labels"]
    for tag in ('admiralty-scale:source-reliability="b"',
                'admiralty-scale:information-credibility="2"',
                'circl:incident-classification="phishing"',
                'misp-galaxy:mitre-attack-pattern="Phishing - T1566"'):
        assert tag in labels


def test_tlp_tags_are_markings_not_labels(converted):
    labels = [label for o in converted.objects for label in o.get("labels", [])]
    assert not [label for label in labels if label.startswith("tlp:")]


def test_attribute_tags_are_labels_of_its_indicator(converted):
    indicator = by_id(converted)[f"indicator--{IP_DST}"]
    assert "kill-chain:Delivery" in indicator["labels"]


# --- TLP markings -------------------------------------------------------------------------


def test_every_object_of_an_amber_event_is_marked_tlp_amber(converted):
    unmarked = [o["id"] for o in converted.objects
                if o["type"] != "marking-definition" and not o.get("object_marking_refs")]
    assert not unmarked
    assert of_type(converted, "report")[0]["object_marking_refs"] == [AMBER]
    assert by_id(converted)[f"indicator--{DOMAIN}"]["object_marking_refs"] == [AMBER]
    assert by_id(converted)[f"domain-name--{DOMAIN}"]["object_marking_refs"] == [AMBER]


def test_an_attribute_tlp_marks_its_indicator_observed_data_and_observables(converted):
    objects = by_id(converted)
    for stix_id in (f"indicator--{IP_DST}", f"observed-data--{IP_DST}",
                    f"ipv4-addr--{IP_DST}", f"network-traffic--{IP_DST}"):
        assert objects[stix_id]["object_marking_refs"] == [RED], stix_id


def test_a_relationship_takes_the_most_restrictive_tlp_of_what_it_links(converted):
    (relationship,) = [o for o in of_type(converted, "relationship")
                       if o["source_ref"] == f"indicator--{IP_DST}"]
    assert relationship["object_marking_refs"] == [RED]


def test_no_tlp_1_marking_is_left(converted):
    refs = {ref for o in converted.objects for ref in o.get("object_marking_refs", [])}
    ids = {o["id"] for o in converted.objects}
    assert not (refs | ids) & TLP1_IDS


def test_the_tlp_2_marking_definitions_used_are_included_once(converted):
    definitions = of_type(converted, "marking-definition")
    assert sorted(d["id"] for d in definitions) == sorted([AMBER, RED])
    amber = next(d for d in definitions if d["id"] == AMBER)
    assert amber == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": AMBER,
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:AMBER",
        "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension", "tlp_2_0": "amber"}},
    }


def test_tlp_white_becomes_tlp_clear():
    result = misp_to_stix(load("misp_event_tlp_white"))
    assert of_type(result, "report")[0]["object_marking_refs"] == [CLEAR]
    assert [d["name"] for d in of_type(result, "marking-definition")] == ["TLP:CLEAR"]
    assert result.event_markings[0].tlp == "clear"


def test_tlp_amber_strict_tag_gives_the_amber_strict_marking():
    result = misp_to_stix(minimal_event(Tag=[{"name": "tlp:amber+strict"}]))
    assert of_type(result, "report")[0]["object_marking_refs"] == [
        TLP_MARKING_IDS["amber+strict"]]


def test_an_event_without_tlp_leaves_objects_unmarked():
    result = misp_to_stix(minimal_event())
    assert not [o for o in result.objects if o.get("object_marking_refs")]
    assert result.event_markings[0].tlp is None


def test_an_object_shared_by_two_events_appears_once_with_the_stricter_tlp(collection):
    (identity,) = of_type(collection, "identity")
    assert identity["object_marking_refs"] == [RED]


def test_each_event_of_a_collection_keeps_its_own_tlp(collection):
    objects = by_id(collection)
    assert objects["report--e3b7a1c4-5d6f-4a8b-9c0d-1e2f3a4b5c6d"]["object_marking_refs"] == \
        [GREEN]
    assert objects["grouping--f4c8b2d5-6e7a-4b9c-8d1e-2f3a4b5c6d7e"]["object_marking_refs"] == \
        [RED]
    assert collection.tlp == "red"


# --- distribution and grading -------------------------------------------------------------


def test_sharing_group_distribution_maps_to_communities_with_the_group_name(converted):
    (markings,) = converted.event_markings
    assert markings.uuid == PHISHING_EVENT
    assert markings.distribution == "communities"
    assert markings.sharing_group_name == "Pacific Cybercrime Working Group"
    assert converted.distribution == "communities"


@pytest.mark.parametrize(("misp", "vaka"), [
    ("0", "organisation"), ("1", "members"), (2, "federation"), ("3", "federation"),
])
def test_misp_distribution_maps_to_vaka_distribution(misp, vaka):
    result = misp_to_stix(minimal_event(distribution=misp))
    assert result.event_markings[0].distribution == vaka
    assert result.distribution == vaka


def test_inherit_is_no_event_distribution():
    result = misp_to_stix(minimal_event(distribution="5"))
    assert result.event_markings[0].distribution is None
    assert result.problems[0].field == "distribution"


def test_an_attribute_narrower_than_its_event_is_reported_per_object():
    data = minimal_event(distribution="3")
    data["Event"]["Attribute"][0]["distribution"] = "0"
    attribute = data["Event"]["Attribute"][0]["uuid"]
    narrower = misp_to_stix(data).event_markings[0].object_distributions
    assert narrower[f"indicator--{attribute}"] == "organisation"
    assert narrower[f"domain-name--{attribute}"] == "organisation"


@pytest.mark.parametrize("code", ["9", "³"])  # "³": a digit to isdigit(), not to int()
def test_an_attribute_with_an_unknown_distribution_is_a_problem_and_inherits(code):
    data = minimal_event()
    data["Event"]["Attribute"][0]["distribution"] = code
    result = misp_to_stix(data)
    (problem,) = result.problems
    assert problem.field == "Attribute[0].distribution"
    assert of_type(result, "indicator")
    assert result.event_markings[0].object_distributions == {}


def test_an_attribute_that_inherits_is_not_reported_per_object(converted):
    assert converted.event_markings[0].object_distributions == {}


def test_a_collection_distribution_is_the_narrowest_of_its_events(collection):
    assert [m.distribution for m in collection.event_markings] == ["members", "organisation"]
    assert collection.distribution == "organisation"


def test_admiralty_tags_give_the_event_grading(converted):
    assert converted.event_markings[0].grading == Grading(source="B", information="2")


def test_an_event_without_admiralty_tags_has_no_grading(collection):
    assert collection.event_markings[1].grading is None


def test_an_admiralty_grade_out_of_scale_is_a_problem():
    result = misp_to_stix(minimal_event(
        Tag=[{"name": 'admiralty-scale:source-reliability="z"'}]))
    assert result.event_markings[0].grading is None
    assert "not an Admiralty grade" in result.problems[0].message


# --- collections --------------------------------------------------------------------------


def test_rest_search_output_converts_every_event(collection):
    assert collection.events == 2
    assert [m.index for m in collection.event_markings] == [0, 1]
    assert len(of_type(collection, "report")) == 1
    assert len(of_type(collection, "grouping")) == 1
    assert not collection.problems


def test_a_list_of_events_converts_like_rest_search_output(collection):
    result = misp_to_stix(load("misp_response_two_events")["response"])
    assert sorted(o["id"] for o in result.objects) == sorted(o["id"] for o in collection.objects)


def test_a_malformed_event_in_a_collection_is_skipped_and_the_others_converted():
    data = load("misp_response_two_events")
    data["response"].insert(1, {"Event": "not an event"})
    result = misp_to_stix(data)
    assert result.events == 2
    (problem,) = result.problems
    assert problem.index == 1
    assert "event skipped" in problem.message


# --- bad input ----------------------------------------------------------------------------


def test_an_unknown_attribute_type_is_a_problem_naming_event_position_and_uuid():
    result = misp_to_stix(load("misp_event_unknown_type"), file="partner.json")
    (problem,) = result.problems
    assert problem.index == 0
    assert problem.field == "Attribute[1].type"
    assert problem.file == "partner.json"
    assert "Attribute[1]" in problem.message
    assert MADE_UP in problem.message
    assert "'made-up-type'" in problem.message


def test_an_unknown_attribute_type_skips_only_that_attribute():
    result = misp_to_stix(load("misp_event_unknown_type"))
    ids = {o["id"] for o in result.objects}
    assert not [i for i in ids if i.endswith(MADE_UP)]
    assert "indicator--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e" in ids
    assert "indicator--4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a" in ids
    assert result.events == 1


def test_a_problem_in_the_second_event_of_a_collection_names_event_1():
    data = {"response": [phishing(), load("misp_event_unknown_type")]}
    (problem,) = misp_to_stix(data).problems
    assert problem.index == 1
    assert problem.message.startswith("event 1, Attribute[1]")


def test_an_attribute_without_value_is_a_problem():
    data = phishing()
    del data["Event"]["Attribute"][2]["value"]
    (problem,) = misp_to_stix(data).problems
    assert problem.field == "Attribute[2].value"
    assert "no value" in problem.message


def test_an_attribute_without_type_is_a_problem():
    data = phishing()
    del data["Event"]["Attribute"][4]["type"]
    (problem,) = misp_to_stix(data).problems
    assert problem.field == "Attribute[4].type"


def test_an_invalid_hash_rejected_by_misp_validation_is_a_problem():
    data = phishing()
    data["Event"]["Attribute"][3]["value"] = "not-an-md5"
    result = misp_to_stix(data)
    (problem,) = result.problems
    assert problem.field == "Attribute[3].value"
    assert "invalid md5 value" in problem.message
    md5 = "0d4b6f8e-2a5c-4e9d-9f3b-4c6d8e0a2b5f"
    assert not [o for o in result.objects if o["id"].endswith(md5)]


def test_a_bad_attribute_of_an_object_names_the_object_and_attribute_positions():
    data = phishing()
    data["Event"]["Object"][0]["Attribute"][1]["value"] = "not-an-md5"
    result = misp_to_stix(data)
    (problem,) = result.problems
    assert problem.field == "Object[0].Attribute[1].value"
    assert "5c9a1e3d-7f0b-4d4c-8e8a-9b1c3d5f7a0e" in problem.message
    pattern = by_id(result)[f"indicator--{FILE_OBJECT}"]["pattern"]
    assert "MD5" not in pattern and "SHA-256" in pattern


def test_an_exception_inside_misp_stix_skips_only_that_attribute(monkeypatch):
    def fail(self, attribute):
        raise RuntimeError("converter bug")

    monkeypatch.setattr(MISPtoSTIX21Parser, "_parse_domain_attribute", fail)
    result = misp_to_stix(phishing())
    (problem,) = result.problems
    assert problem.field == "Attribute[1]"
    assert "converter bug" in problem.message and DOMAIN in problem.message
    ids = {o["id"] for o in result.objects}
    assert not [i for i in ids if i.endswith(DOMAIN)]
    report = of_type(result, "report")[0]
    assert not [ref for ref in report["object_refs"] if ref.endswith(DOMAIN)]
    assert f"indicator--{IP_DST}" in ids


def test_an_event_pymisp_cannot_load_is_skipped_with_a_problem():
    data = {"response": [minimal_event(timestamp="yesterday"), phishing()]}
    result = misp_to_stix(data)
    assert result.events == 1
    (problem,) = result.problems
    assert problem.index == 0
    assert "event skipped" in problem.message


def test_an_attribute_list_that_is_no_list_is_a_problem_and_the_event_still_converts():
    data = minimal_event(Attribute="ip-dst 203.0.113.45")
    result = misp_to_stix(data)
    assert result.problems[0].field == "Attribute"
    assert result.events == 1


# --- STIX validity ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "misp_event_phishing", "misp_response_two_events", "misp_event_unknown_type",
    "misp_event_tlp_white",
])
def test_every_object_produced_passes_the_stix2_validator(name):
    result = misp_to_stix(load(name))
    failures = {}
    for obj in result.objects:
        validation = validate_instance(obj)
        if not validation.is_valid:
            failures[obj["id"]] = [str(error) for error in validation.errors]
    assert result.objects and not failures
