"""JSON nested too deeply is a 400 that says so, on every JSON entry point, never a 500."""

import io
import json

import pytest

from vaka.directory.models import hash_token
from vaka.directory.services import create_token
from vaka.exchange.models import Collection, Peer
from vaka.intel.models import StixObject
from vaka.intel.parsing import jsonlimits
from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.stix import iter_bundle, read_bundle

DEEP = "[" * 100_000 + "]" * 100_000
TOO_DEEP = "nested more than 100 levels deep"
TAXII = "application/taxii+json;version=2.1"


def deep_stix(depth: int = 100_000) -> str:
    nested = "[" * depth + "]" * depth
    return ('{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", '
            '"spec_version": "2.1", "id": "indicator--5a3b6d1e-3f4c-4b8e-9a0e-1c2d3e4f5a6b", '
            '"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z", '
            '"pattern": "[domain-name:value = \'evil.example\']", "pattern_type": "stix", '
            f'"valid_from": "2025-01-01T00:00:00Z", "x_deep": {nested}}}]}}')


@pytest.mark.parametrize("path", ["/api/notes/", "/api/submissions/", "/api/lookup/"])
def test_deeply_nested_json_body_is_a_400_on_the_api(region, api_for, path):
    response = api_for(region.analyst_a).post(path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert TOO_DEEP in response.json()["detail"]


def test_deeply_nested_json_inside_a_json_body_is_a_400(region, api_for):
    body = '{"values": ' + "[" * 150 + "]" * 150 + "}"
    response = api_for(region.analyst_a).post("/api/lookup/", body,
                                              content_type="application/json")
    assert response.status_code == 400
    assert TOO_DEEP in response.json()["detail"]


def test_submitted_stix_nested_too_deeply_is_rejected_with_the_reason(region, api_for):
    response = api_for(region.analyst_a).post(
        "/api/submissions/", {"content": deep_stix(), "format": "stix"}, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert TOO_DEEP in str(response.json()["errors"])
    assert not StixObject.objects.exists()


def test_stix_nested_a_few_hundred_levels_is_rejected_though_it_decodes(region, api_for):
    response = api_for(region.analyst_a).post(
        "/api/submissions/", {"content": deep_stix(500), "format": "stix"}, format="json")
    assert response.status_code == 400
    assert TOO_DEEP in str(response.json()["errors"])
    assert not StixObject.objects.exists()


def test_submitted_misp_nested_too_deeply_is_rejected_with_the_reason(region, api_for):
    event = '{"Event": {"info": "x", "Attribute": ' + DEEP + "}}"
    response = api_for(region.analyst_a).post(
        "/api/submissions/", {"content": event, "format": "misp"}, format="json")
    assert response.status_code == 400
    assert TOO_DEEP in str(response.json()["errors"])


def test_taxii_post_nested_too_deeply_is_a_400_taxii_error(region, client):
    collection = Collection.objects.create(title="In", can_write=True, tlp="green",
                                           distribution="members")
    _token, key = create_token(region.analyst_a, name="taxii")
    response = client.post(f"/taxii2/api/collections/{collection.id}/objects/",
                           '{"objects": ' + DEEP + "}", content_type=TAXII,
                           HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400
    assert response.json()["title"] == "Not a JSON envelope"
    assert TOO_DEEP in response.json()["description"]


def test_sync_push_nested_too_deeply_is_a_400(db, client):
    Peer.objects.create(name="hub", url="https://hub.example/",
                        incoming_token_hash=hash_token("vakapeer_secret"))
    response = client.post("/sync/v1/objects/", '{"objects": ' + DEEP + "}",
                           content_type="application/json",
                           HTTP_AUTHORIZATION="Peer vakapeer_secret")
    assert response.status_code == 400
    assert TOO_DEEP in response.json()["error"]


def test_streamed_stix_object_nested_too_deeply_names_its_index():
    with pytest.raises(InputError, match=TOO_DEEP) as raised:
        list(iter_bundle(io.BytesIO(deep_stix(300).encode())))
    assert raised.value.problems[0].index == 0


def test_streamed_stix_nested_beyond_the_stack_is_an_input_error():
    with pytest.raises(InputError, match=TOO_DEEP):
        list(iter_bundle(io.BytesIO(deep_stix().encode())))


def test_stix_read_whole_or_streamed_allows_the_same_depth():
    at_limit = deep_stix(97).encode()  # bundle, objects, object and 97 lists: 100
    assert len(read_bundle(at_limit)) == 1
    assert len(list(iter_bundle(io.BytesIO(at_limit)))) == 1
    beyond = deep_stix(98).encode()
    with pytest.raises(InputError, match=TOO_DEEP):
        read_bundle(beyond)
    with pytest.raises(InputError, match=TOO_DEEP):
        list(iter_bundle(io.BytesIO(beyond)))


def test_depth_limit_counts_lists_and_objects():
    jsonlimits.check_depth(json.loads("[" * 100 + "]" * 100))
    with pytest.raises(jsonlimits.TooDeep):
        jsonlimits.check_depth(json.loads('{"a": ' * 101 + "1" + "}" * 101))
    assert jsonlimits.decode(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    with pytest.raises(jsonlimits.TooDeep):
        jsonlimits.loads(DEEP)
