"""Visibility channel of the training pages, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others, on the training world of
``channels_training`` (``built``: a course per note with the note's markings, its module,
lesson and lesson file, quiz, question and session, trainers, people enrolled in two
sessions each with attendance, a certificate, lesson progress and an attempt) and its
reference (``courses_seen``, ``people_seen``; an enrolment and what hangs on it where both
its person and its course are seen).

As the random world's user (anonymous: every page but ``/verify/`` asks to sign in), the
lists, figures and the verification page are asked on every world; the pages, downloads
and POSTs on one record a share of them each (``_asks``: one in ``SHARE``, in turn), on a
record picked in turn (``_pick``), so that a run of worlds asks every route many times, of
records inside and outside the audience:

* a page or download of a record outside the reference is 404 (GET and POST), and a POST
  changes nothing (``_state``);
* no page names a course, module, lesson, lesson file, quiz, question, session or person
  outside the reference (the ``secret-…-x`` markers, ``SECRET-<i>`` references);
* lists hold exactly the expected markers: the catalogue, the sessions, the participants
  (and their duplicates), a session's enrolled people, its attendance sheet and scores,
  a person's sessions and certificates;
* the statistics page, its CSV and the donor report (XLSX read with openpyxl, PDF text
  with pypdf) count only the enrolments seen, and list only the sessions held in them; the
  xAPI statements name only the people and courses of the enrolments seen;
* ``/verify/<code>/`` shows a certificate's name and course to anyone (by design), and no
  other record.

Cost: about twenty requests a world. WeasyPrint takes a second or more a PDF, so one world
in ``REAL_PDF`` renders the PDFs and reads their text back; the others read the HTML they
are rendered from (``_pdfs``); the donor report is read as XLSX and as PDF in turn.
"""

import io
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.policy.channels_training import Training, built, courses_seen, people_seen
from vaka.training.models import (
    Attempt,
    Attendance,
    Certificate,
    Course,
    Enrolment,
    Lesson,
    LessonFile,
    LessonProgress,
    Module,
    Participant,
    Question,
    Quiz,
    Session,
)

COURSE_MARKERS = ("secret-course-{}-x", "secret-module-{}-x", "secret-lesson-{}-x",
                  "secret-lessonfile-{}-x", "secret-quiz-{}-x", "secret-question-{}-x",
                  "SECRET-{}")
COURSES = re.compile(r"secret-course-(\d+)-x")
SESSIONS = re.compile(r"SECRET-(\d+)")
PEOPLE = re.compile(r"secret-(person|trainer) (\d+)-x")
COUNT = re.compile(r"(\d+) results?<")
FILE_BODY = b"lesson file body"
SHARE = 3
REAL_PDF = 8


class _Reference:
    """What the user may see of the training world, by note index."""

    def __init__(self, user, visible: set[int], notes: list, t: Training) -> None:
        self.t = t
        self.n = len(notes)
        # Which share of the routes this world asks, and of which record (``_asks``).
        self.key = len(notes) + len(visible)
        seen = courses_seen(visible, notes, t)
        self.courses = {i for i in range(self.n) if t.courses[i].pk in seen}
        self.people = people_seen(user, t)
        index = {s.pk: i for i, s in enumerate(t.sessions)}
        self.enrolments = [e for e in t.enrolments if e.participant_id in self.people
                           and index[e.session_id] in self.courses]
        self.session_of = {e.pk: index[e.session_id] for e in t.enrolments}

    def names(self) -> set[tuple[str, int]]:
        """The people seen, as the ``PEOPLE`` pattern reads them."""
        return ({("person", i) for i, p in enumerate(self.t.people) if p.pk in self.people}
                | {("trainer", i) for i, p in enumerate(self.t.trainers)
                   if p.pk in self.people})

    def enrolled(self, session: int) -> set[tuple[str, int]]:
        """The people seen enrolled in the ``session``-th session."""
        return {("person", self.t.people.index(e.participant)) for e in self.enrolments
                if self.session_of[e.pk] == session}

    def secrets(self) -> list[str]:
        """Every marker of what the user may not see."""
        hidden = [m.format(i) for i in range(self.n) if i not in self.courses
                  for m in COURSE_MARKERS]
        return hidden + [f"secret-{kind} {i}-x" for kind, people in (
            ("person", self.t.people), ("trainer", self.t.trainers))
            for i, p in enumerate(people) if p.pk not in self.people]


def _pick(indexes: list, route: int) -> object | None:
    """The record a route asks for in this world: each in turn, by the route's number."""
    return indexes[route % len(indexes)] if indexes else None


def _asks(ref: _Reference, number: int) -> bool:
    """Whether this world asks the ``number``-th route on one record: one in ``SHARE``, in
    turn, so that a run of worlds asks each many times at a fraction of the cost."""
    return (number + ref.key) % SHARE == 0


@contextmanager
def _pdfs(ref: _Reference) -> Iterator[None]:
    """WeasyPrint takes a second or more a PDF: one world in ``REAL_PDF`` renders them and
    reads their text back (pypdf); the others get the HTML they are made from."""
    if ref.key % REAL_PDF == 0:
        yield
        return
    with mock.patch("vaka.web.pdf.render_pdf", lambda html, **kwargs: html.encode()):
        yield


def _state() -> list:
    """What the training pages' POSTs could change, to compare before and after."""
    return [
        list(Enrolment.objects.order_by("pk").values_list(
            "pk", "participant", "session", "status", "pre_score", "post_score",
            "completion")),
        list(Attendance.objects.order_by("pk").values_list("pk", "day", "present")),
        list(Certificate.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(Attempt.objects.order_by("pk").values_list("pk", "state", "answers")),
        list(LessonProgress.objects.order_by("pk").values_list("pk")),
        list(Course.objects.order_by("pk").values_list("pk", "archived_at", "title")),
        list(Session.objects.order_by("pk").values_list("pk", "cancelled_at", "place")),
        list(Participant.objects.order_by("pk").values_list("pk", "merged_into",
                                                            "family_name")),
        *(list(model.objects.order_by("pk").values_list("pk", "position"))
          for model in (Module, Lesson, Quiz, Question)),
        list(LessonFile.objects.order_by("pk").values_list("pk")),
    ]


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _count(page: str) -> int:
    """A list's "N results" (none shown: 0)."""
    found = COUNT.search(page)
    return int(found.group(1)) if found else 0


def _figure(page: str, name: str) -> int:
    found = re.search(rf'id="figure-{name}">(\d+)', page)
    assert found, name
    return int(found.group(1))


def _pdf(content: bytes) -> str:
    if not content.startswith(b"%PDF"):
        return content.decode()  # the HTML, in most worlds (``_pdfs``)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def check_training_pages(user, visible: set[int], notes: list) -> None:
    """The module docstring's checks, as ``user``; the pages each helper asks are written
    out here so that the route test finds them (``tests/web/test_routes.py``)."""

    def _signed_in(web: Client, ref: _Reference, user) -> None:
        secrets = ref.secrets()

        def hides(text: str, where: str) -> str:
            for secret in secrets:
                assert secret not in text, (where, secret)
            return text

        def get(path: str, where: str, params: dict | None = None) -> str:
            response = web.get(path, params or {})
            assert response.status_code == 200, (where, response.status_code)
            return hides(_text(response), where)

        _lists(get, ref)
        _records(web, hides, ref)
        _figures(get, web, hides, ref)
        _posts(web, ref, user)

    def _verify(web: Client, certificate: Certificate, ref: _Reference) -> None:
        """The public page: the certificate's name, course and date, for anyone, and no other
        record of the world (the person's other course, sessions, modules, trainers)."""
        page = _text(web.get(f"/verify/{certificate.code}/"))
        assert certificate.name in page and certificate.course_title in page
        shown = {f"secret-course-{i}-x" for i in range(ref.n)} - {certificate.course_title}
        others = [m.format(i) for i in range(ref.n) for m in COURSE_MARKERS[1:]]
        for secret in [*shown, *others, "secret-trainer"]:
            assert secret not in page, ("verify", secret)

    def _lists(get, ref: _Reference) -> None:
        """The lists hold exactly what the reference gives."""
        catalogue = get("/training/", "catalogue")
        assert {int(i) for i in COURSES.findall(catalogue)} == ref.courses
        sessions = get("/training/sessions/", "sessions")
        assert {int(i) for i in SESSIONS.findall(sessions)} == ref.courses
        assert _count(catalogue) == _count(sessions) == len(ref.courses)
        people = get("/training/participants/", "participants", {"page_size": 100})
        assert {(k, int(i)) for k, i in PEOPLE.findall(people)} == ref.names()
        assert _count(people) == len(ref.names())
        duplicates = get("/training/participants/duplicates", "duplicates")
        assert {(k, int(i)) for k, i in PEOPLE.findall(duplicates)} <= ref.names()

    def _records(web: Client, hides, ref: _Reference) -> None:
        """Each page on one record, once a world, on a record picked in turn: 404 outside the
        reference, the record's own lists exactly inside it."""
        t, everyone = ref.t, list(range(ref.n))
        module = {i: t.courses[i].modules.get() for i in everyone}
        lesson = {i: module[i].lessons.get() for i in everyone}
        quiz = {i: module[i].quizzes.get() for i in everyone}
        routes = {
            "course": lambda i: f"/training/courses/{t.courses[i].pk}/",
            "course_edit": lambda i: f"/training/courses/{t.courses[i].pk}/edit",
            "session_create": lambda i: f"/training/courses/{t.courses[i].pk}/sessions/new",
            "module_create": lambda i: f"/training/courses/{t.courses[i].pk}/modules/new",
            "session": lambda i: f"/training/sessions/{t.sessions[i].pk}/",
            "session_edit": lambda i: f"/training/sessions/{t.sessions[i].pk}/edit",
            "session_trainers": lambda i: f"/training/sessions/{t.sessions[i].pk}/trainers",
            "attendance": lambda i: f"/training/sessions/{t.sessions[i].pk}/attendance",
            "scores": lambda i: f"/training/sessions/{t.sessions[i].pk}/scores",
            "module": lambda i: f"/training/modules/{module[i].pk}/",
            "module_edit": lambda i: f"/training/modules/{module[i].pk}/edit",
            "module_pdf": lambda i: f"/training/modules/{module[i].pk}/pdf",
            "lesson_create": lambda i: f"/training/modules/{module[i].pk}/lessons/new",
            "quiz_create": lambda i: f"/training/modules/{module[i].pk}/quizzes/new",
            "lesson": lambda i: f"/training/lessons/{lesson[i].pk}/",
            "lesson_edit": lambda i: f"/training/lessons/{lesson[i].pk}/edit",
            "lesson_file": lambda i: f"/training/lesson-files/{lesson[i].files.get().pk}",
            "quiz": lambda i: f"/training/quizzes/{quiz[i].pk}/",
            "quiz_edit": lambda i: f"/training/quizzes/{quiz[i].pk}/edit",
            "question_create": lambda i: f"/training/quizzes/{quiz[i].pk}/questions/new",
            "question_edit": lambda i: f"/training/questions/{quiz[i].questions.get().pk}/edit",
            "bundle_export": lambda i: f"/training/bundles/export/?course={t.courses[i].pk}",
        }
        files = tempfile.TemporaryDirectory()
        storage = override_settings(STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": files.name}},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
        storage.enable()
        try:
            for i in everyone:
                default_storage.save(f"training/channel/{i}.txt", ContentFile(FILE_BODY))
            for number, (name, path) in enumerate(routes.items()):
                if not _asks(ref, number):
                    continue
                i = _pick(everyone, number + ref.key)
                response = web.get(path(i))
                where = (name, i)
                if i not in ref.courses:
                    assert response.status_code == 404, where
                    continue
                assert response.status_code in (200, 403), (where, response.status_code)
                if name == "lesson_file":
                    assert _text(response) == FILE_BODY.decode(), where
                elif name == "module_pdf":
                    hides(_pdf(response.content), where)
                elif response.status_code == 200:
                    page = hides(_text(response), where)
                    if name in ("session", "attendance", "scores"):
                        assert {(k, int(j)) for k, j in PEOPLE.findall(page)
                                if k == "person"} == ref.enrolled(i), where
                    if name == "session":
                        assert (f"secret-trainer {i}-x" in page) == (
                            t.trainers[i].pk in ref.people), where
        finally:
            storage.disable()
            files.cleanup()
        _people_pages(web, hides, ref)

    def _people_pages(web: Client, hides, ref: _Reference) -> None:
        """A person's page lists exactly their enrolments seen, with their certificates; a
        certificate's page and PDF; an attempt's pages."""
        t = ref.t
        everyone = t.people + t.trainers
        person = everyone[_pick(list(range(len(everyone))), ref.n)]
        for path in [f"/training/participants/{person.pk}/",
                     f"/training/participants/{person.pk}/edit"][:2 if _asks(ref, 0) else 1]:
            response = web.get(path)
            if person.pk not in ref.people:
                assert response.status_code == 404, path
                continue
            assert response.status_code in (200, 403), path
            if path.endswith("/") and response.status_code == 200:
                page = hides(_text(response), path)
                theirs = [e for e in ref.enrolments if e.participant_id == person.pk]
                assert {int(i) for i in SESSIONS.findall(page)} == {
                    ref.session_of[e.pk] for e in theirs}, path
                for e in theirs:
                    assert e.certificate.code in page, path
        enrolment = t.enrolments[_pick(list(range(len(t.enrolments))), ref.n + 1)]
        seen = enrolment in ref.enrolments
        for path in [f"/training/certificates/{enrolment.certificate.pk}/",
                     f"/training/certificates/{enrolment.certificate.pk}/pdf/"][ref.key % 2:][:1]:
            response = web.get(path)
            assert response.status_code == (200 if seen else 404), path
            if seen:
                text = (_pdf(response.content) if path.endswith("pdf/")
                        else _text(response))
                assert enrolment.certificate.name in hides(text, path), path
        attempt = Attempt.objects.get(participant=t.people[_pick(list(range(ref.n)), ref.n)])
        seen = attempt.participant_id in ref.people and t.courses.index(
            attempt.quiz.module.course) in ref.courses
        for path in [f"/training/attempts/{attempt.pk}/",
                     f"/training/attempts/{attempt.pk}/result"][ref.key % 2:][:1]:
            response = web.get(path)
            if not seen:
                assert response.status_code == 404, path
            elif response.status_code == 200:
                hides(_text(response), path)

    def _figures(get, web: Client, hides, ref: _Reference) -> None:
        """Statistics, a chart's CSV, the donor report and xAPI: only the enrolments seen."""
        people = len({e.participant_id for e in ref.enrolments})
        sessions = {ref.session_of[e.pk] for e in ref.enrolments}
        page = get("/training/statistics/", "statistics")
        assert (_figure(page, "people"), _figure(page, "sessions")) == (people, len(sessions))
        rows = get("/training/statistics/gender.csv", "gender.csv").splitlines()[1:]
        assert sum(int(row.rsplit(",", 1)[1]) for row in rows) == people, rows
        if ref.key % 2:  # the report as XLSX in one world, as PDF in the next
            book = web.get("/training/statistics/donor-report.xlsx")
            assert book.status_code == 200
            sheets = load_workbook(io.BytesIO(book.content), read_only=True)
            hides(" ".join(str(c) for sheet in sheets.worksheets
                           for row in sheet.iter_rows(values_only=True)
                           for c in row if c is not None), "donor-report.xlsx")
            summary = {row[0]: row[1] for row in sheets["Summary"].iter_rows(values_only=True)}
            assert (summary["People trained"], summary["Enrolments trained"]) == (
                people, len(ref.enrolments)), summary
            held = " ".join(str(row[0]) for row in
                            sheets["Sessions held"].iter_rows(values_only=True))
        else:
            report = web.get("/training/statistics/donor-report.pdf")
            assert report.status_code == 200
            held = hides(_pdf(report.content), "donor-report.pdf")
        assert {int(i) for i in SESSIONS.findall(held)} == sessions
        statements = web.get("/training/xapi/statements.json")
        assert statements.status_code == 200
        answer = json.loads(hides(_text(statements), "xapi"))
        actors = {s["actor"]["name"] for s in answer["statements"]}
        assert actors == {str(e.participant) for e in ref.enrolments}, actors
        named = {int(i) for i in COURSES.findall(json.dumps(answer["statements"]))}
        assert named == sessions, named

    def _posts(web: Client, ref: _Reference, user) -> None:
        """Every POST on a record outside the reference is 404 and changes nothing."""
        t = ref.t
        hidden = [i for i in range(ref.n) if i not in ref.courses]
        strangers = [p for p in t.people + t.trainers if p.pk not in ref.people]
        unseen = [e for e in t.enrolments if e not in ref.enrolments]
        before = _state()
        posts = []
        if (i := _pick(hidden, ref.n)) is not None:
            course, session = t.courses[i].pk, t.sessions[i].pk
            module = t.courses[i].modules.get()
            lesson, quiz = module.lessons.get(), module.quizzes.get()
            posts += [
                (f"/training/courses/{course}/archive", {}),
                (f"/training/courses/{course}/edit", {"title": "walked"}),
                (f"/training/sessions/{session}/cancel", {"reason": "walked"}),
                (f"/training/sessions/{session}/enrol", {"participant": t.people[i].pk}),
                (f"/training/sessions/{session}/self-enrol", {}),
                (f"/training/sessions/{session}/attendance",
                 {"day": "2026-11-02", "present": [e.pk for e in t.enrolments]}),
                (f"/training/sessions/{session}/scores", {}),
                (f"/training/modules/{module.pk}/delete", {}),
                (f"/training/modules/{module.pk}/move", {"direction": "up"}),
                (f"/training/lessons/{lesson.pk}/read", {}),
                (f"/training/lessons/{lesson.pk}/delete", {}),
                (f"/training/lessons/{lesson.pk}/move", {"direction": "up"}),
                (f"/training/lesson-files/{lesson.files.get().pk}/remove", {}),
                (f"/training/quizzes/{quiz.pk}/start", {}),
                (f"/training/quizzes/{quiz.pk}/delete", {}),
                (f"/training/questions/{quiz.questions.get().pk}/delete", {}),
            ]
        if (e := _pick(unseen, ref.n)) is not None:
            posts += [
                (f"/training/enrolments/{e.pk}/withdraw", {}),
                (f"/training/enrolments/{e.pk}/completion", {"completion": "fail"}),
                (f"/training/certificates/{e.certificate.pk}/revoke/", {"reason": "walked"}),
            ]
        attempts = [Attempt.objects.get(participant=person) for i, person in enumerate(t.people)
                    if person.pk not in ref.people or i not in ref.courses]
        if (attempt := _pick(attempts, ref.n)) is not None:
            posts += [(f"/training/attempts/{attempt.pk}/submit", {}),
                      (f"/training/attempts/{attempt.pk}/abandon", {})]
        if (p := _pick(strangers, ref.n)) is not None:
            kept = next((q for q in t.people + t.trainers if q.pk in ref.people), p)
            posts += [(f"/training/participants/{p.pk}/edit", {"family_name": "walked"}),
                      ("/training/participants/merge", {"keep": kept.pk, "duplicate": p.pk})]
            if ref.courses:
                session = t.sessions[min(ref.courses)].pk
                posts.append((f"/training/sessions/{session}/enrol", {"participant": p.pk}))
        for number, (path, body) in enumerate(posts):
            if not _asks(ref, number):
                continue
            response = web.post(path, body)
            assert response.status_code == 404, (path, response.status_code)
        assert _state() == before, user

    t = built(notes)
    ref = _Reference(user, visible, notes, t)
    web = Client()
    certificate = Certificate.objects.get(enrolment=t.enrolments[len(notes) % len(
        t.enrolments)])
    with _pdfs(ref):
        _verify(web, certificate, ref)
        if user is not None:
            web.force_login(user)
            _signed_in(web, ref, user)
        else:
            for path in ("/training/", f"/training/courses/{t.courses[0].pk}/",
                         f"/training/participants/{t.people[0].pk}/",
                         "/training/statistics/"):
                assert web.get(path).status_code == 302  # to sign in


CHANNELS = [check_training_pages]
