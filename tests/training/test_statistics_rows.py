"""The statistics' rows (training.trained): each service that changes what a row copies
leaves the rows in step — an enrolment, its scores and completion, a withdrawal and the
promotion it makes, a session's dates and cancellation, a person's details and a merge, a
course's programme — and ``vaka training_statistics`` checks and rebuilds them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from vaka.directory.models import Programme
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.training import courses, enrolments, participants, trained
from vaka.training.models import Enrolment, Participant, Session, TrainedEnrolment


def row(enrolment: Enrolment) -> TrainedEnrolment | None:
    return TrainedEnrolment.objects.filter(enrolment_id=enrolment.pk).first()


def test_the_world_has_a_row_per_enrolment_copied_from_all_four(world):
    w = world
    r = row(w.enrolment)
    assert (r.participant_id, r.session_id, r.course_id, r.programme_id) == (
        w.officer.pk, w.session.pk, w.course.pk, "blue-pacific")
    assert (r.starts, r.ends, r.year, r.gender, r.country_id, r.organisation_id) == (
        dt.date(2026, 11, 2), dt.date(2026, 11, 6), 2026, "female", "FJ", w.fiji_unit.pk)
    assert trained.differences() == 0


def test_scores_completion_and_withdrawal_with_promotion_follow(world):
    w = world
    enrolments.record_scores(w.trainer, w.enrolment, pre="40", post="75")
    enrolments.set_completion(w.trainer, w.enrolment, "pass")
    r = row(w.enrolment)
    assert (r.pre_score, r.post_score, r.completion) == (Decimal(40), Decimal(75), "pass")
    waiting = Participant.objects.create(given_name="Losa", family_name="Tui",
                                         organisation=w.fiji_unit, country_id="FJ")
    queued = enrolments.enrol(w.fiji_admin, w.session, waiting)  # the session is full
    assert queued.status == Enrolment.Status.WAITLISTED and row(queued) is None
    promoted = enrolments.withdraw(w.trainer, w.external_enrolment)
    assert promoted.pk == queued.pk and row(queued) is not None
    assert row(w.external_enrolment) is None
    assert trained.differences() == 0


def test_a_session_moved_or_cancelled_moves_or_drops_its_rows(world):
    w = world
    details = courses.SessionDetails.of(w.session)
    details.starts, details.ends = dt.date(2025, 3, 3), dt.date(2025, 3, 7)
    courses.update_session(w.trainer, w.session, details)
    assert (row(w.enrolment).starts, row(w.enrolment).year) == (dt.date(2025, 3, 3), 2025)
    courses.cancel_session(w.trainer, w.session)
    assert not TrainedEnrolment.objects.filter(session=w.session).exists()
    assert trained.differences() == 0


def test_a_person_changed_or_merged_and_a_course_moved_to_another_programme(world):
    w = world
    participants.update_participant(w.fiji_admin, w.officer, gender="another")
    assert row(w.enrolment).gender == "another"
    other = Session.objects.create(course=w.course, reference="TRN-2026-009",
                                   starts=w.session.starts, ends=w.session.ends)
    duplicate = Participant.objects.create(given_name="Mere", family_name="Vula",
                                           organisation=w.fiji_unit, country_id="FJ")
    moved = Enrolment.objects.create(participant=duplicate, session=other)
    participants.merge_participants(w.fiji_admin, w.officer, duplicate)
    assert row(moved).participant_id == w.officer.pk  # moved by an update, refreshed
    Programme.objects.create(code="pacific-two", name="Pacific Two")
    details = courses.CourseDetails.of(w.course)
    details.programme = "pacific-two"
    courses.update_course(w.trainer, w.course, details, Markings(
        distribution=Distribution.MEMBERS, tlp=TLP.GREEN))
    assert set(TrainedEnrolment.objects.values_list("programme_id", flat=True)) == {
        "pacific-two"}
    assert trained.differences() == 0


def test_the_command_checks_and_rebuilds_rows_changed_behind_its_back(world, capsys):
    w = world
    Enrolment.objects.filter(pk=w.enrolment.pk).update(completion="pass")  # no save()
    TrainedEnrolment.objects.filter(enrolment_id=w.external_enrolment.pk).delete()
    with pytest.raises(CommandError, match="2 training statistics rows differ"):
        call_command("training_statistics", "--check")
    call_command("training_statistics")
    assert "2 training statistics rows rebuilt" in capsys.readouterr().out
    assert row(w.enrolment).completion == "pass"
    call_command("training_statistics", "--check")
    assert "in step" in capsys.readouterr().out


def test_every_column_is_read_through_a_field_whose_save_rewrites_the_rows():
    """Each path in trained.COLUMNS ends on a field of Enrolment, Session, Course or
    Participant that WATCHED names, so a save that changes it rewrites the rows."""
    from vaka.training.models import Course

    seen = set()
    for expression in trained.COLUMNS.values():
        path = (expression.name if hasattr(expression, "name")
                else expression.source_expressions[0].name)
        model, *hops, last = [Enrolment, *path.split("__")]
        for hop in hops:
            field = model._meta.get_field(hop)
            assert hop in trained.WATCHED[model], (path, hop)
            model = field.related_model
        field = model._meta.get_field(last.removesuffix("_id") if last != "pk" else "id")
        if field.name != "id":
            assert field.name in trained.WATCHED[model], path
        seen.add(model)
    assert seen == {Enrolment, Session, Course, Participant}


def test_a_save_of_other_fields_leaves_the_rows_alone(world, django_assert_num_queries):
    w = world
    w.officer.rank = "Inspector"
    with django_assert_num_queries(1):  # the UPDATE alone
        w.officer.save(update_fields=["rank"])
    w.officer.gender = "another"
    w.officer.save(update_fields=["gender"])
    assert row(w.enrolment).gender == "another"


def test_courses_beyond_one_integer_of_bits_are_counted(world):
    """More courses than one integer's bits: a person's courses span two integers, and
    each topic and programme still counts them once."""
    from vaka.training.models import Course
    from vaka.training.statistics import training_figures

    w = world
    made = [Course.objects.create(owner=w.centre, code=f"c-{n}", title=f"C {n}",
                                  topics=["leadership"], programme=None,
                                  distribution=Distribution.MEMBERS, tlp=TLP.GREEN)
            for n in range(70)]
    for course in (made[0], made[-1]):
        session = Session.objects.create(course=course, reference=f"R-{course.pk}",
                                         starts=dt.date(2026, 1, 5),
                                         ends=dt.date(2026, 1, 6))
        Enrolment.objects.create(participant=w.external, session=session)
    f = training_figures(w.coordinator)
    assert dict(f.by_topic)["leadership"] == 1
    assert f.people == 2 and dict(f.by_year) == {2026: 2}
