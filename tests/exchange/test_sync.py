"""Instance-to-instance sync: what crosses, what never does, provenance, catching up.

Most tests run one process as both ends: a ``LoopbackSession`` routes the sync client's
HTTP calls to this process's Django test client, authenticated as a peer ("Twin") whose
outgoing and incoming tokens are the same, so this instance pulls from and pushes to
itself. What it receives is owned by stand-ins of its own organisations (origin: Twin),
which is exactly what a second instance would hold. ``test_two_instances_on_loopback``
runs a real second instance in a subprocess.
"""

import base64
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory, confirmed_totp, totp_code
from tests.ports import free_port
from vaka.directory.models import Community, Country, Organisation, User
from vaka.directory.services import create_token
from vaka.exchange import sync
from vaka.exchange.models import Collection, Peer, SyncRun
from vaka.intel import corrections, originals
from vaka.intel.ingest import stix_items, store
from vaka.intel.models import Observable, StixObject, StixObjectVersion, Submission, Withdrawal
from vaka.intel.services import lookup
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings, audience_for

# --- what each instance holds (also run inside the second instance: see _script) --------


def indicator(name, domain, modified="2025-03-01T00:00:00.000Z", revoked=False):
    stix_id = f"indicator--{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"
    obj = {"type": "indicator", "spec_version": "2.1", "id": stix_id,
           "created": "2025-03-01T00:00:00.000Z", "modified": modified, "name": name,
           "pattern": f"[domain-name:value = '{domain}']", "pattern_type": "stix",
           "valid_from": "2025-03-01T00:00:00Z"}
    if revoked:
        obj["revoked"] = True
    return obj


def specs(colleague):
    """Label → markings of the records each instance makes: one per way of sharing."""
    return {
        "org": {"distribution": "organisation", "tlp": "amber"},
        "inner": {"distribution": "communities", "tlp": "green",
                  "communities": ["Inner circle"]},
        "shared": {"distribution": "communities", "tlp": "amber",
                   "communities": ["Pacific Shared"]},
        "members": {"distribution": "members", "tlp": "green"},
        "federation": {"distribution": "federation", "tlp": "green", "pap": "green",
                       "handling": ["no-onward", "no-evidence"], "handling_note": "Ask first",
                       "grading_source": "B", "grading_information": "2"},
        "federation-amber": {"distribution": "federation", "tlp": "amber",
                             "grading_scheme": "europol4x4", "grading_source": "A",
                             "grading_information": "1", "grading_handling": "H2"},
        "strict": {"distribution": "federation", "tlp": "amber+strict"},
        "red": {"distribution": "federation", "tlp": "red", "recipients": [colleague]},
        "public": {"distribution": "public", "tlp": "clear", "pap": "clear"},
    }


def make_record(prefix, label, markings, modified="2025-03-01T00:00:00.000Z", revoked=False):
    org = Organisation.objects.get(name=f"{prefix} Police", origin=None)
    user = User.objects.get(username=f"{prefix.lower()}_analyst")
    markings = dict(markings)
    markings["communities"] = [Community.objects.get(name=name)
                               for name in markings.get("communities", [])]
    obj = indicator(f"{prefix}-{label}", f"{label}.{prefix.lower()}.example", modified,
                    revoked)
    submission = store(stix_items(enumerate([obj])), organisation=org, user=user,
                       markings=Markings(**markings), source="api", fmt="stix")
    assert submission.status == "stored", submission.errors
    return obj["id"]


def make_world(prefix):
    """An instance's organisations, people, communities and one record per way of sharing."""
    fiji, _created = Country.objects.get_or_create(
        code="FJ", defaults={"alpha3": "FJI", "name": "Fiji"})
    org = Organisation.objects.create(name=f"{prefix} Police", short_name=f"{prefix}P",
                                      kind="police_unit", country=fiji)
    other = Organisation.objects.create(name=f"{prefix} CERT", kind="cert")
    User.objects.create(username=f"{prefix.lower()}_analyst", organisation=org,
                        role="analyst")
    colleague = User.objects.create(username=f"{prefix.lower()}_colleague",
                                    organisation=other, role="analyst")
    for name in ("Pacific Shared", "Inner circle"):
        Community.objects.get_or_create(name=name)[0].members.add(org, other)
    for label, markings in specs(colleague).items():
        make_record(prefix, label, markings)


def describe(obj):
    """What must survive the crossing: the record, its owner and its markings."""
    owner = obj.owner
    return {"name": obj.name, "stix_id": obj.stix_id, "owner": owner.name,
            "short_name": owner.short_name, "kind": owner.kind, "country": owner.country_id,
            "distribution": obj.distribution, "tlp": obj.tlp, "pap": obj.pap,
            "handling": obj.handling, "handling_note": obj.handling_note,
            "grading": [obj.grading_scheme, obj.grading_source, obj.grading_information,
                        obj.grading_handling],
            "communities": sorted(c.name for c in obj.communities),
            "revoked": obj.revoked, "versions": obj.versions.count(),
            "pattern": obj.data.get("pattern")}


def holdings(received):
    """Records received from a peer (``received``) or this instance's own, described."""
    objects = StixObject.objects.filter(owner__origin__isnull=not received)
    return sorted((describe(obj) for obj in objects.select_related("owner")),
                  key=lambda d: d["name"])


CROSSING = {"shared", "federation", "federation-amber", "public"}
NEVER = {"org", "inner", "members", "strict", "red"}


# --- one process as both ends -------------------------------------------------------------


class Answer:
    def __init__(self, response):
        self.status_code = response.status_code
        self.content = response.content
        self.text = response.content.decode()

    def json(self):
        return json.loads(self.text)


class LoopbackSession:
    """Stands in for ``requests.Session``: routes to this process's views. After
    ``fail_after`` calls the link goes down."""

    def __init__(self, fail_after=None):
        self.client, self.fail_after, self.calls = Client(), fail_after, []

    def request(self, method, url, *, params=None, json=None, headers=None, timeout=None):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise requests.ConnectionError("link down")
        self.calls.append((method, dict(params or {})))
        path, auth = urlsplit(url).path, headers["Authorization"]
        if method == "GET":
            return Answer(self.client.get(path, params, HTTP_AUTHORIZATION=auth))
        return Answer(self.client.post(path, data=json_dumps(json),
                                       content_type="application/json",
                                       HTTP_AUTHORIZATION=auth))


json_dumps = json.dumps


@pytest.fixture
def world(db):
    make_world("A")
    return Organisation.objects.get(name="A Police")


@pytest.fixture
def twin(world, monkeypatch):
    """This instance connected to itself; "Pacific Shared" spans both ends."""
    peer, token = sync.create_peer(actor=None, name="Twin", url="https://twin.example",
                                   communities=[Community.objects.get(name="Pacific Shared")])
    peer.outgoing_token = token
    peer.save()
    session = LoopbackSession()
    monkeypatch.setattr(sync, "_session", lambda: session)
    peer.session = session
    peer.token = token
    return peer


def get(token, **params):
    return Client().get("/sync/v1/objects/", params, HTTP_AUTHORIZATION=f"Peer {token}")


def offered_names(token):
    return {entry["stix"]["name"] for entry in get(token, limit=1000).json()["objects"]}


def received(peer):
    return StixObject.objects.filter(owner__origin=peer).select_related("owner")


def test_every_distribution_and_tlp_is_offered_only_as_the_rule_allows(world):
    shared, inner = (Community.objects.get(name=n) for n in ("Pacific Shared", "Inner circle"))
    _hub, token = sync.create_peer(actor=None, name="Hub", url="https://hub.example",
                                   communities=[shared])
    StixObject.objects.all().delete()
    expected = set()
    for distribution in ("organisation", "communities", "members", "federation", "public"):
        for tlp in ("clear", "green", "amber", "amber+strict", "red"):
            for community in (shared, inner):  # even where the distribution ignores it
                name = f"{distribution}/{tlp}/{community.name}"
                StixObject.objects.create(
                    owner=world, distribution=distribution, tlp=tlp, type="indicator",
                    audience=audience_for(Markings(communities=[community])), name=name,
                    stix_id=f"indicator--{uuid.uuid5(uuid.NAMESPACE_DNS, name)}",
                    version_key="v", data={"type": "indicator", "name": name})
                if tlp in ("clear", "green", "amber") and (
                        distribution in ("federation", "public")
                        or (distribution == "communities" and community == shared)):
                    expected.add(name)
    assert len(expected) == 3 * (2 + 2 + 1)
    assert offered_names(token) == expected


def test_received_records_keep_owner_and_markings(twin):
    run = sync.sync(twin)
    assert run.status == "ok", run.message
    assert run.pulled == len(CROSSING)
    got = {d["name"]: d for d in [describe(o) for o in received(twin)]}
    originals = {d["name"]: d for d in holdings(received=False)}
    assert set(got) == {f"A-{label}" for label in CROSSING}
    for name, copy in got.items():
        assert copy == originals[name]
    stand_in = Organisation.objects.get(origin=twin)
    assert (stand_in.name, stand_in.short_name, stand_in.country_id) == ("A Police", "AP", "FJ")
    assert not stand_in.is_active and not stand_in.users.exists()
    submission = Submission.objects.filter(organisation=stand_in).first()
    assert (submission.source, submission.title) == ("peer", "Twin")


def test_a_peer_submission_keeps_the_entries_it_stored_as_sent(twin, settings, tmp_path):
    """Like an upload's file, what a peer sent is kept as the submission's original: the
    entries that submission stored (record, owner, markings), as JSON."""
    settings.MEDIA_ROOT = str(tmp_path)
    sync.sync(twin)
    stand_in = Organisation.objects.get(origin=twin)
    kept = []
    for submission in Submission.objects.filter(organisation=stand_in, source="peer"):
        assert submission.original_type == "application/json"
        assert originals.download_name(submission) == f"submission-{submission.pk}.json"
        with submission.original.open("rb") as handle:
            sent = json.loads(handle.read())
        assert sent["peer"] == "Twin"
        assert {e["owner"]["name"] for e in sent["entries"]} == {"A Police"}
        assert len(sent["entries"]) == submission.new + submission.updated
        kept += [e["stix"]["name"] for e in sent["entries"]]
    assert sorted(kept) == sorted(o.name for o in received(twin))


def test_records_received_from_a_peer_are_never_offered_to_another(twin):
    sync.sync(twin)
    assert received(twin).filter(distribution="public").exists()
    third, token = sync.create_peer(actor=None, name="Third", url="https://third.example",
                                    communities=list(Community.objects.all()))
    offered = get(token, limit=1000).json()["objects"]
    assert {e["owner"]["name"] for e in offered} == {"A Police"}
    assert len(offered) == len(CROSSING) + 1  # + the "Inner circle" record, agreed with it
    assert not sync.offered_to(third).filter(owner__origin__isnull=False).exists()


def test_only_the_agreed_communities_cross_and_only_their_names(twin):
    sync.sync(twin)
    [copy] = received(twin).filter(distribution="communities")
    assert copy.name == "A-shared"
    assert [c.name for c in copy.communities] == ["Pacific Shared"]
    shared = next(e for e in get(twin.token).json()["objects"]
                  if e["stix"]["name"] == "A-shared")
    assert shared["markings"]["communities"] == ["Pacific Shared"]


def entry(name="X-1", distribution="federation", tlp="green", communities=(), owner=None):
    return {"stix": indicator(name, "x.example"),
            "owner": owner or {"name": "Remote unit", "short_name": "RU", "kind": "cert",
                               "country": None},
            "markings": {"distribution": distribution, "tlp": tlp, "pap": "amber",
                         "handling": [], "handling_note": "", "grading_scheme": "admiralty",
                         "grading_source": "", "grading_information": "",
                         "grading_handling": "", "communities": list(communities)}}


def test_what_must_not_cross_is_refused_on_arrival_with_reasons(twin):
    entries = [entry("ok"), entry("o", "organisation"), entry("m", "members"),
               entry("r", tlp="red"), entry("s", tlp="amber+strict"),
               entry("c", "communities", communities=["Inner circle"]),
               entry("p", "public", tlp="green"), {"stix": "nope"},
               entry("c2", "communities", communities=["Pacific Shared", "Unknown"])]
    answer = Client().post("/sync/v1/objects/", {"objects": entries},
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Peer {twin.token}").json()
    assert (answer["new"], answer["rejected"]) == (2, 7)
    assert [e["index"] for e in answer["errors"]] == [1, 2, 3, 4, 5, 6, 7]
    reasons = " ".join(e["reason"] for e in answer["errors"])
    assert "'organisation' does not cross" in reasons and "Inner circle" in reasons
    assert "Public distribution requires TLP:CLEAR" in reasons
    narrowed = received(twin).get(name="c2")
    assert [c.name for c in narrowed.communities] == ["Pacific Shared"]  # never widened


def test_a_peer_cannot_write_into_a_local_organisation(twin):
    spoof = entry("spoof", owner={"name": "A Police", "kind": "police_unit"})
    Client().post("/sync/v1/objects/", {"objects": [spoof]}, content_type="application/json",
                  HTTP_AUTHORIZATION=f"Peer {twin.token}")
    spoof = StixObject.objects.get(name="spoof")
    assert spoof.owner.origin == twin and spoof.owner != Organisation.objects.get(
        name="A Police", origin=None)


@pytest.mark.parametrize("header", ["", "Peer", "Peer wrong-token", "Token abc", "Bearer x"])
def test_a_bad_token_is_refused_and_logged(twin, header):
    before = AuditEntry.objects.filter(action="sync_refused").count()
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    for response in (Client().get("/sync/v1/objects/", **headers),
                     Client().post("/sync/v1/objects/", {"objects": [entry()]},
                                   content_type="application/json", **headers)):
        assert response.status_code == 401
        assert "error" in response.json()
    refusals = AuditEntry.objects.filter(action="sync_refused").order_by("-seq")
    assert refusals.count() == before + 2
    assert refusals[0].ip == "127.0.0.1"
    assert not received(twin).exists()


def test_a_disabled_peer_is_refused(twin):
    Peer.objects.filter(pk=twin.pk).update(enabled=False)
    assert get(twin.token).status_code == 401
    entry_ = AuditEntry.objects.filter(action="sync_refused").first()
    assert entry_.detail["reason"] == "peer disabled" and entry_.target_id == str(twin.pk)


def test_directions_can_be_closed(twin):
    Peer.objects.filter(pk=twin.pk).update(push=False)
    assert get(twin.token).status_code == 403
    Peer.objects.filter(pk=twin.pk).update(push=True, pull=False)
    assert Client().post("/sync/v1/objects/", {"objects": []}, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Peer {twin.token}").status_code == 403


def test_a_bad_cursor_or_body_is_a_400(twin):
    assert get(twin.token, after="garbage").status_code == 400
    assert get(twin.token, limit="many").status_code == 400
    assert Client().post("/sync/v1/objects/", "{not json", content_type="application/json",
                         HTTP_AUTHORIZATION=f"Peer {twin.token}").status_code == 400


def _counts():
    return (StixObject.objects.count(), StixObjectVersion.objects.count(),
            Submission.objects.count())


def test_syncing_again_adds_nothing(twin):
    first = sync.sync(twin)
    before = _counts()
    second = sync.sync(twin)
    assert (first.pulled, second.pulled, second.pushed) == (len(CROSSING), 0, 0)
    assert second.status == "ok" and _counts() == before
    assert "already held" in second.message


def test_an_interrupted_pull_resumes_where_it_stopped(twin, monkeypatch):
    monkeypatch.setattr(sync, "PULL_LIMIT", 1)
    monkeypatch.setattr(sync, "SETTLE", timedelta(0))
    twin.session.fail_after = 2  # two pages arrive, then the link goes down
    failed = sync.sync(twin)
    assert failed.status == "failed"
    assert failed.message.splitlines()[0] == "Could not connect to twin.example."
    assert received(twin).count() == 2
    twin.refresh_from_db()
    assert twin.failures == 1 and twin.last_error == "Could not connect to twin.example."
    assert twin.state["pull"]
    resumed_from = twin.state["pull"]
    twin.session.fail_after, twin.session.calls = None, []
    done = sync.sync(twin)
    assert done.status == "ok" and done.pulled == len(CROSSING) - 2
    assert twin.session.calls[0] == ("GET", {"limit": 1, "after": resumed_from})
    assert received(twin).count() == len(CROSSING)
    ids = list(received(twin).values_list("stix_id", flat=True))
    assert len(ids) == len(set(ids))
    twin.refresh_from_db()
    assert twin.failures == 0 and twin.last_error == ""


def test_a_sync_out_of_time_stops_after_a_page_and_is_due_again(twin, monkeypatch):
    monkeypatch.setattr(sync, "PULL_LIMIT", 1)
    monkeypatch.setattr(sync, "SETTLE", timedelta(0))
    run = sync.sync(twin, budget=1e-9)
    twin.refresh_from_db()
    assert (run.status, run.pulled) == ("ok", 1) and "stopped for time" in run.message
    assert twin.next_sync_at <= timezone.now() and "push" not in twin.state
    assert sync.sync(twin).pulled == len(CROSSING) - 1


def test_failures_back_off_up_to_a_day(twin):
    twin.outgoing_token = ""
    for failures, delay in ((1, 30), (2, 60), (3, 120), (10, 24 * 60)):
        run = sync.sync(twin)
        twin.refresh_from_db()
        assert run.status == "failed" and twin.failures == failures
        expected = run.finished + timedelta(minutes=delay)
        assert abs((twin.next_sync_at - expected).total_seconds()) < 2
        twin.outgoing_token = ""
        if failures == 3:
            Peer.objects.filter(pk=twin.pk).update(failures=9)
            twin.failures = 9


@pytest.mark.usefixtures("loopback_allowed")
def test_a_peer_answering_deeply_nested_json_is_a_failed_run_that_says_so(
        world, deep_json_server):
    server = deep_json_server("application/json")
    peer, _token = sync.create_peer(actor=None, name="Hostile", url=server.url,
                                    outgoing_token="their-token")
    run = sync.sync(peer)
    peer.refresh_from_db()
    assert run.status == "failed" and peer.failures == 1
    assert run.message.splitlines()[0] == (
        f"GET {peer.url.rstrip('/')}/sync/v1/objects/: the answer is JSON nested more than "
        "100 levels deep")
    assert peer.last_error == run.message.splitlines()[0]


def test_a_revocation_and_a_new_version_cross(twin):
    sync.sync(twin)
    make_record("A", "federation", specs(None)["federation"],
                modified="2025-04-01T00:00:00.000Z", revoked=True)
    run = sync.sync(twin)
    assert run.pulled == 1
    copy = received(twin).get(name="A-federation")
    assert copy.revoked and copy.data["modified"] == "2025-04-01T00:00:00.000Z"
    assert copy.versions.count() == 2


def test_push_sends_what_changed(twin):
    # A push-only peer whose token makes the receiving end (this process) take it for Twin.
    pusher, _token = sync.create_peer(
        actor=None, name="Pusher", url="https://twin.example", outgoing_token=twin.token,
        pull=False, communities=[Community.objects.get(name="Pacific Shared")])
    run = sync.sync(pusher)
    assert (run.status, run.pushed, run.pulled) == ("ok", len(CROSSING), 0)
    assert [c[0] for c in twin.session.calls] == ["POST"]
    assert received(twin).count() == len(CROSSING)
    assert sync.sync(pusher).pushed == 0


def test_sync_due_takes_each_due_peer_on_its_own(twin):
    sync.create_peer(actor=None, name="Broken", url="https://broken.example")
    later, _token = sync.create_peer(actor=None, name="Later", url="https://later.example")
    Peer.objects.filter(pk=later.pk).update(next_sync_at=timezone.now() + timedelta(hours=1))
    runs = {run.peer.name: run.status for run in sync.sync_due()}
    assert runs == {"Broken": "failed", "Twin": "ok"}
    assert sync.sync_due() == []  # both are scheduled again


def test_the_command_connects_and_syncs(twin, capsys):
    call_command("sync", "--add-peer", "Hub", "https://hub.example", "--token", "t0k",
                 "--community", "Pacific Shared")
    token = capsys.readouterr().out.strip()
    hub = Peer.objects.get(name="Hub")
    assert token.startswith("vakapeer_") and sync.authenticate(f"Peer {token}")[0] == hub
    assert hub.outgoing_token == "t0k" and [c.name for c in hub.communities.all()] == [
        "Pacific Shared"]
    call_command("sync", "Twin")
    line = json.loads(capsys.readouterr().out)
    assert (line["peer"], line["status"], line["pulled"]) == ("Twin", "ok", len(CROSSING))


# --- corrections cross -------------------------------------------------------------------


def own(name):
    return StixObject.objects.get(name=name, owner__origin=None)


def analyst():
    return User.objects.get(username="a_analyst")


def copy_of(peer, original):
    return received(peer).filter(stix_id=original.stix_id).first()


def marks_of(obj):
    """The markings of a record and of each of its versions (one item when all agree)."""
    return {(v.distribution, v.tlp, v.pap, tuple(v.handling), v.audience_id)
            for v in [obj, *obj.versions.all()]}


def make_indicator(name, domain, **markings):
    """A record of A Police whose value is indexed and can be looked up."""
    obj = indicator(name, domain)
    store(stix_items(enumerate([obj])), organisation=Organisation.objects.get(
        name="A Police", origin=None), user=analyst(), markings=Markings(**markings),
        source="api", fmt="stix")
    return own(name)


def test_a_record_narrowed_to_its_organisation_leaves_the_peer(twin):
    original = make_indicator("A-c2", "c2.evil-portal-7.net", distribution="federation",
                              tlp="green")
    sync.sync(twin)
    copy = copy_of(twin, original)
    assert copy.observables.exists()
    corrections.remark(original, user=analyst(),
                       markings=Markings(distribution="organisation", tlp="green"))
    run = sync.sync(twin)
    assert copy_of(twin, original) is None
    assert not StixObjectVersion.objects.filter(object_id=copy.pk).exists()
    assert not Observable.objects.filter(object_id=copy.pk).exists()
    if connection.vendor == "sqlite":  # PostgreSQL indexes the row itself, gone with it
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM intel_object_search WHERE rowid = %s",
                           [copy.pk])
            assert cursor.fetchone()[0] == 0
    assert "1 withdrawn by their owners" in run.message
    deleted = AuditEntry.objects.get(action="delete", target_id=str(copy.pk))
    assert deleted.detail == {"withdrawn_by": "peer", "peer": twin.pk}
    assert own("A-c2").versions.count() == 2  # the owner's record itself stays


def test_a_record_narrowed_to_amber_is_amber_at_the_peer_in_every_version(twin):
    sync.sync(twin)
    original = own("A-federation")
    corrections.remark(original, user=analyst(),
                       markings=Markings(distribution="federation", tlp="amber"))
    assert sync.offered_to(twin).filter(pk=original.pk).exists()  # so no tombstone
    run = sync.sync(twin)
    copy = copy_of(twin, original)
    assert copy.versions.count() == 2
    [(distribution, tlp, *_rest)] = marks_of(copy)
    assert (distribution, tlp) == ("federation", "amber")
    assert describe(copy) == describe(own("A-federation"))
    assert "withdrawn" not in run.message and "1 re-marked by their owners" in run.message
    remarked = AuditEntry.objects.get(action="remark", target_id=str(copy.pk))
    assert remarked.actor_name == "peer:Twin" and remarked.detail["remarked_by"] == "peer"
    assert (remarked.detail["before"]["tlp"], remarked.detail["after"]["tlp"]) == (
        "green", "amber")


def test_a_record_widened_by_its_owner_is_widened_at_the_peer(twin):
    sync.sync(twin)
    original = own("A-shared")
    assert copy_of(twin, original).distribution == "communities"
    corrections.remark(original, user=analyst(), widen=True,
                       markings=Markings(distribution="federation", tlp="green"))
    sync.sync(twin)
    copy = copy_of(twin, original)
    assert marks_of(copy) == {("federation", "green", "amber", (), None)}
    assert describe(copy) == describe(own("A-shared"))
    assert AuditEntry.objects.filter(action="remark", target_id=str(copy.pk)).count() == 1


def test_a_new_organisation_here_is_no_remark_of_the_copies_it_may_now_see(twin):
    sync.sync(twin)
    Organisation.objects.create(name="New unit", kind="cert")  # AMBER resolves anew
    again = sync.sync(twin)  # every record is read again: all were written just now
    assert "already held" in again.message
    assert not AuditEntry.objects.filter(action="remark").exists()


def test_a_revoked_record_is_revoked_at_the_peer_and_off_its_lookups(twin):
    domain = "c2.evil-portal-7.net"
    original = make_indicator("A-c2", domain, distribution="federation", tlp="green")
    sync.sync(twin)
    [before] = lookup([domain], user=analyst())
    assert copy_of(twin, original) in before.matches
    corrections.revoke(original, user=analyst())
    sync.sync(twin)
    assert copy_of(twin, original).revoked
    [after] = lookup([domain], user=analyst())
    assert (after.matches, after.hits) == ([], 0)


def test_a_record_deleted_over_taxii_is_withdrawn_at_the_peer(twin):
    sync.sync(twin)
    original = own("A-public")
    collection = Collection.objects.create(title="All", alias="all", can_write=True,
                                           tlp="green", distribution="members")
    key = create_token(analyst(), name="taxii")[1]
    response = Client().delete(
        f"/taxii2/api/collections/{collection.id}/objects/{original.stix_id}/",
        HTTP_ACCEPT="application/taxii+json;version=2.1", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert Withdrawal.objects.get(stix_id=original.stix_id).reason == "deleted"
    sync.sync(twin)
    assert copy_of(twin, original) is None
    assert received(twin).count() == len(CROSSING) - 1


def test_deleting_a_record_that_never_crossed_leaves_no_withdrawal(world):
    corrections.delete(own("A-members"), user=analyst())
    assert not Withdrawal.objects.exists()
    assert not StixObject.objects.filter(name="A-members").exists()


def test_a_withdrawal_is_told_only_to_peers_the_record_reached(twin):
    """A record shared with a community that spans another peer only: narrowing it must
    not tell this peer that it existed."""
    other, _token = sync.create_peer(actor=None, name="Other", url="https://other.example",
                                     communities=[Community.objects.get(name="Inner circle")])
    inner = own("A-inner")
    corrections.remark(inner, user=analyst(),
                       markings=Markings(distribution="organisation", tlp="green"))
    shared = own("A-shared")
    corrections.remark(shared, user=analyst(),
                       markings=Markings(distribution="organisation", tlp="amber"))
    told = {e.get("withdrawn") for e in get(twin.token, limit=1000).json()["objects"]}
    assert shared.stix_id in told and inner.stix_id not in told
    told_other = {e.get("withdrawn") for e in sync.page_for(other, None, 1000).entries}
    assert inner.stix_id in told_other and shared.stix_id not in told_other


def test_a_record_whose_earlier_version_crossed_is_withdrawn_when_deleted(twin):
    sync.sync(twin)
    original = own("A-federation")
    newer = {**original.data, "modified": "2025-04-01T00:00:00.000Z"}
    store(stix_items(enumerate([newer])), organisation=original.owner, user=analyst(),
          markings=Markings(distribution="organisation", tlp="green"), source="api",
          fmt="stix")
    assert own("A-federation").distribution == "organisation"  # narrower: stored as sent
    corrections.delete(own("A-federation"), user=analyst())
    told = {e.get("withdrawn") for e in get(twin.token, limit=1000).json()["objects"]}
    assert original.stix_id in told


def test_a_cursor_from_before_withdrawals_still_works(twin):
    sync.sync(twin)
    original = own("A-federation")
    corrections.remark(original, user=analyst(),
                       markings=Markings(distribution="organisation", tlp="green"))
    newest = StixObject.objects.order_by("modified", "pk").last()
    text = f"{newest.modified.isoformat()}|{newest.pk}"  # as tokens were written before
    old = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    page = get(twin.token, after=old).json()
    assert page["objects"] == [{"withdrawn": original.stix_id, "owner": {"name": "A Police"},
                                "at": page["objects"][0]["at"]}]
    again = get(twin.token, after=page["next"]).json()
    assert again["objects"] == [] and not again["more"]


def test_withdrawals_page_and_resume_with_the_records(twin, monkeypatch):
    monkeypatch.setattr(sync, "PULL_LIMIT", 1)
    monkeypatch.setattr(sync, "SETTLE", timedelta(0))
    sync.sync(twin)
    for name in ("A-federation", "A-federation-amber", "A-public"):
        corrections.remark(own(name), user=analyst(),
                           markings=Markings(distribution="members", tlp="amber"))
    twin.session.calls = []
    run = sync.sync(twin)
    assert len([c for c in twin.session.calls if c[0] == "GET"]) == 3
    assert "3 withdrawn by their owners" in run.message
    assert list(received(twin).values_list("name", flat=True)) == ["A-shared"]
    twin.refresh_from_db()
    assert get(twin.token, after=twin.state["pull"]).json()["objects"] == []


def test_a_withdrawal_reaches_only_the_peers_copies(twin):
    sync.sync(twin)
    original = own("A-federation")
    tombstone = {"withdrawn": original.stix_id, "owner": {"name": "A Police"}}
    unknown = {"withdrawn": "indicator--00000000-0000-4000-8000-000000000000",
               "owner": {"name": "A Police"}}
    answer = Client().post("/sync/v1/objects/", {"objects": [tombstone, unknown, {
        "withdrawn": 7, "owner": {"name": "A Police"}}]}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Peer {twin.token}").json()
    assert (answer["withdrawn"], answer["rejected"]) == (1, 1)
    assert answer["errors"][0]["index"] == 2
    assert copy_of(twin, original) is None
    assert own("A-federation").versions.exists()  # this instance's own record stays


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(world):
    admin = UserFactory(role="platform_admin", organisation=world)
    client = Client()
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    return client


def test_only_platform_admins_see_the_pages(world, twin):
    client = Client()
    client.force_login(User.objects.get(username="a_analyst"))
    for url in ("/exchange/peers/", "/exchange/peers/new/", f"/exchange/peers/{twin.pk}/",
                f"/exchange/peers/{twin.pk}/edit/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/exchange/peers/{twin.pk}/sync/").status_code == 403


def test_admin_connects_an_instance_and_sees_the_token_once(admin_client):
    shared = Community.objects.get(name="Pacific Shared")
    response = admin_client.post("/exchange/peers/new/", {
        "name": "Hub", "url": "https://hub.example/", "outgoing_token": "secret-from-hub",
        "push": "on", "pull": "on", "communities": [shared.pk], "interval_minutes": 30,
        "enabled": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    token = page.split('id="new-token">')[1].split("<")[0]
    hub = Peer.objects.get(name="Hub")
    assert sync.authenticate(f"Peer {token}") == (hub, "")
    assert hub.url == "https://hub.example" and hub.outgoing_token == "secret-from-hub"
    assert "secret-from-hub" not in page
    detail = admin_client.get(f"/exchange/peers/{hub.pk}/").content.decode()
    assert token not in detail and "Pacific Shared" in detail
    assert "Hub" in admin_client.get("/exchange/peers/").content.decode()
    assert "secret-from-hub" not in admin_client.get(
        f"/exchange/peers/{hub.pk}/edit/").content.decode()


def test_editing_keeps_the_token_unless_a_new_one_is_entered(admin_client, twin):
    form = {"name": "Twin", "url": "https://twin.example", "push": "on",
            "interval_minutes": 5, "enabled": "on"}
    response = admin_client.post(f"/exchange/peers/{twin.pk}/edit/", form)
    assert response.status_code == 302
    twin.refresh_from_db()
    assert (twin.outgoing_token, twin.pull, twin.interval_minutes) == (twin.token, False, 5)
    assert not twin.communities.exists()
    response = admin_client.post(f"/exchange/peers/{twin.pk}/edit/", {
        **form, "new_incoming_token": "on", "start_over": "on"})
    token = response.content.decode().split('id="new-token">')[1].split("<")[0]
    assert sync.authenticate(f"Peer {twin.token}")[0] is None
    assert sync.authenticate(f"Peer {token}")[0] == twin
    plain_http = admin_client.post(f"/exchange/peers/{twin.pk}/edit/",
                                   {**form, "url": "http://twin.example"})
    assert plain_http.status_code == 200 and "https://" in plain_http.content.decode()


def test_sync_now_runs_and_is_listed(admin_client, twin):
    response = admin_client.post(f"/exchange/peers/{twin.pk}/sync/", follow=True)
    page = response.content.decode()
    assert SyncRun.objects.get(peer=twin).status == "ok"
    assert f"{len(CROSSING)} received" in page


# --- two instances on loopback ----------------------------------------------------------

VAKA = Path(sys.executable).with_name("vaka")
_HELPERS = (indicator, specs, make_record, make_world, describe, holdings)
_IMPORTS = """\
import json, uuid
from vaka.directory.models import Community, Country, Organisation, User
from vaka.exchange import sync
from vaka.exchange.models import Peer
from vaka.intel.ingest import stix_items, store
from vaka.intel.models import StixObject
from vaka.policy.services import Markings
"""


def _script(code: str) -> str:
    """``code`` with the helpers above, to run in the other instance's ``vaka shell``."""
    helpers = "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in _HELPERS)
    return f"{_IMPORTS}\n{helpers}\n{textwrap.dedent(code)}"


class OtherInstance:
    """A second Vaka: its own data directory and SQLite database, served by runserver."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
        self.env.update(VAKA_DATA_DIR=str(data), VAKA_INGEST_WORKER="0",
                        VAKA_OUTBOUND_ALLOW="127.0.0.0/8,localhost",
                        DJANGO_SETTINGS_MODULE="vaka.settings")
        self.server: subprocess.Popen | None = None

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VAKA), *args], env=self.env, capture_output=True,
                              text=True, timeout=60)

    def shell(self, code: str) -> str:
        done = self.run("shell", "-c", _script(code))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.server = subprocess.Popen(
            [str(VAKA), "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{self.port}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.server.poll() is None, "the other instance did not start"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the other instance did not answer within 30 s")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        self.server = None


@pytest.fixture
def other_instance(tmp_path, new_instance):
    """Instance B, migrated: a copy of the suite's new instance (migrating takes a while)."""
    data = tmp_path / "instance-b"
    shutil.copytree(new_instance, data, ignore=shutil.ignore_patterns("files"))
    instance = OtherInstance(data)
    yield instance
    instance.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback_allowed")
def test_two_instances_on_loopback(live_server, other_instance):
    b = other_instance
    make_world("A")
    peer_b, token_for_b = sync.create_peer(
        actor=None, name="B", url=b.url,
        communities=[Community.objects.get(name="Pacific Shared")])
    setup = b.shell(f"""
        make_world("B")
        _peer, token = sync.create_peer(
            actor=None, name="A", url={live_server.url!r}, outgoing_token={token_for_b!r},
            communities=[Community.objects.get(name="Pacific Shared")])
        print(json.dumps({{"token": token}}))
    """)
    peer_b.outgoing_token = json.loads(setup)["token"]
    peer_b.save()
    b.start()

    run = sync.sync(peer_b)  # A pulls from B and pushes to B
    assert (run.status, run.pulled, run.pushed, run.rejected) == (
        "ok", len(CROSSING), len(CROSSING), 0), run.message
    on_b = b.run("sync", "A")  # B pulls from and pushes to A: all held already
    assert on_b.returncode == 0, on_b.stdout + on_b.stderr
    line = json.loads(on_b.stdout)
    assert (line["status"], line["pulled"], line["pushed"]) == ("ok", 0, 0)

    b_own = {d["name"]: d for d in json.loads(b.shell(
        "print(json.dumps(holdings(received=False)))"))}
    a_received = {d["name"]: d for d in holdings(received=True)}
    assert set(a_received) == {f"B-{label}" for label in CROSSING}
    for name, copy in a_received.items():
        assert copy == b_own[name]  # original owner, markings and STIX, exactly
    assert all(Organisation.objects.get(name=c["owner"], origin=peer_b) for c in
               a_received.values())
    a_own = {d["name"]: d for d in holdings(received=False)}
    b_received = {d["name"]: d for d in json.loads(b.shell(
        "print(json.dumps(holdings(received=True)))"))}
    assert set(b_received) == {f"A-{label}" for label in CROSSING}
    for name, copy in b_received.items():
        assert copy == a_own[name]
    for label in NEVER:
        assert not StixObject.objects.filter(name=f"B-{label}").exists()
        assert f"A-{label}" not in b_received

    # The link goes down; both sides make a record meanwhile.
    b.shell("""
        make_record("B", "late", {"distribution": "federation", "tlp": "green"})
        print("ok")
    """)
    b.stop()
    make_record("A", "late", {"distribution": "federation", "tlp": "clear"})
    failed = sync.sync(peer_b)
    peer_b.refresh_from_db()
    assert failed.status == "failed" and peer_b.failures == 1
    assert peer_b.next_sync_at >= failed.finished + timedelta(minutes=2 * 15 - 1)
    assert SyncRun.objects.filter(peer=peer_b, status="failed").count() == 1

    b.start()
    caught_up = sync.sync(peer_b)
    assert (caught_up.status, caught_up.pulled, caught_up.pushed) == ("ok", 1, 1)
    ids = list(received(peer_b).values_list("stix_id", flat=True))
    assert len(ids) == len(CROSSING) + 1 == len(set(ids))
    b_received = json.loads(b.shell("print(json.dumps(holdings(received=True)))"))
    assert sorted(d["name"] for d in b_received) == sorted(
        [f"A-{label}" for label in CROSSING] + ["A-late"])
    assert all(d["versions"] == 1 for d in b_received)

    # Each side corrects its own records; the next sync carries the corrections across.
    b.shell("""
        from vaka.intel import corrections
        user = User.objects.get(username="b_analyst")
        mine = StixObject.objects.filter(owner__origin__isnull=True)
        corrections.remark(mine.get(name="B-federation"), user=user,
                           markings=Markings(distribution="organisation", tlp="green"))
        corrections.remark(mine.get(name="B-public"), user=user,
                           markings=Markings(distribution="federation", tlp="amber"))
        print("ok")
    """)
    corrections.remark(own("A-federation-amber"), user=analyst(),
                       markings=Markings(distribution="members", tlp="amber"))
    corrected = sync.sync(peer_b)
    assert corrected.status == "ok", corrected.message
    assert not received(peer_b).filter(name="B-federation").exists()
    public = received(peer_b).get(name="B-public")
    assert public.versions.count() == 2
    assert {(v.distribution, v.tlp) for v in [public, *public.versions.all()]} == {
        ("federation", "amber")}
    b_received = json.loads(b.shell("print(json.dumps(holdings(received=True)))"))
    assert "A-federation-amber" not in {d["name"] for d in b_received}
    assert len(b_received) == len(CROSSING)  # the other records and A-late stay
