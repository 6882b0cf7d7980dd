"""Visibility channel of training records, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Each note gets a course
carrying the note's markings (owner, author, distribution, TLP, audience) with a module, a
lesson with a file (``stored_as`` names no stored file: a channel that downloads it stores
one), a quiz with a question and a session, written straight to the database. People
are placed by rules of their own, unrelated to the markings (``_place``): each note has a
participant in some organisation, some of them with a user account, enrolled in their
note's session and the next one's, each enrolment with a certificate naming the person
and the course; each session has a trainer (a participant with a user account); every
other course belongs to a programme whose coordinator is a user picked the same way.

The reference, written out plainly: a course and its parts are seen exactly where the
note is. A participant is seen by a signed-in user of the person's organisation, by the
person, by the trainers of the sessions the person is enrolled in and by the coordinators
of those sessions' programmes. An enrolment, its attendance, certificate, lesson progress
and quiz attempts are seen where both the person and the course are.
"""

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from vaka.directory.models import Country, Organisation, Programme, User
from vaka.policy.visibility import can_see, visible_to
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
    TrainedEnrolment,
)

COURSE_PARTS = (Module, Lesson, Quiz, Question, Session)
DAY = dt.date(2026, 11, 2)


class Training:
    """What ``build`` made: per note index, its course, session and person, and the
    people's facts the reference reads."""

    def __init__(self) -> None:
        self.courses: list[Course] = []
        self.sessions: list[Session] = []
        self.people: list[Participant] = []  # the note's participant
        self.trainers: list[Participant] = []
        self.coordinator: int | None = None  # user pk
        self.enrolments: list[Enrolment] = []


def _place(i: int, salt: int, n: int) -> int:
    return (7 * i + 3 * salt + 1) % n


def build(notes: list) -> Training:
    orgs = list(Organisation.objects.filter(name__startswith="org").order_by("pk"))
    users = list(User.objects.filter(username__regex=r"^u[0-9]+$").order_by("pk"))
    country, _ = Country.objects.get_or_create(code="WS", defaults={"alpha3": "WSM",
                                                                    "name": "Samoa"})
    programme = Programme.objects.create(code="channel-programme", name="Channel programme")
    t = Training()
    t.coordinator = users[_place(len(notes), 5, len(users))].pk
    programme.coordinators.add(t.coordinator)
    for i, note in enumerate(notes):
        course = Course.objects.create(
            code=f"secret-course-{i}-x", title=f"secret-course-{i}-x", owner=note.owner,
            created_by=note.created_by, distribution=note.distribution, tlp=note.tlp,
            audience=note.audience, programme=programme if i % 2 == 0 else None)
        module = Module.objects.create(course=course, title=f"secret-module-{i}-x")
        lesson = Lesson.objects.create(module=module, title=f"secret-lesson-{i}-x")
        LessonFile.objects.create(lesson=lesson, name=f"secret-lessonfile-{i}-x.txt",
                                  content_type="text/plain", size=1, sha256="0" * 64,
                                  stored_as=f"training/channel/{i}.txt")
        quiz = Quiz.objects.create(module=module, title=f"secret-quiz-{i}-x")
        Question.objects.create(quiz=quiz, kind="short", text=f"secret-question-{i}-x",
                                accepted=["x"])
        session = Session.objects.create(course=course, reference=f"SECRET-{i}",
                                         starts=DAY, ends=DAY)
        trainer_user = users[_place(i, 2, len(users))]
        if Participant.objects.filter(user=trainer_user).exists():
            trainer_user = None
        trainer = Participant.objects.create(
            user=trainer_user,
            given_name="secret-trainer", family_name=f"{i}-x",
            organisation=orgs[_place(i, 4, len(orgs))], country=country)
        session.trainers.add(trainer)
        person_user = users[_place(i, 3, len(users))] if i % 3 != 1 else None
        if person_user is not None and Participant.objects.filter(user=person_user).exists():
            person_user = None
        person = Participant.objects.create(
            user=person_user, given_name="secret-person", family_name=f"{i}-x",
            organisation=orgs[_place(i, note.pk, len(orgs))], country=country,
            gender="female")
        t.courses.append(course)
        t.sessions.append(session)
        t.people.append(person)
        t.trainers.append(trainer)
    for i, person in enumerate(t.people):
        for j in {i, (i + 1) % len(notes)}:
            enrolment = Enrolment.objects.create(participant=person, session=t.sessions[j],
                                                 completion="pass", completed_at=timezone.now())
            Attendance.objects.create(enrolment=enrolment, day=DAY)
            Certificate.objects.create(enrolment=enrolment, name=str(person),
                                       course_title=t.courses[j].title, completed_on=DAY)
            t.enrolments.append(enrolment)
        module = t.courses[i].modules.get()
        LessonProgress.objects.create(participant=person, lesson=module.lessons.get())
        Attempt.objects.create(participant=person, quiz=module.quizzes.get(), number=1,
                               device="0" * 64)
    return t


def built(notes: list) -> Training:
    """What ``build(notes)`` made for this world, built on the first call, so that the
    training channels share it whichever runs first."""
    codes = [f"secret-course-{i}-x" for i in range(len(notes))]
    courses = {c.code: c for c in Course.objects.filter(code__in=codes)}
    if not courses:
        return build(notes)
    t = Training()
    t.courses = [courses[code] for code in codes]
    t.sessions = [c.sessions.get() for c in t.courses]
    t.trainers = [s.trainers.get() for s in t.sessions]
    t.people = [Participant.objects.get(given_name="secret-person", family_name=f"{i}-x")
                for i in range(len(notes))]
    t.coordinator = Programme.objects.get(code="channel-programme").coordinators.get().pk
    t.enrolments = list(Enrolment.objects.filter(session__in=t.sessions))
    return t


def people_seen(user, t: Training) -> set[int]:
    """The reference: the participants (pks) ``user`` may see."""
    if user is None or not user.is_authenticated:
        return set()
    seen = set()
    everyone = t.people + t.trainers
    for person in everyone:
        same_org = (user.organisation_id is not None
                    and person.organisation_id == user.organisation_id)
        if same_org or person.user_id == user.pk:
            seen.add(person.pk)
    for e in t.enrolments:
        session = t.sessions[t.sessions.index(e.session)]
        trainer = t.trainers[t.sessions.index(session)]
        coordinated = session.course.programme_id is not None and t.coordinator == user.pk
        if trainer.user_id == user.pk or coordinated:
            seen.add(e.participant_id)
    return seen


def courses_seen(visible: set[int], notes: list, t: Training) -> set[int]:
    return {t.courses[i].pk for i, note in enumerate(notes) if note.pk in visible}


def check_training(user, visible: set[int], notes: list) -> None:
    t = built(notes)
    reader = user or AnonymousUser()
    courses = courses_seen(visible, notes, t)
    ours = visible_to(reader, Course.objects.filter(pk__in=[c.pk for c in t.courses]))
    assert set(ours.values_list("pk", flat=True)) == courses
    for part in COURSE_PARTS:
        path = "course_id" if part in (Module, Session) else (
            "module__course_id" if part in (Lesson, Quiz) else "quiz__module__course_id")
        rows = part.objects.filter(**{f"{path}__in": [c.pk for c in t.courses]})
        assert set(visible_to(reader, rows).values_list(path, flat=True)) == courses, part
    people = people_seen(user, t)
    everyone = [p.pk for p in t.people + t.trainers]
    ours = visible_to(reader, Participant.objects.filter(pk__in=everyone))
    assert set(ours.values_list("pk", flat=True)) == people
    for person in t.people:
        assert can_see(reader, person) == (person.pk in people)
    expected = {e.pk for e in t.enrolments
                if e.participant_id in people and e.session.course_id in courses}
    enrolments = Enrolment.objects.filter(pk__in=[e.pk for e in t.enrolments])
    assert set(visible_to(reader, enrolments).values_list("pk", flat=True)) == expected
    # The rule's bulk form (statistics) selects the same rows.
    bulk = visible_to(reader, enrolments, bulk=True)
    assert set(bulk.values_list("pk", flat=True)) == expected
    people_bulk = visible_to(reader, Participant.objects.filter(pk__in=everyone), bulk=True)
    assert set(people_bulk.values_list("pk", flat=True)) == people
    # The statistics' rows of those enrolments (the person's organisation read from the
    # row's copy), in both forms.
    counted = {e.pk for e in t.enrolments if e.status == Enrolment.Status.ENROLLED
               and e.session.cancelled_at is None}
    rows = TrainedEnrolment.objects.filter(enrolment__in=enrolments)
    for bulk_form in (False, True):
        assert set(visible_to(reader, rows, bulk=bulk_form).values_list(
            "pk", flat=True)) == expected & counted, bulk_form
    for model in (Attendance, Certificate):
        rows = model.objects.filter(enrolment__in=enrolments)
        assert set(visible_to(reader, rows).values_list("enrolment_id", flat=True)) == expected
    for model, path in ((LessonProgress, "lesson__module__course_id"),
                        (Attempt, "quiz__module__course_id")):
        rows = model.objects.filter(participant__in=t.people)
        want = {(r.participant_id, getattr_path(r, path)) for r in rows
                if r.participant_id in people and getattr_path(r, path) in courses}
        got = {(r.participant_id, getattr_path(r, path)) for r in visible_to(reader, rows)}
        assert got == want, model


def getattr_path(row, path: str):
    for name in path.removesuffix("_id").split("__"):
        row = getattr(row, name)
    return row.pk


CHANNELS = [check_training]
