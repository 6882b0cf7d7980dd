"""xAPI statements: built from what is stored, deterministic, seen only where the person
and the course are; sent to an LRS in batches with the version header, retried, once."""

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from tests.ports import serve_in_background
from vaka.directory.models import Country
from vaka.training import xapi
from vaka.training.models import (
    Attempt,
    Attendance,
    Completion,
    Enrolment,
    Lesson,
    LessonProgress,
    Module,
    Participant,
    Quiz,
    Session,
    XapiOutbox,
)

BASE = "https://vaka.example.org"


@pytest.fixture
def progress(world, settings):
    settings.BASE_URL = BASE
    w = world
    module = Module.objects.create(course=w.course, title="Evidence")
    lesson = Lesson.objects.create(module=module, title="Seizing a phone")
    quiz = Quiz.objects.create(module=module, title="Check", pass_mark=70)
    start = timezone.now() - dt.timedelta(minutes=12)
    w.attendance = Attendance.objects.create(enrolment=w.enrolment, day=w.session.starts)
    Attendance.objects.create(enrolment=w.enrolment, day=w.session.ends, present=False)
    w.read = LessonProgress.objects.create(participant=w.officer, lesson=lesson)
    w.attempt = Attempt.objects.create(
        participant=w.officer, quiz=quiz, number=1, state=Attempt.State.SUBMITTED,
        started_at=start, submitted_at=start + dt.timedelta(seconds=754), device="d",
        score=Decimal("85.50"), passed=True)
    Enrolment.objects.filter(pk=w.external_enrolment.pk).update(
        completion=Completion.FAIL, completed_at=timezone.now(), post_score=Decimal(40))
    w.enrolment.completion = Completion.PASS
    w.enrolment.completed_at = timezone.now()
    w.enrolment.post_score = Decimal(90)
    w.enrolment.save()
    return w


def statements(user, **filters):
    return list(xapi.statements_for(user, xapi.Filters(**filters)))


def check_structure(statement):
    """xAPI 1.0.3's requirements on a statement, as far as a statement alone shows them."""
    uuid.UUID(statement["id"])
    assert {"actor", "verb", "object"} <= set(statement)
    agent = statement["actor"]
    assert agent["objectType"] == "Agent"
    identifiers = [key for key in ("mbox", "mbox_sha1sum", "openid", "account") if key in agent]
    assert len(identifiers) == 1  # exactly one inverse functional identifier
    if "mbox" in agent:
        assert agent["mbox"].startswith("mailto:")
    else:
        assert set(agent["account"]) == {"homePage", "name"}
    assert statement["verb"]["id"].startswith("http://adlnet.gov/expapi/verbs/")
    assert statement["verb"]["display"]["en-US"]
    activity = statement["object"]
    assert activity["objectType"] == "Activity" and activity["id"].startswith(BASE + "/")
    assert activity["definition"]["type"].startswith("http://adlnet.gov/expapi/activities/")
    assert statement["timestamp"].endswith("Z")
    dt.datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
    score = statement.get("result", {}).get("score")
    if score:
        assert -1 <= score["scaled"] <= 1 and score["min"] <= score["raw"] <= score["max"]
    context = statement.get("context", {})
    if "registration" in context:
        uuid.UUID(context["registration"])
    for group in context.get("contextActivities", {}).values():
        assert all(a["id"].startswith(BASE + "/") for a in group)


def test_every_kind_of_progress_makes_a_valid_statement(progress):
    found = statements(progress.trainer)
    for statement in found:
        check_structure(statement)
    verbs = sorted(s["verb"]["display"]["en-US"] for s in found)
    # One day attended (the absent day says nothing), a lesson read, a quiz passed, and
    # two course completions: one passed, one failed.
    assert verbs == ["attended", "experienced", "failed", "passed", "passed"]


def test_a_quiz_attempt_carries_its_score_success_and_duration(progress):
    attempt = xapi.attempted(progress.attempt)
    assert attempt["result"] == {"completion": True, "success": True, "duration": "PT12M34S",
                                 "score": {"scaled": 0.855, "raw": 85.5, "min": 0, "max": 100}}
    assert attempt["context"]["registration"] == str(progress.attempt.pk)
    assert attempt["object"]["id"] == f"{BASE}/training/xapi/activities/quiz/" \
                                      f"{progress.attempt.quiz_id}"


def test_a_course_failed_is_not_success_and_not_completion(progress):
    failed = xapi.finished(Enrolment.objects.get(pk=progress.external_enrolment.pk))
    assert failed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/failed"
    assert failed["result"]["success"] is False and failed["result"]["completion"] is False
    assert failed["object"]["id"] == f"{BASE}/training/xapi/activities/course/cyber-101"


def test_the_actor_is_the_email_when_known_else_an_account_here(progress):
    w = progress
    assert xapi.actor(w.external)["mbox"] == "mailto:tavita@police.example.ws"
    nobody = Participant.objects.create(given_name="Ana", family_name="Lee",
                                        organisation=w.fiji_unit,
                                        country=Country.objects.get(code="FJ"))
    assert xapi.actor(nobody)["account"] == {"homePage": BASE, "name": str(nobody.pk)}


def test_statement_ids_are_deterministic_and_differ_by_verb(progress):
    first = [s["id"] for s in statements(progress.trainer)]
    assert first == [s["id"] for s in statements(progress.trainer)]
    assert len(set(first)) == len(first)
    assert xapi.statement_id("enrolment", 1, "passed") != xapi.statement_id(
        "enrolment", 1, "failed")


def test_an_outsider_exports_nothing_and_an_organisation_only_its_people(progress, client):
    w = progress
    assert statements(w.ph_admin) == []
    client.force_login(w.ph_analyst)
    response = client.get("/training/xapi/statements.json")
    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert json.loads(b"".join(response.streaming_content)) == {"statements": [], "more": ""}
    names = {s["actor"]["name"] for s in statements(w.samoa_analyst)}
    assert names == {"Tavita Leota"}


def test_filters_narrow_the_export_and_a_bad_one_is_named(progress, client):
    w = progress
    assert {s["actor"]["name"] for s in statements(w.trainer, participant=w.officer.pk)} == {
        "Mere Vula"}
    other = Session.objects.create(course=w.course, reference="TRN-2026-002",
                                   starts=dt.date(2027, 1, 4), ends=dt.date(2027, 1, 8))
    assert statements(w.trainer, session=other.pk) == []
    assert statements(w.trainer, since=timezone.now() + dt.timedelta(days=400)) == []
    client.force_login(w.trainer)
    response = client.get("/training/xapi/statements.json?since=yesterday&course=x")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"since", "course"}


# --- sending ------------------------------------------------------------------------------

class LRS:
    """A learning record store on a loopback port: answers ``codes`` in turn, then 200."""

    def __init__(self, codes):
        self.codes, self.requests = list(codes), []
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                lrs.requests.append((self.path, dict(self.headers), json.loads(body)))
                code = lrs.codes.pop(0) if lrs.codes else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/xapi"
        self.thread = serve_in_background(self.http)

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def lrs(settings):
    server = LRS([503])
    settings.XAPI_LRS_URL = server.url
    settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD = "vaka", "s3cret"
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    yield server
    server.stop()


def test_the_hook_queues_after_commit_and_only_once(progress, lrs,
                                                    django_capture_on_commit_callbacks):
    w = progress
    with django_capture_on_commit_callbacks(execute=True):
        xapi.queue(w.enrolment, w.attendance)
    with django_capture_on_commit_callbacks(execute=True):
        xapi.queue(w.enrolment)
    assert XapiOutbox.objects.count() == 2


def test_without_an_lrs_nothing_is_queued(progress, settings,
                                          django_capture_on_commit_callbacks):
    settings.XAPI_LRS_URL = ""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        xapi.queue(progress.enrolment)
    assert callbacks == [] and xapi.send_due() == {}


def test_the_sender_posts_batches_retries_a_503_and_sends_each_once(progress, lrs):
    xapi.enqueue(statements(progress.trainer))
    now = timezone.now()
    assert xapi.send_due(now) == {"sent": 0, "failed": 5}
    row = XapiOutbox.objects.first()
    assert row.attempts == 1 and "503" in row.last_error and row.sent_at is None
    assert xapi.send_due(now) == {"sent": 0, "failed": 0}  # not yet due again
    later = row.next_attempt_at
    assert xapi.send_due(later) == {"sent": 5, "failed": 0}
    assert xapi.send_due(later + dt.timedelta(days=2)) == {"sent": 0, "failed": 0}
    assert len(lrs.requests) == 2
    path, headers, body = lrs.requests[-1]
    assert path == "/xapi/statements"
    assert headers["X-Experience-API-Version"] == "1.0.3"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"vaka:s3cret").decode()
    assert sorted(s["id"] for s in body) == sorted(
        str(r.statement_id) for r in XapiOutbox.objects.all())
    # Queued again (a resend of the same progress): already there, not sent twice.
    assert xapi.enqueue(statements(progress.trainer)) == 0
    assert xapi.send_due(later + dt.timedelta(days=3)) == {"sent": 0, "failed": 0}


def test_the_scheduler_round_sends_the_statements(progress, lrs):
    from vaka.exchange import scheduler

    lrs.codes = []
    xapi.enqueue(statements(progress.trainer)[:1])
    assert scheduler.run_due()["xapi"] == {"sent": 1, "failed": 0}


def test_the_services_queue_attendance_and_completion(world, lrs,
                                                      django_capture_on_commit_callbacks):
    from vaka.training import enrolments

    w = world
    with django_capture_on_commit_callbacks(execute=True):
        enrolments.record_attendance(w.trainer, w.session, w.session.starts,
                                     [w.enrolment.pk])
        enrolments.set_completion(w.trainer, w.enrolment, Completion.COMPLETE)
    verbs = sorted(r.statement["verb"]["display"]["en-US"] for r in XapiOutbox.objects.all())
    assert verbs == ["attended", "completed"]


def test_reading_a_lesson_queues_an_experienced_statement_once(
        world, lrs, django_capture_on_commit_callbacks):
    from vaka.training import lessons
    from vaka.training.models import Lesson, Module

    w = world
    module = Module.objects.create(course=w.course, title="Evidence")
    lesson = Lesson.objects.create(module=module, title="Seizing a phone")
    with django_capture_on_commit_callbacks(execute=True):
        lessons.mark_read(w.fiji_officer, lesson)
        lessons.mark_read(w.fiji_officer, lesson)  # again: nothing more
    verbs = [r.statement["verb"]["display"]["en-US"] for r in XapiOutbox.objects.all()]
    assert verbs == ["experienced"]
