"""The TAXII 2.1 server, driven by the OASIS client (taxii2-client) over a real socket, and
every object it serves checked by the OASIS validator (stix2-validator)."""

import json

import pytest
import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from tests.intel.store_data import T0, T1, bundle, indicator, sid
from vaka.directory.services import create_token
from vaka.exchange.models import Collection as VakaCollection
from vaka.exchange.models import TaxiiStatus
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.intel.parsing.stix_markings import TLP2_MARKING_IDS
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

pytestmark = pytest.mark.django_db(transaction=True)
TAXII = "application/taxii+json;version=2.1"


def store(user, *objects, tlp="amber", distribution="organisation", **extra):
    return services.ingest_bytes(bundle(*objects), organisation=user.organisation, user=user,
                                 markings=Markings(tlp=tlp, distribution=distribution),
                                 source="api", **extra)


def key_for(user) -> str:
    return create_token(user, name="taxii")[1]


@pytest.fixture
def everything():
    return VakaCollection.objects.create(title="Everything I may see", alias="all",
                                         can_write=True, tlp="green",
                                         distribution="members")


@pytest.fixture
def url(live_server, everything):
    return f"{live_server.url}/taxii2/api/collections/{everything.id}/"


def client(url: str, user) -> Collection:
    return Collection(url, user=user.username, password=key_for(user))


def valid(obj: dict) -> bool:
    results = validate_instance(obj, ValidationOptions(version="2.1"))
    return results.is_valid


def test_discovery_api_root_and_collections(live_server, region, everything):
    server = Server(f"{live_server.url}/taxii2/", user="analyst_a",
                    password=key_for(region.analyst_a))
    assert server.title == "Vaka TAXII"
    [root] = server.api_roots
    assert root.url == f"{live_server.url}/taxii2/api/"
    assert TAXII in root.versions and root.max_content_length > 0
    [collection] = root.collections
    assert (collection.id, collection.title, collection.alias) == (
        str(everything.id), "Everything I may see", "all")
    assert collection.can_read and collection.can_write
    assert collection.media_types == ["application/stix+json;version=2.1"]


def test_a_collection_is_seen_through_each_readers_audience(url, region):
    store(region.analyst_a, *[indicator(f"c2-{i}.evil-portal-7.net") for i in range(25)])
    store(region.analyst_b, indicator("theirs.evil-portal-7.net"), tlp="green",
          distribution="members")
    pages = list(as_pages(client(url, region.analyst_a).get_objects, per_request=10))
    assert [len(page["objects"]) for page in pages] == [10, 10, 6]
    assert [page["more"] for page in pages] == [True, True, False]
    mine = [obj for page in pages for obj in page["objects"]]
    assert len({obj["id"] for obj in mine}) == 26
    assert all(valid(obj) for obj in mine)
    # Unit B sees its own record, and none of unit A's (TLP:AMBER, organisation only).
    theirs = client(url, region.analyst_b).get_objects()
    assert [obj["name"] for obj in theirs["objects"]] == ["theirs.evil-portal-7.net"]
    assert theirs["more"] is False


def test_objects_carry_the_records_tlp_marking(url, region):
    store(region.analyst_a, indicator("c2.evil-portal-7.net"), tlp="amber")
    [obj] = client(url, region.analyst_a).get_objects()["objects"]
    assert obj["object_marking_refs"] == [TLP2_MARKING_IDS["amber"]]
    assert valid(obj)


def test_added_after_polling_returns_only_what_arrived_since(url, region):
    store(region.analyst_a, indicator("first.evil-portal-7.net"))
    key = key_for(region.analyst_a)
    first = requests.get(url + "objects/", headers={"Accept": TAXII,
                                                    "Authorization": f"Token {key}"},
                         timeout=10)
    assert first.status_code == 200 and first.headers["Content-Type"] == TAXII
    last = first.headers["X-TAXII-Date-Added-Last"]
    assert first.headers["X-TAXII-Date-Added-First"] == last
    store(region.analyst_a, indicator("second.evil-portal-7.net"))
    newer = client(url, region.analyst_a).get_objects(added_after=last)
    assert [obj["name"] for obj in newer["objects"]] == ["second.evil-portal-7.net"]
    nothing = client(url, region.analyst_a).get_objects(
        added_after=requests.get(url + "objects/", headers={
            "Accept": TAXII, "Authorization": f"Token {key}"}, timeout=10
        ).headers["X-TAXII-Date-Added-Last"])
    assert nothing == {"more": False}


def test_add_objects_is_a_submission_and_its_status_names_each_failure(url, region):
    collection = client(url, region.analyst_a)
    good, bad = indicator("pushed.evil-portal-7.net"), indicator("bad.evil-portal-7.net",
                                                                  valid_from="yesterday")
    status = collection.add_objects({"objects": [good, bad]})
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (2, 1, 1)
    assert status.successes == [{"id": good["id"], "version": good["modified"]}]
    [failure] = status.failures
    assert failure["id"] == bad["id"] and "valid_from" in failure["message"]
    status.refresh()  # status polling through the status endpoint
    assert status.success_count == 1
    stored = StixObject.objects.get(stix_id=good["id"])
    assert (stored.owner, stored.tlp, stored.distribution) == (region.unit_a, "green",
                                                               "members")
    record = TaxiiStatus.objects.get()
    assert record.submission.source == "taxii" and record.submission.rejected == 1
    # Named by its collection; what was pushed is kept as its original.
    assert record.submission.title == record.collection.title
    assert json.loads(record.submission.original.read())["objects"][0]["id"] == good["id"]
    # Another user cannot read the status.
    other = requests.get(f"{url.split('collections')[0]}status/{record.id}/", headers={
        "Accept": TAXII, "Authorization": f"Token {key_for(region.analyst_b)}"}, timeout=10)
    assert other.status_code == 404


def test_objects_added_to_a_collection_get_its_pap_handling_and_grading(live_server, region):
    marked = VakaCollection.objects.create(
        title="Graded pushes", can_write=True, tlp="green", distribution="members",
        pap="green", handling=["no-onward"], grading_source="B", grading_information="2")
    url = f"{live_server.url}/taxii2/api/collections/{marked.id}/"
    pushed = indicator("graded.evil-portal-7.net")
    status = client(url, region.analyst_a).add_objects({"objects": [pushed]})
    assert status.success_count == 1
    stored = StixObject.objects.get(stix_id=pushed["id"])
    assert (stored.owner, stored.tlp, stored.distribution) == (region.unit_a, "green",
                                                               "members")
    assert (stored.pap, stored.handling) == ("green", ["no-onward"])
    assert (stored.grading_source, stored.grading_information) == ("B", "2")


def test_manifest_single_object_and_versions(url, region):
    store(region.analyst_a, indicator("c2.evil-portal-7.net"))
    store(region.analyst_a, indicator("c2.evil-portal-7.net", modified=T1,
                                      description="now resolving"))
    collection = client(url, region.analyst_a)
    object_id = sid("indicator", "c2.evil-portal-7.net")
    [entry] = collection.get_manifest()["objects"]
    assert entry["id"] == object_id and entry["version"].startswith("2026-02-10T08:00:00")
    assert entry["media_type"] == "application/stix+json;version=2.1"
    [current] = collection.get_object(object_id)["objects"]
    assert current["description"] == "now resolving"
    versions = collection.object_versions(object_id)["versions"]
    assert [v[:19] for v in versions] == [T0[:19], T1[:19]]
    every = collection.get_object(object_id, version="all")["objects"]
    assert sorted(obj["modified"] for obj in every) == [T0, T1]
    first = collection.get_objects(version="first")["objects"]
    assert [obj["modified"] for obj in first] == [T0]
    assert all(valid(obj) for obj in every)


def test_match_filters(url, region):
    store(region.analyst_a, indicator("c2.evil-portal-7.net"), {
        "type": "malware", "spec_version": "2.1", "id": sid("malware", "m"), "created": T0,
        "modified": T0, "name": "Lazy Crab", "is_family": True})
    collection = client(url, region.analyst_a)
    assert [o["type"] for o in collection.get_objects(type="malware")["objects"]] == [
        "malware"]
    assert [o["id"] for o in collection.get_objects(id=sid("malware", "m"))["objects"]] == [
        sid("malware", "m")]
    assert len(collection.get_objects(type="indicator,malware")["objects"]) == 2
    assert collection.get_objects(spec_version="2.0") == {"more": False}


def test_saved_filter_defines_the_collection(live_server, region):
    malware_only = VakaCollection.objects.create(title="Malware", filters={"type": "malware"})
    store(region.analyst_a, indicator("c2.evil-portal-7.net"), {
        "type": "malware", "spec_version": "2.1", "id": sid("malware", "m"), "created": T0,
        "modified": T0, "name": "Lazy Crab", "is_family": True})
    url = f"{live_server.url}/taxii2/api/collections/{malware_only.id}/"
    assert [o["type"] for o in client(url, region.analyst_a).get_objects()["objects"]] == [
        "malware"]


def test_collection_restricted_to_communities_is_invisible_to_others(live_server, region):
    restricted = VakaCollection.objects.create(title="Partners")
    restricted.readers.add(region.community)  # unit A and the CERT
    root = ApiRoot(f"{live_server.url}/taxii2/api/", user="analyst_b",
                   password=key_for(region.analyst_b))
    assert [c.title for c in root.collections] == []
    assert requests.get(f"{live_server.url}/taxii2/api/collections/{restricted.id}/objects/",
                        headers={"Accept": TAXII,
                                 "Authorization": f"Token {key_for(region.analyst_b)}"},
                        timeout=10).status_code == 404


def test_an_object_outside_the_audience_is_404_everywhere(url, region):
    store(region.analyst_a, indicator("secret.evil-portal-7.net"), tlp="red")
    object_id = sid("indicator", "secret.evil-portal-7.net")
    headers = {"Accept": TAXII, "Authorization": f"Token {key_for(region.analyst_b)}"}
    for path in (f"objects/{object_id}/", f"objects/{object_id}/versions/"):
        answer = requests.get(url + path, headers=headers, timeout=10)
        assert answer.status_code == 404 and "secret" not in answer.text
    for path in ("objects/", "manifest/"):
        assert requests.get(url + path, headers=headers, timeout=10).json() == {"more": False}


def test_reads_of_red_material_are_audited(url, region):
    store(region.analyst_a, indicator("secret.evil-portal-7.net"), tlp="red")
    client(url, region.analyst_a).get_objects()
    entry = AuditEntry.objects.filter(action="view").latest("seq")
    assert entry.detail["channel"] == "taxii" and entry.detail["restricted"] == 1


def test_delete_where_the_user_may(url, region):
    store(region.analyst_a, indicator("c2.evil-portal-7.net"), tlp="green",
          distribution="members")
    object_id = sid("indicator", "c2.evil-portal-7.net")
    target = f"{url}objects/{object_id}/"
    b = {"Accept": TAXII, "Authorization": f"Token {key_for(region.analyst_b)}"}
    assert requests.delete(target, headers=b, timeout=10).status_code == 403
    a = {"Accept": TAXII, "Authorization": f"Token {key_for(region.analyst_a)}"}
    assert requests.delete(target, headers=a, timeout=10).status_code == 200
    assert not StixObject.objects.filter(stix_id=object_id).exists()
    assert requests.get(target, headers=a, timeout=10).status_code == 404


def test_errors_are_taxii_error_messages(url, region, live_server):
    key = key_for(region.analyst_a)
    auth = {"Authorization": f"Token {key}"}

    def get(path: str, **headers: str) -> requests.Response:
        return requests.get(url + path, headers={"Accept": TAXII, **auth, **headers},
                            timeout=10)

    answer = requests.get(url + "objects/", headers={"Accept": TAXII}, timeout=10)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.headers["Content-Type"] == TAXII and answer.json()["http_status"] == "401"
    assert get("objects/", Accept="application/json").status_code == 406
    wrong = get("objects/", Authorization="Token vaka_not-a-token")
    assert wrong.status_code == 401
    bad = requests.get(url + "objects/?limit=many", headers={"Accept": TAXII, **auth},
                       timeout=10)
    assert bad.status_code == 400 and "limit" in bad.json()["title"]
    assert requests.get(url + "objects/?colour=red", headers={"Accept": TAXII, **auth},
                        timeout=10).json()["title"] == "unknown parameter colour"
    assert requests.get(url + "objects/?next=garbage", headers={"Accept": TAXII, **auth},
                        timeout=10).status_code == 400
    assert requests.get(f"{live_server.url}/taxii2/api/collections/nope/",
                        headers={"Accept": TAXII, **auth}, timeout=10).status_code == 404
    posted = requests.post(url + "objects/", data=json.dumps({"objects": []}),
                           headers={"Accept": TAXII, **auth,
                                    "Content-Type": "application/json"}, timeout=10)
    assert posted.status_code == 415
    garbage = requests.post(url + "objects/", data=b"{not json",
                            headers={"Accept": TAXII, **auth, "Content-Type": TAXII},
                            timeout=10)
    assert garbage.status_code == 400 and garbage.json()["title"] == "Not a JSON envelope"
    assert StixObject.objects.count() == 0


def test_basic_auth_with_password_only_for_roles_without_two_factor(url, region):
    region.analyst_a.set_password("correct horse battery staple")
    region.analyst_a.save()
    ok = Collection(url, user="analyst_a", password="correct horse battery staple")
    assert ok.get_objects() == {"more": False}
    with pytest.raises(requests.HTTPError):
        Collection(url, user="analyst_a", password="wrong").get_objects()
