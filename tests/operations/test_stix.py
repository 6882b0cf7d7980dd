"""An operation's shareable intelligence as a STIX 2.1 grouping and note."""

import json

from stix2validator import ValidationOptions, validate_instance

from tests.operations.conftest import open_reef
from vaka.intel.models import StixObject
from vaka.operations import stix
from vaka.operations.targets import TargetInput, add_targets


def _object(owner, name: str, **marks) -> StixObject:
    stix_id = f"indicator--{'0' * 8}-0000-4000-8000-{len(name):012d}"
    marks = {"distribution": "members", "tlp": "green", **marks}
    return StixObject.objects.create(
        owner=owner, stix_id=stix_id, type="indicator", name=name, version_key="v1",
        data={"type": "indicator", "spec_version": "2.1", "id": stix_id, "name": name,
              "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
              "pattern": "[domain-name:value = 'evil.com']", "pattern_type": "stix",
              "valid_from": "2026-01-01T00:00:00Z"}, **marks)


def _bundle(user, operation) -> dict:
    return json.loads("".join(stix.bundle(user, operation)))


def test_grouping_names_infrastructure_and_a_note_but_no_person(ops) -> None:
    operation = open_reef(ops)
    add_targets(operation, user=ops.coordinator, targets=[
        TargetInput("domain", "Evil[.]com"), TargetInput("account", "Telegram: @Boss"),
        TargetInput("phone", "+679 555 0100"), TargetInput("person", "Jane Roe")])
    bundle = _bundle(ops.samoa_analyst, operation)
    by_type = {}
    for obj in bundle["objects"]:
        by_type.setdefault(obj["type"], []).append(obj)
    grouping, note = by_type["grouping"][0], by_type["note"][0]
    assert grouping["context"] == "suspicious-activity"
    assert grouping["labels"] == ['vaka:crime-type="sextortion"']
    assert by_type["domain-name"][0]["value"] == "evil.com"
    assert by_type["user-account"][0]["account_login"] == "boss"
    assert {by_type["domain-name"][0]["id"], note["id"]} <= set(grouping["object_refs"])
    assert "+6795550100" in note["content"]
    assert "jane roe" not in json.dumps(bundle).lower()
    for obj in bundle["objects"]:
        result = validate_instance(obj, ValidationOptions(version="2.1"))
        assert result.is_valid, (obj["type"], [str(e) for e in result.errors])


def test_linked_intelligence_the_reader_may_not_see_is_left_out_silently(ops) -> None:
    operation = open_reef(ops)
    shared = _object(ops.fiji_unit, "shared-indicator")
    hidden = _object(ops.fiji_unit, "fiji-only-indicator-x", distribution="organisation")
    add_targets(operation, user=ops.fiji_coordinator, targets=[
        TargetInput("domain", "evil.com", linked=[shared.pk, hidden.pk])])
    samoa = _bundle(ops.samoa_analyst, operation)
    ids = {obj["id"] for obj in samoa["objects"]}
    grouping = next(o for o in samoa["objects"] if o["type"] == "grouping")
    assert shared.stix_id in ids and shared.stix_id in grouping["object_refs"]
    assert hidden.stix_id not in json.dumps(samoa)
    fiji = _bundle(ops.fiji_analyst, operation)
    assert hidden.stix_id in {obj["id"] for obj in fiji["objects"]}


def test_grouping_id_is_stable_and_marked_with_the_operations_tlp(ops) -> None:
    operation = open_reef(ops)
    first, again = _bundle(ops.samoa_analyst, operation), _bundle(ops.fiji_analyst, operation)
    grouping = next(o for o in first["objects"] if o["type"] == "grouping")
    assert grouping["id"] == next(o for o in again["objects"] if o["type"] == "grouping")["id"]
    assert grouping["object_marking_refs"] == ["marking-definition--"
                                               "55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
    assert any(o["type"] == "marking-definition" for o in first["objects"])
