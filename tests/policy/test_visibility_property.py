"""Property: nobody learns of a record outside its audience, through any channel.

Random organisations (some serving others), communities, users and records — markings
written straight to the database, valid or not — are checked against a reference
implementation of DESIGN.md §2 written independently of ``policy.visibility``:

* the queryset filter ``visible_to`` and ``can_see``;
* every read channel: the notes API (list count, list ids, detail), the notes pages
  (list, detail, edit), the dashboard counts; the STIX store's API (list, detail,
  correlations), pages (list, detail, inbox), lookup (matches, hit/no-hit) and hit
  notifications — records outside the audience are 404, never appear in any list or
  count, and surface only as the hit/no-hit "another agency holds this";
* the desk's broker view (``channels_broker``): desk brokers only, 404 and no count for
  anyone else; others' look-ups never name the holding agency;
* the inbox (``channels_inbox``): page, API, badge and unread count — a notice reaches
  the record's owner organisation only, within the record's audience;
* relationship ends (``channels_relationships``): a page names an end only to readers in
  its audience, and shows the others by STIX id alone;
* versions (each object has an older version with markings of its own: it is served only
  to readers in both its own and its record's audience), submissions, the audit log and
  admins' own directory edits (``channels_versions``);
* submissions' originals (``channels_originals``): downloaded by the submission's audience
  only, 404 for everyone else;
* a queued submission's status box (``channels_progress``): its audience only, 404 else;
* the analytics dashboard (``channels_analytics``): every figure and chart CSV counts the
  visible objects only, and names no value held only outside the audience;
* products through the API and as STIX (``channels_products_api``): a disseminated product
  with the record's markings is listed, read, exported and its recipients shown to its
  audience only, with only the linked objects the reader may see; 404 for everyone else;
* awareness material and campaigns (``channels_awareness``): the public pages, leaflet
  and feed serve what the anonymous reference allows, to everyone; campaigns, their
  materials and reach only to their audience;
* compartmented records (``channels_compartments``): operations and secure messages, and
  their parts, reach only their audience within their compartment's organisations;
* operations through the API and as STIX (``channels_operations_api``): listed, read,
  exported and their targets, tasks, actions and results served only to their audience
  within their compartment; 404 on every route and action for everyone else;
* secure messages and RFIs through the API and as .eml files (``channels_messaging_api``):
  listed, read, downloaded, exported and counted in the RFI figures only for their
  audience within their compartment; 404 on every route, POSTs included, for everyone else;
* the operations' pages (``channels_operations``): list (count, filters), every tab and
  form, the bulk deconfliction check, the analytics results and their CSV, an activity
  report's figures and the inbox serve an operation and its parts to its audience within
  its compartment only, 404 everywhere else; deconfliction names only operations the
  reader sees (hit/no-hit for the others, in clash notices too); the desk's clash view is
  404 for anyone but a desk broker;
* secure messages' pages (``channels_messaging``): the message and RFI lists (counts,
  filters, answers counted), threads (a reply or forward the reader may not see is never
  hinted), attachment downloads, reply, forward, answer and close, the RFI figures and
  their CSV, and the inbox's notices, to the audience within the compartment only; 404
  for everyone else;
* training records (``channels_training``): a course and its modules, lessons, quizzes and
  sessions reach its audience; a participant reaches the person, their organisation,
  their sessions' trainers and their programmes' coordinators, and an enrolment,
  attendance, certificate, lesson progress or attempt only readers of both the person
  and the course;
* the training pages (``channels_training_pages``): every page, list, download and form of
  the training app, the statistics and donor report, the xAPI statements and the public
  certificate check, on that world: 404 outside the reference, lists and figures over the
  records the reader sees only;
* training through the API (``channels_training_api``): courses, their outline (the
  answer key for managers only) and sessions, participants, enrolments and certificates
  listed (ids and count) and read, and their actions, only as that world's reference
  allows, 404 on every route, POSTs included, for everyone else; a POST naming a hidden
  session or person answers as a made-up one; the statistics count the visible
  enrolments only.

Later issues add their channels to ``CHANNELS``.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from rest_framework.test import APIClient

from tests.policy import (
    channels_analytics,
    channels_awareness,
    channels_broker,
    channels_compartments,
    channels_exports,
    channels_inbox,
    channels_messaging,
    channels_messaging_api,
    channels_operations,
    channels_operations_api,
    channels_originals,
    channels_products,
    channels_products_api,
    channels_progress,
    channels_relationships,
    channels_sync,
    channels_taxii,
    channels_training,
    channels_training_api,
    channels_training_pages,
    channels_versions,
)
from tests.policy.channels_versions import Expected
from vaka.directory.models import Community, Organisation, User
from vaka.directory.roles import Role
from vaka.intel.bulk import index_text
from vaka.intel.models import Note, Observable, StixObject, StixObjectVersion, Submission
from vaka.intel.parsing.observables import value_hash
from vaka.intel.selectors import correlations_of, notifications_for
from vaka.policy import audit
from vaka.policy.services import Markings, audience_for
from vaka.policy.visibility import can_see

DISTRIBUTIONS = ["organisation", "communities", "members", "federation", "public"]
TLPS = ["clear", "green", "amber", "amber+strict", "red"]


@dataclass(frozen=True)
class RecordSpec:
    owner: int
    creator: int
    distribution: str
    tlp: str
    communities: frozenset[int]
    recipient_orgs: frozenset[int]
    recipients: frozenset[int]


@dataclass(frozen=True)
class World:
    served_by: tuple[int | None, ...]  # per organisation index
    communities: tuple[frozenset[int], ...]  # member organisation indexes
    users: tuple[int | None, ...]  # organisation index per user (None: no organisation)
    records: tuple[RecordSpec, ...]
    # Per record, the markings of its object's older version (same owner and creator).
    older: tuple[RecordSpec, ...] = ()


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n_orgs = draw(st.integers(2, 4))
    orgs = st.integers(0, n_orgs - 1)
    served_by = tuple(draw(st.none() | orgs) for _ in range(n_orgs))
    # Bias towards the corners: recipients that serve other organisations, named users.
    communities = tuple(draw(st.frozensets(orgs, max_size=n_orgs))
                        for _ in range(draw(st.integers(0, 3))))
    users = tuple(draw(st.lists(st.none() | orgs, min_size=2, max_size=6)))
    members = [u for u, org in enumerate(users) if org is not None]
    if not members:
        users = (0, *users)
        members = [0]
    user_ids = st.integers(0, len(users) - 1)
    def markings(owner: int, creator: int) -> RecordSpec:
        return RecordSpec(
            owner=owner, creator=creator,
            distribution=draw(st.sampled_from(DISTRIBUTIONS)),
            tlp=draw(st.sampled_from(TLPS)),
            communities=draw(st.frozensets(st.integers(0, len(communities) - 1)))
            if communities else frozenset(),
            recipient_orgs=draw(st.frozensets(
                orgs | st.sampled_from([p for p in served_by if p is not None] or [0]),
                max_size=3)),
            recipients=draw(st.frozensets(user_ids, max_size=3)),
        )

    records, older = [], []
    for _ in range(draw(st.integers(1, 6))):
        creator = draw(st.sampled_from(members))
        records.append(markings(users[creator], creator))
        older.append(markings(users[creator], creator))
    return World(served_by, communities, users, tuple(records), tuple(older))


def reference_can_see(world: World, user: int | None, record: RecordSpec) -> bool:
    """DESIGN.md §2, written out plainly. ``user`` None is an anonymous visitor."""
    org = None if user is None else world.users[user]
    if org is None:
        return record.distribution == "public" and record.tlp == "clear"
    if record.owner == org or record.distribution in ("members", "federation", "public"):
        reached = True
    elif record.distribution == "communities":
        reached = any(org in world.communities[c] for c in record.communities)
    else:
        reached = False
    if record.tlp in ("clear", "green"):
        allowed = True
    elif record.tlp == "amber":
        # the recipient organisations "and their clients": organisations they serve
        allowed = record.owner == org or any(
            r == org or r == world.served_by[org] for r in record.recipient_orgs)
    elif record.tlp == "amber+strict":
        allowed = record.owner == org or org in record.recipient_orgs
    else:
        allowed = user in record.recipients
    return reached and allowed


def build(world: World) -> tuple[list[User], list[Note]]:
    orgs = [Organisation.objects.create(name=f"org{i}", kind="police_unit")
            for i in range(len(world.served_by))]
    for org, parent in zip(orgs, world.served_by, strict=True):
        if parent is not None:
            org.served_by = orgs[parent]
            org.save()
    communities = []
    for i, members in enumerate(world.communities):
        community = Community.objects.create(name=f"community{i}")
        community.members.set([orgs[m] for m in members])
        communities.append(community)
    users = [User.objects.create(username=f"u{i}", role=Role.ANALYST,
                                 organisation=orgs[org] if org is not None else None)
             for i, org in enumerate(world.users)]
    notes = []
    for i, spec in enumerate(world.records):
        # Written straight to the database: markings the services would refuse are included.
        audience = audience_for(Markings(
            communities=[communities[c] for c in spec.communities],
            recipient_organisations=[orgs[o] for o in spec.recipient_orgs],
            recipients=[users[u] for u in spec.recipients]))
        notes.append(Note.objects.create(
            title=f"secret-title-{i}-x", owner=orgs[spec.owner], created_by=users[spec.creator],
            distribution=spec.distribution, tlp=spec.tlp, audience=audience))
        audit.record(audit.Action.CREATE, actor=users[spec.creator], target=notes[-1])
    return users, notes


def _api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _web(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def check_api(user: User | None, visible: set[int], notes: list[Note]) -> None:
    client = _api(user)
    listing = client.get("/api/notes/", {"page_size": 100})
    if user is None:
        assert listing.status_code in (401, 403)
    else:
        assert listing.status_code == 200
        assert listing.data["count"] == len(visible)
        assert {row["id"] for row in listing.data["results"]} == visible
    for note in notes:
        response = client.get(f"/api/notes/{note.pk}/")
        if user is not None and note.pk not in visible:
            assert response.status_code == 404, (user, note.title)
        elif user is not None:
            assert response.status_code == 200


def check_pages(user: User | None, visible: set[int], notes: list[Note]) -> None:
    client = _web(user)
    if user is None:
        for note in notes:
            assert client.get(f"/intel/notes/{note.pk}/").status_code == 302  # to sign-in
        return
    listing = client.get("/intel/notes/").content.decode()
    dashboard = client.get("/").content.decode()
    for note in notes:
        if note.pk in visible:
            assert note.title in listing
            assert client.get(f"/intel/notes/{note.pk}/").status_code == 200
        else:
            assert note.title not in listing
            assert note.title not in dashboard
            assert client.get(f"/intel/notes/{note.pk}/").status_code == 404
            assert client.get(f"/intel/notes/{note.pk}/edit/").status_code == 404
            assert client.post(f"/intel/notes/{note.pk}/delete/").status_code == 404
    # New from partners: the other organisations' objects the user may see, all added now.
    objects = list(StixObject.objects.order_by("pk"))
    partners = sum(1 for obj, note in zip(objects, notes, strict=True)
                   if note.pk in visible and obj.owner_id != user.organisation_id)
    assert re.search(rf'id="partner-intel-count">{partners}<', dashboard), partners


def _audience(world: World, spec: RecordSpec, users: list[User]) -> object:
    orgs = {o.name: o for o in Organisation.objects.all()}
    communities = {c.name: c for c in Community.objects.all()}
    return audience_for(Markings(
        communities=[communities[f"community{c}"] for c in spec.communities],
        recipient_organisations=[orgs[f"org{o}"] for o in spec.recipient_orgs],
        recipients=[users[u] for u in spec.recipients]))


def build_objects(world: World, users: list[User], notes: list[Note]) -> list[StixObject]:
    """A STIX indicator per record, with the record's markings; all share one value. Each
    has an older version marked by ``world.older``, and a submission marked like it."""
    objects = []
    for i, note in enumerate(notes):
        submission = Submission.objects.create(
            organisation=note.owner, user=note.created_by, source="api", format="stix",
            filename=f"secret-file-{i}-x.json", status="stored", distribution=note.distribution,
            tlp=note.tlp, audience=note.audience)
        obj = StixObject.objects.create(
            owner=note.owner, created_by=note.created_by, distribution=note.distribution,
            tlp=note.tlp, audience=note.audience, stix_id=f"indicator--{i:08d}-0000-4000-8000-"
            "000000000000", type="indicator", name=f"secret-object-{i}-x", version_key="v2",
            data={"type": "indicator", "id": f"indicator--{i}", "name": f"secret-object-{i}-x",
                  "modified": "2026-02-01T00:00:00.000Z"}, submission=submission)
        older = world.older[i]
        StixObjectVersion.objects.create(
            object=obj, version_key="v1", distribution=older.distribution, tlp=older.tlp,
            audience=_audience(world, older, users), submission=submission,
            data={"type": "indicator", "id": f"indicator--{i}", "name": f"secret-version-{i}-x",
                  "modified": "2026-01-01T00:00:00.000Z"})
        StixObjectVersion.objects.create(
            object=obj, version_key="v2", distribution=note.distribution, tlp=note.tlp,
            audience=note.audience, submission=submission)
        for value in (SHARED, f"only{i}-value-7.net"):
            Observable.objects.create(object=obj, kind="domain", value=value,
                                      value_hash=value_hash("domain", value))
        objects.append(obj)
    index_text([obj.pk for obj in objects])  # what ingestion does for search
    return objects


SHARED = "shared-value-7.net"


def check_store(user: User | None, visible: set[int], notes: list[Note]) -> None:
    """Objects mirror the notes' markings (same order): the same audience must hold."""
    objects = list(StixObject.objects.order_by("pk"))
    seen = {obj.pk for obj, note in zip(objects, notes, strict=True) if note.pk in visible}
    if user is None:
        assert _api(None).get("/api/objects/").status_code in (401, 403)
        assert _api(None).post("/api/lookup/", {"values": [SHARED]},
                               format="json").status_code in (401, 403)
        return
    api, web = _api(user), _web(user)
    listing = api.get("/api/objects/", {"page_size": 100}).data
    assert listing["count"] == len(seen)
    assert {row["id"] for row in listing["results"]} == seen
    page = web.get("/intel/objects/").content.decode()
    searched = api.get("/api/objects/", {"search": "secret object", "page_size": 100}).data
    assert {row["id"] for row in searched["results"]} == seen
    assert searched["count"] == len(seen)
    by_value = api.get("/api/objects/", {"search": SHARED.replace(".", "[.]")}).data
    assert by_value["count"] == len(seen)
    for obj in objects:
        if obj.pk in seen:
            continue
        assert api.get(f"/api/objects/{obj.pk}/").status_code == 404
        assert api.get(f"/api/objects/{obj.pk}/correlations/").status_code == 404
        assert web.get(f"/intel/objects/{obj.pk}/").status_code == 404
        assert obj.name not in page
    looked_up = api.post("/api/lookup/", {"values": [SHARED]}, format="json").data
    answer = looked_up["results"][0]
    assert {m["id"] for m in answer["matches"]} == seen
    assert bool(answer["hits"]) == (len(seen) < len(objects))
    # The counts say no more than the answer: one value, found or held elsewhere.
    assert looked_up["summary"]["matched"] == int(bool(seen))
    assert looked_up["summary"]["held_elsewhere"] == int(len(seen) < len(objects))
    # The web page keeps the answers and pages them, fetching the matches again through
    # objects_for: the same records and counts, and nothing of the others.
    shown = web.post("/intel/lookup/", {"values": SHARED}, follow=True)
    [kept] = shown.context["answers"]
    assert {m.pk for m in kept.matches} == seen
    assert bool(kept.hits) == (len(seen) < len(objects))
    assert shown.context["summary"].held_elsewhere == int(len(seen) < len(objects))
    assert not any(obj.name in shown.content.decode() for obj in objects if obj.pk not in seen)
    for obj in objects:
        if obj.pk in seen:
            for correlation in correlations_of(obj, user):
                assert {m.pk for m in correlation.matches} <= seen
                assert correlation.held_elsewhere == (
                    correlation.value == SHARED and len(seen) < len(objects))
    notified = set(notifications_for(user).values_list("object_id", flat=True))
    assert notified <= seen
    inbox = web.get("/intel/inbox/").content.decode()
    for obj in objects:
        if obj.pk not in seen:
            assert obj.name not in inbox


CHANNELS = [check_api, check_pages, check_store, *channels_exports.CHANNELS,
            *channels_taxii.CHANNELS, *channels_sync.CHANNELS, *channels_inbox.CHANNELS,
            *channels_relationships.CHANNELS, *channels_broker.CHANNELS,
            *channels_originals.CHANNELS, *channels_progress.CHANNELS,
            *channels_analytics.CHANNELS, *channels_products.CHANNELS,
            *channels_products_api.CHANNELS, *channels_awareness.CHANNELS,
            *channels_compartments.CHANNELS, *channels_training.CHANNELS,
            *channels_training_pages.CHANNELS,
            *channels_operations_api.CHANNELS,
            *channels_messaging_api.CHANNELS, *channels_training_api.CHANNELS,
            *channels_operations.CHANNELS, *channels_messaging.CHANNELS]


class VisibilityPropertyTest(TestCase):
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(worlds())
    def test_visible_to_and_can_see_match_the_reference(self, world: World) -> None:
        users, notes = build(world)
        for index, user in [(None, AnonymousUser()), *enumerate(users)]:
            expected = {note.pk for spec, note in zip(world.records, notes, strict=True)
                        if reference_can_see(world, index, spec)}
            assert set(Note.objects.visible_to(user).values_list("pk", flat=True)) == expected
            for note in notes:
                assert can_see(user, note) == (note.pk in expected)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(worlds(), st.data())
    def test_no_channel_reveals_a_record_outside_its_audience(
        self, world: World, data: st.DataObject
    ) -> None:
        # Each world is a new round of calls: rate-limit counts of earlier examples (one
        # test, up to 25 worlds) must not turn an export of this one into a 429.
        caches["default"].clear()
        users, notes = build(world)
        build_objects(world, users, notes)
        index = data.draw(st.none() | st.integers(0, len(users) - 1), label="user")
        user = None if index is None else users[index]
        visible = {note.pk for spec, note in zip(world.records, notes, strict=True)
                   if reference_can_see(world, index, spec)}
        for channel in CHANNELS:
            channel(user, visible, notes)
        expected = Expected(notes=visible)
        org = None if index is None else world.users[index]
        for i, (spec, note) in enumerate(zip(world.records, notes, strict=True)):
            older, current = StixObjectVersion.objects.filter(
                object__submission__filename=f"secret-file-{i}-x.json").order_by("version_key")
            if note.pk in visible:
                expected.versions.add(current.pk)
                if reference_can_see(world, index, world.older[i]):
                    expected.versions.add(older.pk)
                if org == spec.owner:
                    expected.submissions.add(Submission.objects.get(
                        filename=f"secret-file-{i}-x.json").pk)
        for channel in channels_versions.CHANNELS:
            channel(user, expected)
