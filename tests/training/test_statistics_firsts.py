"""The statistics rows' firsts (training.trained): which of a person's rows is their first
of all, in a year, a programme and a topic, kept right as sessions move, enrolments go and
courses change; the migration that fills them agrees; and the figures counted from them
(the whole view) are those counted person by person, for every viewer and person filter
on varied worlds."""

import datetime as dt
import importlib
import random

import pytest
from django.apps import apps

from tests.factories import OrganisationFactory, UserFactory
from vaka.directory.models import Country, Programme
from vaka.directory.roles import Role
from vaka.policy.markings import TLP, Distribution
from vaka.training import statistics, trained
from vaka.training.models import Completion, Course, Enrolment, Participant, Session, Topic
from vaka.training.models import TrainedEnrolment as Row
from vaka.training.statistics import Filters, training_figures

ALL, YEAR, PROGRAMME = trained.FIRST, trained.FIRST_IN_YEAR, trained.FIRST_IN_PROGRAMME


def bit(topic: str) -> int:
    return trained.topic_bit(topic)


def firsts(*enrolments: Enrolment) -> list[int | None]:
    stored = dict(Row.objects.values_list("enrolment_id", "firsts"))
    return [stored.get(e.pk) for e in enrolments]


@pytest.fixture(name="mere")
def three_rows(world):
    """Mere (the Fiji officer) in three sessions: a 2025 one of a second course (digital
    evidence, no programme), the world's 2026 one (cybercrime investigation and digital
    evidence, Blue Pacific) and a later 2026 one of the second course."""
    w = world
    w.forensics = Course.objects.create(
        owner=w.centre, code="forensics", title="Mobile forensics",
        topics=["digital_evidence"], distribution=Distribution.MEMBERS, tlp=TLP.GREEN)
    w.early = Enrolment.objects.create(participant=w.officer, session=Session.objects.create(
        course=w.forensics, reference="F-2025", starts=dt.date(2025, 3, 3),
        ends=dt.date(2025, 3, 5)))
    w.late = Enrolment.objects.create(participant=w.officer, session=Session.objects.create(
        course=w.forensics, reference="F-2026", starts=dt.date(2026, 12, 7),
        ends=dt.date(2026, 12, 9)))
    return w


def test_each_row_says_what_it_is_the_first_of(mere):
    w = mere
    assert firsts(w.early, w.enrolment, w.late) == [
        ALL | YEAR | PROGRAMME | bit("digital_evidence"),  # programme: none
        YEAR | PROGRAMME | bit("cybercrime_investigation"),  # first 2026, first Blue Pacific
        0]
    assert trained.differences() == 0


def test_firsts_follow_a_session_moved_an_enrolment_withdrawn_or_deleted(mere):
    w = mere
    session = w.early.session
    session.starts, session.ends = dt.date(2027, 1, 4), dt.date(2027, 1, 6)
    session.save()  # now the last: the world's session is Mere's first
    assert firsts(w.enrolment, w.late, w.early) == [
        ALL | YEAR | PROGRAMME | bit("cybercrime_investigation") | bit("digital_evidence"),
        PROGRAMME,  # the first row with no programme
        YEAR]
    w.enrolment.status = Enrolment.Status.WITHDRAWN
    w.enrolment.save()
    assert firsts(w.late, w.early) == [ALL | YEAR | PROGRAMME | bit("digital_evidence"),
                                       YEAR]
    w.late.delete()
    assert firsts(w.early) == [ALL | YEAR | PROGRAMME | bit("digital_evidence")]
    assert trained.differences() == 0


def test_a_course_given_a_topic_or_a_programme_changes_its_peoples_firsts(mere):
    w = mere
    w.forensics.topics = ["digital_evidence", "cyber_safety"]
    w.forensics.save()
    assert firsts(w.early)[0] & bit("cyber_safety")
    w.forensics.programme = w.programme
    w.forensics.save()
    assert firsts(w.early, w.enrolment, w.late) == [
        ALL | YEAR | PROGRAMME | bit("digital_evidence") | bit("cyber_safety"),
        YEAR | bit("cybercrime_investigation"), 0]
    assert trained.differences() == 0


def test_the_command_finds_firsts_changed_behind_its_back(mere):
    Row.objects.update(firsts=0)
    assert trained.differences() == 3
    trained.rebuild()
    assert trained.differences() == 0


def test_the_migration_fills_the_firsts_the_rows_keep(mere):
    migration = importlib.import_module(
        "vaka.training.migrations.0004_trained_enrolment_firsts")
    assert Topic.values == migration.TOPICS  # a new Topic needs a migration that refills
    Row.objects.update(firsts=0)
    migration.fill(apps, None)
    assert trained.differences() == 0


# The whole view against the person-by-person count, on worlds drawn at random.

def build(seed: int) -> list:
    """A world of two programmes, five courses over the topics, sessions over four years
    (some cancelled, some to come), thirty people of three organisations in one to four
    sessions each (some waiting, withdrawn or scored), trainers among them; and its
    readers."""
    rng = random.Random(seed)
    countries = [Country.objects.get_or_create(code=code, defaults={
        "alpha3": f"{code}X", "name": f"Country {code}"})[0] for code in ("FJ", "WS", "TO")]
    orgs = [OrganisationFactory(name=f"Unit {n}", country=countries[n]) for n in range(3)]
    centre = OrganisationFactory(name="Centre", kind="coordination_centre",
                                 country=countries[1])
    programmes = [Programme.objects.create(code=f"p{n}", name=f"Programme {n}")
                  for n in range(2)]
    coordinator = UserFactory(organisation=centre, role=Role.COORDINATOR)
    programmes[0].coordinators.add(coordinator)
    trainer = UserFactory(organisation=centre, role=Role.TRAINER)
    courses = [Course.objects.create(
        owner=centre, code=f"c{n}", title=f"Course {n}",
        topics=rng.sample(Topic.values, rng.randint(0, 3)),
        programme=programmes[0] if n == 0 else rng.choice([*programmes, None]),
        distribution=Distribution.MEMBERS, tlp=TLP.GREEN) for n in range(5)]
    sessions = []
    for n in range(12):  # the first five started, one a course
        starts = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(
            3 * 365 if n < 5 else 4 * 365 + 200))
        sessions.append(Session.objects.create(
            course=courses[n % 5], reference=f"S{n}", starts=starts,
            ends=starts + dt.timedelta(days=rng.randrange(4)),
            cancelled_at=dt.datetime(2023, 1, 1, tzinfo=dt.UTC) if n > 5 and rng.random() < 0.2
            else None))
    people = [Participant.objects.create(
        given_name=f"P{n}", family_name="X", organisation=(org := rng.choice(orgs)),
        country=rng.choice([org.country, *countries]),
        gender=rng.choice(["female", "male", "another", "not_stated"]))
        for n in range(30)]
    trainer_person = Participant.objects.create(user=trainer, given_name="T",
                                                family_name="X", organisation=centre,
                                                country=centre.country)
    for session in rng.sample(sessions, 5):
        session.trainers.add(rng.choice([*people[:5], trainer_person]))
    for n, person in enumerate(people):
        for session in {sessions[n % 5], *rng.sample(sessions, rng.randint(0, 3))}:
            scored = rng.random() < 0.6
            Enrolment.objects.create(
                participant=person, session=session,
                status="enrolled" if session == sessions[n % 5] else rng.choice(
                    ["enrolled"] * 6 + ["waitlisted", "withdrawn"]),
                completion=rng.choice(Completion.values),
                pre_score=rng.randint(0, 60) if scored else None,
                post_score=rng.randint(30, 100) if scored else None)
    readers = [coordinator, trainer, UserFactory(organisation=orgs[0]),
               UserFactory(organisation=orgs[1], role=Role.ORG_ADMIN)]
    return readers, countries, orgs


@pytest.mark.parametrize("seed", range(3))
def test_the_whole_view_counts_what_person_by_person_counts(db, seed, monkeypatch):
    readers, countries, orgs = build(seed)
    assert trained.differences() == 0
    whole = statistics._whole
    seen = []
    for reader in readers:
        for filters in (Filters(), Filters(country=countries[0].code),
                        Filters(organisation=orgs[1].pk)):
            assert whole(statistics._every_course(statistics.visible_course_ids(reader)),
                         filters)
            monkeypatch.setattr(statistics, "_whole", whole)
            fast = training_figures(reader, filters)
            monkeypatch.setattr(statistics, "_whole", lambda *_: False)
            assert training_figures(reader, filters) == fast, (reader.username, filters)
            seen.append(fast)
    coordinator = seen[0]  # the worlds count people in each figure
    assert coordinator.people and coordinator.by_year and coordinator.by_topic
    assert coordinator.by_programme and coordinator.by_course


def test_a_filter_on_the_session_or_a_course_unseen_counts_person_by_person(stats_db):
    courses = list(Course.objects.values_list("pk", flat=True))
    every = statistics._every_course(courses)
    assert every and statistics._whole(every, Filters(country="FJ"))
    for filters in (Filters(programme="p0"), Filters(since=dt.date(2025, 1, 1)),
                    Filters(until=dt.date(2025, 1, 1)), Filters(topic="leadership")):
        assert not statistics._whole(every, filters)
    assert not statistics._every_course(courses[1:])
    assert not statistics._whole(False, Filters())


@pytest.fixture(name="stats_db")
def one_world(db):
    build(0)
