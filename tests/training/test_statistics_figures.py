"""Training statistics: each figure on a small world with exact numbers, counted only over
what the viewer may see, and the filters."""

import datetime as dt
from decimal import Decimal

import pytest

from vaka.directory.models import Country
from vaka.policy.markings import TLP, Distribution
from vaka.training.models import Completion, Course, Enrolment, Participant, Session
from vaka.training.statistics import Filters, TrainingFigures, training_figures


@pytest.fixture(name="stats")
def stats_world(world):
    """The test world, plus: scores and completions in the Fiji session; a 2025
    training-of-trainers session in Apia (human rights and gender content) that the Samoa
    officer completed before training others in Fiji; a woman trainer; and enrolments
    that are not training — waiting, in a cancelled session, in a session to come."""
    w = world
    samoa = Country.objects.get(code="WS")
    for enrolment, pre, post, completion in (
            (w.enrolment, 40, 70, Completion.PASS),
            (w.external_enrolment, 50, 60, Completion.FAIL)):
        enrolment.pre_score, enrolment.post_score = pre, post
        enrolment.completion = completion
        enrolment.save()
    w.tot = Course.objects.create(
        owner=w.centre, created_by=w.trainer, code="tot", title="Training of trainers",
        topics=["trainer_development", "gender_equality"], programme=w.programme,
        human_rights_gender=True, gender_marker=1, distribution=Distribution.MEMBERS,
        tlp=TLP.AMBER)
    w.tot_session = Session.objects.create(
        course=w.tot, reference="TRN-2025-009", starts=dt.date(2025, 6, 2),
        ends=dt.date(2025, 6, 4), place="Apia", country=samoa)
    w.ana = Participant.objects.create(given_name="Ana", family_name="Faleolo",
                                       organisation=w.centre, country=samoa, gender="female")
    w.tot_session.trainers.add(w.trainer_person, w.ana)
    Enrolment.objects.create(participant=w.external, session=w.tot_session,
                             completion=Completion.COMPLETE)
    w.session.trainers.add(w.external)
    waiting = Participant.objects.create(given_name="Losa", family_name="Tui",
                                         organisation=w.fiji_unit,
                                         country=Country.objects.get(code="FJ"),
                                         gender="female")
    Enrolment.objects.create(participant=waiting, session=w.session,
                             status=Enrolment.Status.WAITLISTED)
    later = Session.objects.create(course=w.course, reference="TRN-2027-001",
                                   starts=dt.date(2027, 3, 1), ends=dt.date(2027, 3, 5))
    Enrolment.objects.create(participant=waiting, session=later)
    cancelled = Session.objects.create(course=w.course, reference="TRN-2026-002",
                                       starts=dt.date(2026, 5, 1), ends=dt.date(2026, 5, 2),
                                       cancelled_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    Enrolment.objects.create(participant=waiting, session=cancelled)
    return w


def test_coordinator_sees_every_figure(stats):
    f = training_figures(stats.coordinator, Filters())
    assert (f.people, f.enrolments, f.completed, f.passed, f.failed, f.sessions) == (
        2, 3, 2, 1, 1, 2)
    assert f.completion_rate == 66.7 and f.pass_rate == 50.0
    assert f.by_gender == {"female": 1, "male": 1} and f.women_share == 50.0
    assert f.by_country == [("Country FJ", 1), ("Country WS", 1)]
    assert f.by_organisation == [("Fiji Police Cybercrime Unit", 1), ("Samoa TCU", 1)]
    assert f.by_topic == [("cybercrime_investigation", 2), ("digital_evidence", 2),
                          ("gender_equality", 1), ("trainer_development", 1)]
    assert f.by_programme == [("Blue Pacific", 2)]
    assert f.by_year == [(2025, 1), (2026, 2)]


def test_improvement_counts_only_people_with_both_scores(stats):
    f = training_figures(stats.coordinator, Filters())
    assert (f.pairs, f.pre_mean, f.post_mean, f.improvement) == (
        2, Decimal("45.0"), Decimal("65.0"), Decimal("20.0"))
    [course] = f.by_course
    assert (course.title, course.pairs, course.gain) == (
        "Cybercrime investigation foundations", 2, Decimal("20.0"))


def test_trainers_by_gender_and_trainers_who_went_on_to_deliver(stats):
    f = training_figures(stats.coordinator, Filters())
    assert f.trainers_by_gender == {"male": 2, "female": 1}
    assert f.women_trainers_share == 33.3
    assert (f.trainers_trained, f.trainers_delivering) == (1, 1)


def test_a_trainer_trained_who_has_not_delivered_since_is_not_counted(stats):
    stats.session.trainers.remove(stats.external)
    f = training_figures(stats.coordinator, Filters())
    assert (f.trainers_trained, f.trainers_delivering) == (1, 0)


def test_an_organisation_sees_only_its_own_people(stats):
    f = training_figures(stats.fiji_admin, Filters())
    assert (f.people, f.enrolments, f.completed, f.sessions) == (1, 1, 1, 1)
    assert f.by_gender == {"female": 1}
    assert f.by_organisation == [("Fiji Police Cybercrime Unit", 1)]
    assert f.trainers_by_gender == {}  # the Fiji session's trainers are not Fiji's people
    assert (f.pairs, f.improvement) == (1, Decimal("30.0"))


def test_an_outsider_gets_zeros(stats):
    assert training_figures(stats.ph_analyst, Filters()) == TrainingFigures()
    assert training_figures(stats.ph_admin, Filters()) == TrainingFigures()


def test_a_person_the_viewer_sees_in_a_course_they_do_not_is_not_counted(stats):
    Course.objects.filter(pk=stats.course.pk).update(distribution=Distribution.ORGANISATION)
    f = training_figures(stats.fiji_admin, Filters())
    assert f == TrainingFigures()


@pytest.mark.parametrize(("filters", "people", "enrolments"), [
    (Filters(programme="blue-pacific"), 2, 3),
    (Filters(programme="other"), 0, 0),
    (Filters(since=dt.date(2026, 1, 1)), 2, 2),
    (Filters(until=dt.date(2025, 12, 31)), 1, 1),
    (Filters(country="FJ"), 1, 1),
    (Filters(topic="trainer_development"), 1, 1),
    (Filters(topic="leadership"), 0, 0),
])
def test_filters(stats, filters, people, enrolments):
    f = training_figures(stats.coordinator, filters)
    assert (f.people, f.enrolments) == (people, enrolments)


def test_organisation_filter(stats):
    f = training_figures(stats.coordinator, Filters(organisation=stats.samoa_unit.pk))
    assert (f.people, f.enrolments, f.by_gender) == (1, 2, {"male": 1})


@pytest.mark.parametrize("listed", [1000, 0], ids=["lists", "subqueries"])
@pytest.mark.parametrize("every_course", [False, True])
def test_trained_enrolments_are_those_the_policy_shows(stats, listed, every_course,
                                                       monkeypatch):
    """The statistics ask the policy for courses and people apart (the reader's own
    sessions and programmes read first as lists, or as subqueries when there are more
    than ``_LISTED``; the courses only when the reader does not see them all); the rows
    are exactly visible_to(user, Enrolment…)'s."""
    from django.utils import timezone

    from vaka.directory.models import User
    from vaka.policy import visibility
    from vaka.policy.visibility import visible_to
    from vaka.training.statistics import trained_enrolments

    monkeypatch.setattr(visibility, "_LISTED", listed)
    if not every_course:
        Course.objects.filter(pk=stats.tot.pk).update(
            distribution=Distribution.ORGANISATION)
    for user in User.objects.all():
        expected = set(visible_to(user, Enrolment.objects.all()).filter(
            status=Enrolment.Status.ENROLLED, session__cancelled_at__isnull=True,
            session__starts__lte=timezone.localdate()).values_list("pk", flat=True))
        assert set(trained_enrolments(user, Filters()).values_list(
            "pk", flat=True)) == expected, user.username
