"""Walk the whole URL conf: every route is declared in ``vaka.web.routes``, and none shows
a TLP:RED record to anyone outside its audience.

One world: a TLP:RED note and a TLP:RED STIX indicator owned by Unit A, written by carol
for alice. Every route is called (GET, and POST, PATCH, DELETE with an empty body or one
aimed at the RED records) by an anonymous visitor, an outsider of Unit B, bob — alice's
colleague in Unit A, not named — and a platform administrator of Unit B. Routes with a
record in their path get the RED records' ids (or alice's token and export link, Unit A's
submission, …). A new route fails here until it is declared, and a new path parameter
until the walk knows how to fill it. Nothing may answer 500.
"""

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import CommunityFactory, OrganisationFactory, UserFactory, confirmed_totp
from tests.intel.store_data import bundle, indicator
from tests.policy import test_visibility_property
from tests.shared_data import built_once
from vaka.directory.models import Country, hash_token
from vaka.directory.roles import Role
from vaka.directory.services import create_token
from vaka.exchange.models import Collection, Feed, Peer, TaxiiStatus
from vaka.inbox.models import Notice
from vaka.intel import exports, services
from vaka.intel.models import HitNotification, Note, StixObject
from vaka.intel.originals import Original
from vaka.policy.services import Markings
from vaka.products import campaigns
from vaka.products import services as products
from vaka.web.routes import ROUTES, Exposure
from vaka.web.saved_searches import save_search

MARKER = "kq7redline"  # in every secret field of the RED records
SECRET_VALUE = f"{MARKER}-c2.xyz"
METHODS = ("get", "post", "patch", "delete")
REFUSED = {401, 403, 404, 405}
ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Pattern:
    name: str | None
    route: str
    parameters: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.route})"


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            route = prefix + str(entry.pattern)
            parameters = frozenset(a or b for a, b in ARGUMENT.findall(route))
            yield Pattern(name, route, parameters)


PATTERNS = list(_walk(get_resolver().url_patterns))


def test_every_route_is_declared():
    undeclared = sorted({p.label for p in PATTERNS if p.name not in ROUTES})
    assert not undeclared, (
        "Declare who may reach these routes in src/vaka/web/routes.py: " + ", ".join(undeclared))


def test_every_declaration_names_a_route():
    names = {p.name for p in PATTERNS}
    assert not sorted(set(ROUTES) - names), "routes.py declares routes that no longer exist"


def test_every_declaration_gives_a_reason_and_only_covered_ones_a_channel():
    for name, route in ROUTES.items():
        assert route.reason.strip(), name
        assert bool(route.channel) == (route.exposure is Exposure.COVERED), name
        assert not route.probe or route.exposure is Exposure.COVERED, name


def test_record_routes_are_called_with_a_red_record():
    """A RECORD route is checked by the walk alone, so the walk must aim it at RED."""
    for name, route in ROUTES.items():
        if route.exposure is Exposure.RECORD:
            assert name in RED_CATALOGUE | RED_CATALOGUE_SESSION | (
                RED_NOTE | RED_OBJECT | RED_STIX | RED_OPERATION | RED_MESSAGE
                            | RED_RFI | RED_CERTIFICATE | RED_QUIZ | RED_ATTEMPT
                            | RED_PERSON | RED_SESSION | RED_ENROLMENT), (
                f"{name}: add it to RED_NOTE, RED_OBJECT, RED_STIX, RED_OPERATION, "
                "RED_MESSAGE or RED_RFI in this file")


def _static_parts(route: str) -> list[str]:
    """The literal parts of a route, between its parameters, without slashes or regex."""
    parts = ARGUMENT.split(route)[::3]
    cleaned = (re.sub(r"\\\.|\^|\$|/\?", "", part).strip("/.") for part in parts)
    return [part for part in cleaned if part]


def test_covered_routes_name_a_channel_the_property_test_runs_on_them():
    channels = {channel.__name__: channel for channel in test_visibility_property.CHANNELS}
    for pattern in PATTERNS:
        declared = ROUTES.get(pattern.name)
        if declared is None or declared.exposure is not Exposure.COVERED:
            continue
        channel = channels.get(declared.channel)
        assert channel is not None, (
            f"{pattern.label}: no channel {declared.channel!r} in the property test's CHANNELS")
        source = inspect.getsource(channel)
        wanted = [declared.probe] if declared.probe else _static_parts(pattern.route)
        missing = [part for part in wanted if part not in source]
        assert not missing, f"{pattern.label}: {declared.channel} never requests {missing}"


# --- the walk ---------------------------------------------------------------------------

class World:
    """Unit A owns the RED records, for alice only; bob, the outsider and the admin of
    Unit B are outside their audience."""

    def __init__(self) -> None:
        unit_a, unit_b = OrganisationFactory(name="Unit A"), OrganisationFactory(name="Unit B")
        self.alice = UserFactory(username="alice", organisation=unit_a)
        self.bob = UserFactory(username="bob", organisation=unit_a)
        self.outsider = UserFactory(username="outsider", organisation=unit_b)
        self.admin = UserFactory(username="admin", organisation=unit_b,
                                 role=Role.PLATFORM_ADMIN)
        self.admin_device = confirmed_totp(self.admin)
        # TLP:RED names its author and at least one other: carol writes, alice is named.
        carol = UserFactory(username="carol", organisation=unit_a)
        red = {"tlp": "red", "recipients": [self.alice]}
        self.note = services.create_note(
            user=carol, title=f"{MARKER} title", body=f"{MARKER} body",
            markings=Markings(**red))
        self.product = products.create_product(
            user=carol, kind="alert", markings=Markings(**red), content=products.Content(
                title=f"{MARKER} title", sections={"threat": MARKER,
                                                   "recommended_actions": MARKER}))
        sent = bundle(indicator(SECRET_VALUE, name=f"{MARKER} name",
                                description=f"{MARKER} description"))
        submission = services.ingest_bytes(
            sent, organisation=unit_a, user=carol, markings=Markings(**red), source="api",
            fmt="stix", original=Original(sent, f"{MARKER}.json"))
        assert submission.status == "stored", submission.errors
        self.submission = submission
        self.object = StixObject.objects.get(submission=submission)
        services.lookup([SECRET_VALUE], user=self.outsider)  # tells Unit A of the hit
        self.notification = HitNotification.objects.get(object=self.object)
        self.notice = Notice.objects.get(target_args=[self.object.pk])
        self.alice_token = create_token(self.alice, name="alice's")[0]
        self.product_attachment = self.product.revisions.get().attachments.create(
            file="products/none.bin", name=f"{MARKER}.txt", content_type="text/plain",
            size=1, sha256="0" * 64)
        self.alice_search = save_search(self.alice, list_name="intel:objects",
                                        name="alice's", query="tlp=red")
        self.alice_link = exports.create_export_link(
            self.alice, name="alice's", fmt="csv", filters={})[0]
        self.bob_link_key = exports.create_export_link(
            self.bob, name="bob's", fmt="csv", filters={})[1]
        self.everything = Collection.objects.create(title="Everything", alias="everything")
        self.spare = Collection.objects.create(title="Spare", alias="spare")
        self.status = TaxiiStatus.objects.create(collection=self.everything, user=self.alice)
        self.community = CommunityFactory(name="Unit A and B", members=[unit_a, unit_b])
        self.country = Country.objects.create(code="WS", alpha3="WSM", name="Samoa")
        # Nothing answers on the discard port: an admin's "poll now" fails fast.
        self.feed = Feed.objects.create(name="Feed", kind="taxii", organisation=unit_b,
                                        url="http://127.0.0.1:9/collections/x/")
        self.peer = Peer.objects.create(name="Peer", url="http://127.0.0.1:9/",
                                        incoming_token_hash=hash_token("vakapeer_walk"))
        self.unit_a = unit_a
        self.tokens = {user.pk: create_token(user, name="walk")[1]
                       for user in (self.alice, self.bob, self.outsider, self.admin)}
        # A RED campaign, and RED awareness material released to alice: the public pages
        # serve neither, to anyone.
        self.red_campaign = campaigns.create_campaign(
            user=carol, details=campaigns.CampaignDetails(name=f"{MARKER} campaign"),
            markings=Markings(**red))
        self.red_material = _released_red_material(carol, red)
        # A RED operation of Unit A alone, for alice, with a target and a task.
        self.operation, self.operation_target, self.operation_task = _red_operation(
            unit_a, self.alice)
        self.operation_action, self.operation_result = _red_timeline(
            self.operation, unit_a, self.country)
        # A RED message from Unit A to Unit C, for alice and Unit C's cara, with a file.
        self.message, self.message_attachment = _red_message(unit_a, self.alice)
        # A RED request for information from Unit A to Unit D, for alice and Unit D's cora.
        self.rfi, self.cora = _red_rfi(unit_a, self.alice)
        # A certificate of alice for a RED course of Unit A (for alice only), a programme,
        # and a requirement of Unit A.
        self.certificate, self.programme, self.requirement = _red_certificate(
            carol, red, self.alice, self.country)
        # A person no one of the walk sees, and alice's enrolment in a RED course's session.
        self.red_person, self.red_enrolment = _red_people(carol, red, self.alice,
                                                          self.country)
        # A RED quiz in a module of the certificate's RED course, with a question, and
        # alice's attempt at it.
        self.quiz_module, self.red_quiz, self.red_question, self.red_attempt = _red_quiz(
            self.certificate.enrolment)
        # A RED course of the catalogue, for alice, with a session.
        self.catalogue_course, self.catalogue_session = _red_catalogue(carol, red)
        # A RED course of Unit A, for alice, with a module, a lesson and a lesson file.
        self.red_course, self.red_module, self.red_lesson, self.red_lesson_file = (
            _red_course(carol, red))
        # What signing in leaves in a session, once per user: each client of the walk gets
        # a fresh session holding it, without a sign-in's own writes (audit entry, last
        # sign-in, axes) on each of its thousands of calls.
        self.signed_in = {user.pk: _signed_in(user) for user in (
            self.alice, self.bob, self.outsider, self.admin)}
        self.signed_in[self.admin.pk][DEVICE_ID_SESSION_KEY] = (
            self.admin_device.persistent_id)

    def client(self, user: Any) -> Client:
        """A fresh client, signed in (an admin past the second factor), with an API token
        too, for the channels that take one (API, TAXII)."""
        if user is None:
            return Client(raise_request_exception=False)
        client = Client(raise_request_exception=False,
                        HTTP_AUTHORIZATION=f"Token {self.tokens[user.pk]}")
        session = client.session
        session.update(self.signed_in[user.pk])
        session.save()
        # Still a valid sign-in: a call that changed the password would sign the user out.
        assert session[HASH_SESSION_KEY] == type(user).objects.get(
            pk=user.pk).get_session_auth_hash(), user
        return client


def _signed_in(user: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    return dict(client.session.items())


# How to fill each path parameter: the RED records where a route names a record, and
# alice's own things elsewhere. A parameter missing here fails the walk for its route.
RED_NOTE = {"intel:note", "intel:note_edit", "intel:note_delete", "note-detail"}
RED_OBJECT = {"intel:object", "object-detail", "object-correlations", "intel:object_remark",
              "intel:object_edit", "intel:object_revoke"}
RED_STIX = {"taxii:object", "taxii:versions"}
# The hit notice on the RED object: it reaches the object's named people only.
RED_NOTICE = {"inbox:open", "notice-detail", "notice-read"}
# The RED campaign, and the RED awareness material (released to alice, not public).
RED_CAMPAIGN = {"campaigns:campaign", "campaigns:edit", "campaigns:reach"}
RED_MATERIAL = {"awareness:material", "awareness:leaflet"}
# The RED operation's pages.
RED_OPERATION = {f"operations:{name}" for name in (
    "operation", "edit", "participants", "phase", "close", "targets", "targets_add",
    "target_link", "target_remove", "tasks", "task_status", "timeline", "action_edit",
    "action_remove", "results", "result_edit", "result_remove", "lessons", "after_action")}
# The RED message's pages.
# The RED request for information's actions (on its message).
RED_RFI = {"messaging:rfi_answer", "messaging:rfi_close", "rfi-detail", "rfi-answer",
           "rfi-close"}
RED_MESSAGE = {f"messaging:{name}" for name in ("message", "reply", "forward",
                                                "attachment", "eml")} | {
    f"message-{name}" for name in ("detail", "reply", "forward", "receipts", "attachment",
                                   "eml")}
# The RED operation through the API: the operation, and its parts by their own ids.
RED_OPERATION_API = {"operations:stix"} | {f"operation-{name}" for name in (
    "detail", "participants", "phase", "close", "after-action", "stix",
    "target-list", "target-detail", "target-link", "task-list", "task-detail",
    "task-status", "action-list", "action-detail", "result-list", "result-detail",
    "result-totals")}
# The RED product (a draft): the API's routes on one product.
RED_PRODUCT = {f"product-{name}" for name in (
    "detail", "submit", "return-to-draft", "approve", "new-revision", "disseminate",
    "acknowledge", "close", "recipients", "stix")}
# The RED product's pages.
RED_PRODUCT_PAGES = {f"products:{name}" for name in (
    "product", "product_edit", "product_pdf", "product_step", "product_revise",
    "product_disseminate", "product_acknowledge", "product_retry_mail", "translation_edit",
    "translation_review", "attachment_add", "attachment", "attachment_remove")}
# The RED catalogue course's pages and its session's.
RED_CATALOGUE = {f"training:{name}" for name in (
    "course", "course_edit", "course_archive", "session_create")} | {
    "training-course-detail", "training-course-outline"}
RED_CATALOGUE_SESSION = {f"training:{name}" for name in (
    "session", "session_edit", "session_cancel", "session_trainers")} | {
    f"training-session-{name}" for name in ("detail", "cancel", "trainers")}
# The certificate for the RED course: its pages.
RED_CERTIFICATE = {f"training:{name}" for name in (
    "certificate", "certificate_pdf", "certificate_revoke")} | {
    "training-certificate-detail", "training-certificate-revoke"}
# The RED course's quiz, its question and alice's attempt.
RED_QUIZ = {f"training:{name}" for name in (
    "quiz", "quiz_edit", "quiz_delete", "quiz_start", "question_create", "question_edit",
    "question_delete", "quiz_create")}
RED_ATTEMPT = {f"training:{name}" for name in (
    "attempt", "attempt_submit", "attempt_result", "attempt_abandon")}
# Training's people: a person of Unit E (no one of the walk sees them), and a session of
# a RED course of Unit A with alice's enrolment (bob sees alice, not the course).
RED_PERSON = {"training:participant", "training:participant_edit",
              "training-participant-detail"}
RED_SESSION = {f"training:{name}" for name in (
    "session_enrol", "session_self_enrol", "session_attendance", "session_scores")}
RED_ENROLMENT = {"training:enrolment_withdraw", "training:enrolment_completion"} | {
    f"training-enrolment-{name}" for name in ("detail", "withdraw", "scores", "completion")}
# The RED course's online lessons.
RED_MODULE = {f"training:{name}" for name in (
    "module", "module_edit", "module_delete", "module_move", "module_pdf", "lesson_create")}
RED_LESSON = {f"training:{name}" for name in (
    "lesson", "lesson_read", "lesson_edit", "lesson_delete", "lesson_move")}
RED_LESSON_FILE = {"training:lesson_file", "training:lesson_file_remove"}
PK: dict[str, Callable[[World], Any]] = {
    **{name: lambda w: w.red_module.pk for name in RED_MODULE},
    **{name: lambda w: w.red_lesson.pk for name in RED_LESSON},
    **{name: lambda w: w.red_lesson_file.pk for name in RED_LESSON_FILE},
    "training:module_create": lambda w: w.red_course.pk,
    **{name: lambda w: w.red_person.pk for name in RED_PERSON},
    **{name: lambda w: w.red_enrolment.session_id for name in RED_SESSION},
    **{name: lambda w: w.red_enrolment.pk for name in RED_ENROLMENT},
    **{name: lambda w: w.certificate.pk for name in RED_CERTIFICATE},
    "training:requirement_lift": lambda w: w.requirement.pk,
    **{name: lambda w: w.red_quiz.pk for name in RED_QUIZ},
    **{f"training:{name}": lambda w: w.red_question.pk
       for name in ("question_edit", "question_delete")},
    "training:quiz_create": lambda w: w.quiz_module.pk,
    **{name: lambda w: w.red_attempt.pk for name in RED_ATTEMPT},
    **{name: lambda w: w.catalogue_course.pk for name in RED_CATALOGUE},
    **{name: lambda w: w.catalogue_session.pk for name in RED_CATALOGUE_SESSION},
    **{name: lambda w: w.product.pk for name in RED_PRODUCT_PAGES},
    **{name: lambda w: w.note.pk for name in RED_NOTE},
    **{name: lambda w: w.object.pk for name in RED_OBJECT},
    **{name: lambda w: w.notice.pk for name in RED_NOTICE},
    **{name: lambda w: w.product.pk for name in RED_PRODUCT},
    "token_revoke": lambda w: w.alice_token.pk, "token-detail": lambda w: w.alice_token.pk,
    "organisation": lambda w: w.unit_a.pk, "organisation_edit": lambda w: w.unit_a.pk,
    "organisation-detail": lambda w: w.unit_a.pk,
    "user": lambda w: w.alice.pk, "user_edit": lambda w: w.alice.pk,
    "user_two_factor_reset": lambda w: w.alice.pk,
    "user-detail": lambda w: w.alice.pk,
    "community": lambda w: w.community.pk, "community_edit": lambda w: w.community.pk,
    "community-detail": lambda w: w.community.pk, "country-detail": lambda w: w.country.pk,
    "intel:submission": lambda w: w.submission.pk,
    "submission-detail": lambda w: w.submission.pk,
    "intel:submission_correct": lambda w: w.submission.pk,
    "intel:submission_original": lambda w: w.submission.pk,
    "intel:submission_erase": lambda w: w.submission.pk,
    "intel:submission_progress": lambda w: w.submission.pk,
    "notification-detail": lambda w: w.notification.pk,
    "intel:export_link_revoke": lambda w: w.alice_link.pk,
    **{f"web:{name}": lambda w: w.alice_search.pk
       for name in ("saved_search", "saved_search_rename", "saved_search_delete")},
    "saved-search-detail": lambda w: w.alice_search.pk,
    # No caller of the walk is a desk broker: 404 for each, whatever the clash.
    "broker-clash-introduce": lambda w: 1,
    "exchange:collection_edit": lambda w: w.spare.pk,
    "exchange:collection_delete": lambda w: w.spare.pk,
    **{f"exchange:{name}": lambda w: w.feed.pk
       for name in ("feed", "feed_edit", "feed_poll", "feed_job")},
    **{f"exchange:{name}": lambda w: w.peer.pk
       for name in ("peer", "peer_edit", "peer_sync", "peer_job")},
    **{name: lambda w: w.red_campaign.pk for name in RED_CAMPAIGN},
    **{name: lambda w: w.red_material.pk for name in RED_MATERIAL},
    **{name: lambda w: w.operation.pk for name in RED_OPERATION},
    **{name: lambda w: w.operation.pk for name in RED_OPERATION_API},
    **{f"operation-target-{name}": lambda w: w.operation_target.pk
       for name in ("detail", "link")},
    **{f"operation-task-{name}": lambda w: w.operation_task.pk
       for name in ("detail", "status")},
    "operation-action-detail": lambda w: w.operation_action.pk,
    "operation-result-detail": lambda w: w.operation_result.pk,
    **{name: lambda w: w.message.pk for name in RED_MESSAGE},
    **{name: lambda w: w.rfi.message_id for name in RED_RFI},
}
PARAMETERS: dict[str, Callable[[World, str], Any]] = {
    "pk": lambda w, name: PK[name](w),
    "operation_pk": lambda w, name: w.operation.pk,
    "key": lambda w, name: w.bob_link_key if name == "intel:export_link_fetch"
    else w.everything.pk,
    "filename": lambda w, name: "objects.csv",
    # An unknown code for the public verification page (a real one shows its name).
    "code": lambda w, name: w.programme.code if name == "programme_edit"
    else "AAAA-BBBB-CCCC-DDDD",
    "chart": lambda w, name: "country" if name == "training:statistics_csv" else "countries",
    "object_id": lambda w, name: w.object.stix_id,
    "status_id": lambda w, name: w.status.pk,
    "galaxy": lambda w, name: "threat-actor",
    "kind": lambda w, name: "domain",
    "format": lambda w, name: "json",
    "job": lambda w, name: "00000000-0000-4000-8000-000000000000",
    "step": lambda w, name: "approve",
    "language": lambda w, name: "fr",
    "attachment": lambda w, name: w.message_attachment.pk if name in RED_MESSAGE
    else w.product_attachment.pk,
    "target": lambda w, name: w.operation_target.pk,
    "task": lambda w, name: w.operation_task.pk,
    "action": lambda w, name: w.operation_action.pk,
    "result": lambda w, name: w.operation_result.pk,
}
# What a caller sends besides empty bodies: a lookup of the secret value (hit/no-hit,
# never the record), and corrections aimed at the RED records, which must not land.
BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "intel:lookup": lambda w: {"values": SECRET_VALUE},
    "lookup": lambda w: {"values": [SECRET_VALUE]},
    "intel:submission_correct": lambda w: {"action": "revoke"},
    "object-revoke": lambda w: {"ids": [w.object.pk], "submission": w.submission.pk},
    "object-remark": lambda w: {"ids": [w.object.pk], "tlp": "clear",
                                "distribution": "public", "widen": True},
}
CHANGES = {"name": "walked", "title": "walked", "description": "walked", "tlp": "clear",
           "distribution": "public", "widen": True}


def _red_operation(unit_a: Any, alice: Any) -> tuple[Any, Any, Any]:
    from vaka.operations import services as operations
    from vaka.operations import targets, tasks

    lead = UserFactory(username="opslead", organisation=unit_a, role=Role.COORDINATOR)
    operation = operations.open_operation(
        user=lead, markings=Markings(tlp="red", recipients=[alice]),
        details=operations.OperationDetails(code_name=f"{MARKER} op", objective=MARKER,
                                            lead=unit_a.pk))
    added = targets.add_targets(operation, user=lead, targets=[
        targets.TargetInput("domain", f"{MARKER}-op.xyz")])
    task = tasks.create_task(operation, user=lead, title=f"{MARKER} task",
                             assigned_to=unit_a.pk)
    return operation, added.targets[0], task


def _red_timeline(operation: Any, unit_a: Any, country: Any) -> tuple[Any, Any]:
    """An action on the RED operation's timeline and a result tied to it."""
    from datetime import datetime

    from vaka.directory.models import User
    from vaka.operations import timeline

    lead = User.objects.get(username="opslead")
    action = timeline.record_action(operation, user=lead, data=timeline.ActionInput(
        kind="arrest", local_time=datetime(2026, 6, 2, 9, 0), time_zone="Pacific/Apia",
        country=country.code, organisation=unit_a.pk, summary=f"{MARKER} arrest"))
    result = timeline.record_result(operation, user=lead, data=timeline.ResultInput(
        kind="funds_seized", quantity="100", currency="WST", country=country.code,
        organisation=unit_a.pk, note=f"{MARKER} funds", action=action.pk))
    return action, result


def _red_message(unit_a: Any, alice: Any) -> tuple[Any, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vaka.messaging import services as messaging

    sender = UserFactory(username="msgsender", organisation=unit_a)
    cara = UserFactory(username="cara", organisation=OrganisationFactory(name="Unit C"))
    message = messaging.send_message(
        user=sender, recipients=[cara.organisation], subject=f"{MARKER} subject",
        body=MARKER, markings=Markings(distribution="members", tlp="red", recipients=[alice, cara]),
        attachments=[SimpleUploadedFile(f"{MARKER}.txt", MARKER.encode())])
    return message, message.attachments.get()


def _red_rfi(unit_a: Any, alice: Any) -> tuple[Any, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from vaka.messaging import rfis

    sender = UserFactory(username="rfisender", organisation=unit_a)
    cora = UserFactory(username="cora", organisation=OrganisationFactory(name="Unit D"))
    rfi = rfis.send_rfi(
        user=sender, recipients=[cora.organisation], subject=f"{MARKER} question",
        body=MARKER, details=rfis.RfiDetails(deadline=timezone.now() + timedelta(days=2),
                                             case_reference=f"{MARKER}-case"),
        markings=Markings(distribution="members", tlp="red", recipients=[alice, cora]))
    return rfi, cora


def _red_catalogue(carol: Any, red: dict[str, Any]) -> tuple[Any, Any]:
    import datetime as dt

    from vaka.policy.services import create_shareable
    from vaka.training.models import Course, Session

    with transaction.atomic():
        course = create_shareable(Course(code="red-catalogue-course",
                                         title=f"{MARKER} catalogue course"),
                                  user=carol, markings=Markings(**red))
    session = Session.objects.create(course=course, reference=f"{MARKER}-C",
                                     starts=dt.date(2026, 3, 2), ends=dt.date(2026, 3, 3),
                                     place=MARKER)
    return course, session


def _red_course(carol: Any, red: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    from vaka.policy.services import create_shareable
    from vaka.training.models import Course, Lesson, LessonFile, Module

    with transaction.atomic():
        course = create_shareable(Course(code="red-lessons-course",
                                         title=f"{MARKER} lessons course"),
                                  user=carol, markings=Markings(**red))
    module = Module.objects.create(course=course, position=1, title=f"{MARKER} module")
    lesson = Lesson.objects.create(module=module, position=1, title=f"{MARKER} lesson",
                                   body=MARKER)
    found = LessonFile.objects.create(lesson=lesson, name=f"{MARKER}.txt",
                                      content_type="text/plain", size=1, sha256="0" * 64,
                                      stored_as="training/none.bin")
    return course, module, lesson, found


def _red_quiz(enrolment: Any) -> tuple[Any, Any, Any, Any]:
    from vaka.training.models import Attempt, Module, Question, Quiz

    module = Module.objects.create(course=enrolment.session.course, position=1,
                                   title=f"{MARKER} quiz module")
    quiz = Quiz.objects.create(module=module, position=1, title=f"{MARKER} quiz",
                               intro=MARKER)
    question = Question.objects.create(quiz=quiz, position=1, kind="short", text=MARKER,
                                       accepted=[MARKER])
    attempt = Attempt.objects.create(participant=enrolment.participant, quiz=quiz, number=1,
                                     device="0" * 64)
    return module, quiz, question, attempt


def _red_certificate(carol: Any, red: dict[str, Any], alice: Any, country: Any
                     ) -> tuple[Any, Any, Any]:
    import datetime as dt

    from vaka.directory.models import Programme
    from vaka.policy.services import create_shareable
    from vaka.training.models import (
        Certificate,
        Completion,
        Course,
        Enrolment,
        Participant,
        Requirement,
        Session,
    )

    programme = Programme.objects.create(code="walk-programme", name="Walk programme")
    with transaction.atomic():
        course = create_shareable(Course(code="red-certificate-course",
                                         title=f"{MARKER} certified course"),
                                  user=carol, markings=Markings(**red))
    person = Participant.objects.create(user=alice, given_name=MARKER, family_name="Alice",
                                        organisation=alice.organisation, country=country)
    session = Session.objects.create(course=course, reference=f"{MARKER}-S",
                                     starts=dt.date(2026, 1, 5), ends=dt.date(2026, 1, 6))
    enrolment = Enrolment.objects.create(participant=person, session=session,
                                         completion=Completion.COMPLETE)
    certificate = Certificate.objects.create(
        enrolment=enrolment, name=f"{MARKER} Alice", course_title=course.title,
        completed_on=dt.date(2026, 1, 6))
    requirement = Requirement.objects.create(organisation=alice.organisation,
                                             capability="publish", course=course)
    return certificate, programme, requirement


def _red_people(carol: Any, red: dict[str, Any], alice: Any, country: Any
                ) -> tuple[Any, Any]:
    import datetime as dt

    from vaka.policy.services import create_shareable
    from vaka.training.models import Course, Enrolment, Participant, Session

    unit_e = OrganisationFactory(name="Unit E")
    stranger = Participant.objects.create(given_name=MARKER, family_name="Stranger",
                                          organisation=unit_e, country=country)
    with transaction.atomic():
        course = create_shareable(Course(code="red-people-course",
                                         title=f"{MARKER} people course"),
                                  user=carol, markings=Markings(**red))
    # Alice's person record reaches all of Unit A, bob too (a personal record, not a RED
    # one): it carries no marker; her RED course's records do.
    Participant.objects.filter(user=alice).update(given_name="Alice")
    person = Participant.objects.filter(user=alice).first() or Participant.objects.create(
        user=alice, given_name="Alice", family_name="A", organisation=alice.organisation,
        country=country)
    session = Session.objects.create(course=course, reference=f"{MARKER}-P",
                                     starts=dt.date(2026, 2, 2), ends=dt.date(2026, 2, 3),
                                     self_enrolment=True)
    return stranger, Enrolment.objects.create(participant=person, session=session)


def _released_red_material(carol: Any, red: dict[str, Any]) -> Any:
    from django.utils import timezone

    from vaka.products import services as writing
    from vaka.products.models import Product, Status

    material = writing.create_product(
        user=carol, kind="awareness", markings=Markings(**red), content=writing.Content(
            title=f"{MARKER} material", sections={"what_to_do": MARKER}))
    now = timezone.now()
    material.revisions.update(status=Status.DISSEMINATED, released_at=now)
    Product.objects.filter(pk=material.pk).update(
        status=Status.DISSEMINATED, released_revision=1, released_at=now)
    return material


def _url(world: World, pattern: Pattern) -> str:
    kwargs = {}
    for parameter in pattern.parameters:
        try:
            kwargs[parameter] = PARAMETERS[parameter](world, pattern.name)
        except KeyError:
            pytest.fail(f"{pattern.label}: tell the route walk how to fill {parameter!r} "
                        "(PARAMETERS and PK in tests/web/test_routes.py)")
    return reverse(pattern.name, kwargs=kwargs)


def _call(world: World, client: Client, method: str, url: str, name: str | None) -> Any:
    body = BODIES[name](world) if name in BODIES else {}
    if method == "get":
        return client.get(url)
    if method == "post" and url.startswith(("/api/", "/taxii2/", "/sync/")):
        return client.post(url, body, content_type="application/json")
    if method == "post":
        return client.post(url, body)
    return getattr(client, method)(url, CHANGES, content_type="application/json")


def _content(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login"))


def _problems(world: World, pattern: Pattern, who: str, method: str, url: str,
              response: Any) -> Iterator[str]:
    declared = ROUTES[pattern.name]
    status, where = response.status_code, f"{who} {method.upper()} {url}"
    if status >= 500:
        yield f"{where}: {status}"
    body = _content(response)
    if pattern.name in BODIES:
        body = body.replace(SECRET_VALUE, "")  # the caller's own question, echoed
    if MARKER in body:
        yield f"{where}: {status} shows the RED record's title, text or value"
    if world.object.stix_id not in url and world.object.stix_id.split("--")[1] in body:
        yield f"{where}: {status} shows the RED object's STIX id"
    refused = status in REFUSED or _to_sign_in(response)
    names_red = pattern.name in (RED_NOTE | RED_OBJECT | RED_STIX | RED_NOTICE | RED_PRODUCT
                                 | RED_OPERATION | RED_OPERATION_API | RED_MESSAGE
                                 | RED_RFI | RED_MODULE | RED_LESSON | RED_LESSON_FILE
                                 | {"training:module_create"} | RED_CERTIFICATE | RED_QUIZ
                                 | RED_ATTEMPT
                                 | RED_PERSON | RED_SESSION | RED_ENROLMENT)
    if names_red and not refused:
        yield f"{where}: {status} for a RED record outside the caller's audience"
    if pattern.name in RED_CATALOGUE | RED_CATALOGUE_SESSION and not refused:
        yield f"{where}: {status} for a RED course or session outside its audience"
    if pattern.name in RED_CAMPAIGN | RED_MATERIAL and not refused:
        yield f"{where}: {status} for a RED campaign or material outside its audience"
    if who == "anonymous":
        if declared.exposure is Exposure.PUBLIC and method == "get" and (
                status in (401, 403) or _to_sign_in(response)):
            yield f"{where}: a public route asks for sign-in ({status})"
        if declared.exposure in (Exposure.ADMIN_ONLY, Exposure.AUTHENTICATED_SELF,
                                 Exposure.SIGNED_IN) and not refused:
            yield f"{where}: {status} without sign-in"
    if declared.exposure is Exposure.ADMIN_ONLY and who != "admin" and not refused:
        yield f"{where}: {status} on an admin-only route"
    if declared.exposure is Exposure.ADMIN_ONLY and who == "admin" and method == "get" \
            and status == 404:
        yield f"{where}: 404 for the admin: the walk fills this route with a wrong id"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the walk and rolled back after it; each test runs in its own
    savepoint, so what one route's calls change is gone before the next."""
    with built_once(django_db_blocker):
        yield World()


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p.name in ROUTES],
                         ids=lambda p: p.route)
def test_route_keeps_red_records_from_everyone_outside_their_audience(db, world, pattern):
    url = _url(world, pattern)
    problems = []
    # A PDF route answers with the HTML its PDF would be made from: the marker can be
    # looked for in that, not in a PDF's compressed streams, and WeasyPrint's seconds a
    # PDF are spent where PDFs are read back (tests/web/test_pdf.py and each app's tests).
    with mock.patch("vaka.web.pdf.render_pdf", lambda html, **kwargs: html.encode()):
        for who in ("anonymous", "outsider", "bob", "admin"):
            for method in METHODS:
                client = world.client(getattr(world, who, None))
                response = _call(world, client, method, url, pattern.name)
                problems += _problems(world, pattern, who, method, url, response)
    assert not problems, "\n".join(problems)
    note = Note.objects.get(pk=world.note.pk)
    assert (note.title, note.tlp) == (f"{MARKER} title", "red")
    obj = StixObject.objects.get(pk=world.object.pk)
    assert (obj.name, obj.tlp, obj.revoked) == (f"{MARKER} name", "red", False)


@pytest.mark.parametrize("name", sorted((RED_NOTE | RED_OBJECT | RED_STIX) - {
    "intel:note_delete", "intel:object_revoke"}))  # POST only
def test_alice_reaches_the_red_records_the_walk_calls(db, world, name):
    """The walk's ids are right: the one named recipient gets the records it calls."""
    pattern = next(p for p in PATTERNS if p.name == name and "format" not in p.parameters)
    response = world.client(world.alice).get(_url(world, pattern))
    assert response.status_code == 200, (name, response.status_code)
    if name not in ("object-correlations", "taxii:versions"):
        assert MARKER in _content(response) or world.object.stix_id in _content(response)


@pytest.mark.parametrize("name", ["operations:operation", "operations:targets",
                                  "operations:tasks"])
def test_alice_reaches_the_red_operation_the_walk_calls(db, world, name):
    url = reverse(name, args=[world.operation.pk])
    response = world.client(world.alice).get(url)
    assert response.status_code == 200 and MARKER in _content(response), name


@pytest.mark.parametrize("name", ["messaging:message", "messaging:reply"])
def test_alice_reaches_the_red_message_the_walk_calls(db, world, name):
    response = world.client(world.alice).get(reverse(name, args=[world.message.pk]))
    assert response.status_code == 200 and MARKER in _content(response), name


def test_the_red_rfis_recipient_reaches_its_answer_form_and_alice_may_close_it(db, world):
    answering = Client()
    answering.force_login(world.cora)
    response = answering.get(reverse("messaging:rfi_answer", args=[world.rfi.message_id]))
    assert response.status_code == 200 and MARKER in _content(response)
    # alice is on the asking side: not asked, but she sees the RFI (403, not 404).
    assert world.client(world.alice).get(
        reverse("messaging:rfi_answer", args=[world.rfi.message_id])).status_code == 403


def test_correlations_answer_with_a_format_suffix(db, world):
    """The router's ``.json`` suffix reached the action as an unexpected keyword: 500."""
    url = reverse("object-correlations", kwargs={"pk": world.object.pk, "format": "json"})
    assert world.client(world.alice).get(url).status_code == 200
    assert world.client(world.bob).get(url).status_code == 404


@pytest.mark.parametrize("name", ["object-remark", "object-revoke"])
def test_bulk_corrections_answer_with_a_format_suffix(db, world, name):
    """Same for the bulk actions; and a selection naming a RED record its caller may not
    see leaves it alone."""
    url = reverse(name, kwargs={"format": "json"})
    response = world.client(world.bob).post(url, BODIES[name](world),
                                            content_type="application/json")
    assert response.status_code < 500
    obj = StixObject.objects.get(pk=world.object.pk)
    assert (obj.tlp, obj.revoked) == ("red", False)


@pytest.mark.parametrize("name", ["training:course", "training:session"])
def test_alice_reaches_the_red_catalogue_course_and_session(db, world, name):
    pk = world.catalogue_course.pk if name == "training:course" else (
        world.catalogue_session.pk)
    response = world.client(world.alice).get(reverse(name, args=[pk]))
    assert response.status_code == 200 and MARKER in _content(response), name
