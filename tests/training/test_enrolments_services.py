"""Enrolment, the waiting list, attendance, pre/post tests and completion by the course's
rules: who may, what is refused and why, and what outsiders never reach."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vaka.inbox.models import Notice
from vaka.policy.audit import AuditEntry
from vaka.training import enrolments
from vaka.training.models import (
    Attempt,
    Attendance,
    Completion,
    Enrolment,
    Module,
    Participant,
    Quiz,
    Session,
)

DAYS = [dt.date(2026, 11, 2) + dt.timedelta(days=n) for n in range(5)]
ENDED = dt.date(2026, 12, 1)


def person(world, given="Ana", org=None, **fields) -> Participant:
    org = org or world.centre
    return Participant.objects.create(given_name=given, family_name="Example",
                                      organisation=org, country=org.country, **fields)


def future_session(world, **fields) -> Session:
    today = timezone.localdate()
    values = {"course": world.course, "reference": "TRN-2099-001",
              "starts": today + dt.timedelta(days=30), "ends": today + dt.timedelta(days=32),
              "capacity": 5, **fields}
    return Session.objects.create(**values)


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


def test_beyond_capacity_an_enrolment_goes_to_the_waiting_list_with_a_message(world):
    w = world  # the session holds two places, both taken
    first = enrolments.enrol(w.trainer, w.session, person(w, "Ana"))
    second = enrolments.enrol(w.trainer, w.session, person(w, "Bo"))
    assert (first.status, second.status) == (Enrolment.Status.WAITLISTED,) * 2
    assert first.message == ("TRN-2026-001 is full (2 places): Ana Example is on the "
                             "waiting list, number 1.")
    assert enrolments.waiting_place(second) == 2
    assert last("enrol").detail["status"] == "waitlisted"


def test_an_enrolment_with_room_is_enrolled(world):
    w = world
    session = future_session(w)
    enrolment = enrolments.enrol(w.trainer, session, w.officer)
    assert enrolment.status == Enrolment.Status.ENROLLED
    assert enrolment.message == "Mere Vula is enrolled in TRN-2099-001."


def test_withdrawing_moves_the_first_waiting_in_and_tells_their_organisation(world):
    w = world
    waiting = person(w, "Ana", org=w.samoa_unit)
    Enrolment.objects.create(participant=waiting, session=w.session,
                             status=Enrolment.Status.WAITLISTED)
    later = enrolments.enrol(w.trainer, w.session, person(w, "Bo"))
    promoted = enrolments.withdraw(w.fiji_admin, w.enrolment)
    assert promoted.participant == waiting
    assert promoted.status == Enrolment.Status.ENROLLED
    later.refresh_from_db()
    assert later.status == Enrolment.Status.WAITLISTED
    assert enrolments.waiting_place(later) == 1
    notice = Notice.objects.get(kind=Notice.Kind.ENROLMENT)
    assert notice.owner == w.samoa_unit
    assert notice.params["name"] == "Ana Example"
    assert not Notice.objects.filter(kind=Notice.Kind.ENROLMENT, owner=w.fiji_unit).exists()
    assert [e.action for e in AuditEntry.objects.order_by("-seq")[:2]] == ["enrol",
                                                                             "withdraw"]


def test_withdrawing_a_waiting_person_promotes_nobody(world):
    w = world
    waiting = enrolments.enrol(w.trainer, w.session, person(w))
    assert enrolments.withdraw(w.trainer, waiting) is None
    with pytest.raises(ValidationError, match="already withdrawn"):
        enrolments.withdraw(w.trainer, waiting)


def test_re_enrolling_a_withdrawn_person_reactivates_the_enrolment(world):
    w = world
    session = future_session(w)
    enrolment = enrolments.enrol(w.trainer, session, w.officer)
    enrolments.withdraw(w.fiji_officer, enrolment)
    again = enrolments.enrol(w.fiji_admin, session, w.officer)
    assert again.pk == enrolment.pk and again.status == Enrolment.Status.ENROLLED
    with pytest.raises(ValidationError, match="already enrolled"):
        enrolments.enrol(w.fiji_admin, session, w.officer)


def test_a_cancelled_session_takes_nobody(world):
    w = world
    session = future_session(w, cancelled_at=timezone.now())
    with pytest.raises(ValidationError, match="cancelled"):
        enrolments.enrol(w.trainer, session, w.officer)


def test_enrolling_a_person_just_made_keeps_the_source_given(world):
    w = world
    samoan = person(w, "Sina", org=w.samoa_unit)
    assert enrolments.enrol_new(w.trainer, future_session(w), samoan).source == ""
    imported = enrolments.enrol_new(w.trainer, future_session(w, reference="TRN-2099-002"),
                                    samoan, source="moodle")
    assert Enrolment.objects.get(pk=imported.pk).source == "moodle"
    assert AuditEntry.objects.filter(action="enrol").latest("seq").detail["source"] == "moodle"


def test_an_org_admin_enrols_only_their_own_people_and_a_trainer_anyone_seen(world):
    w = world
    session = future_session(w)
    samoan = person(w, "Sina", org=w.samoa_unit)
    w.session.trainers.add(w.trainer_person)
    Enrolment.objects.create(participant=samoan, session=w.session,
                             status=Enrolment.Status.WITHDRAWN)
    with pytest.raises(Participant.DoesNotExist):  # not even seen
        enrolments.enrol(w.fiji_admin, session, samoan)
    assert enrolments.enrol(w.fiji_admin, session, w.officer).status == "enrolled"
    assert enrolments.enrol(w.trainer, session, samoan).status == "enrolled"
    # an admin who sees a person of another organisation (as a session trainer) still
    # enrols only their own people
    w.session.trainers.add(person(w, "Kalo", org=w.fiji_unit, user=w.fiji_admin))
    with pytest.raises(PermissionDenied):
        enrolments.enrol(w.fiji_admin, future_session(w, reference="TRN-2099-002"), samoan)


def test_self_enrolment_only_where_open(world):
    w = world
    session = future_session(w)
    with pytest.raises(PermissionDenied, match="not open to self-enrolment"):
        enrolments.self_enrol(w.samoa_analyst, session)
    session.self_enrolment = True
    session.save()
    enrolment = enrolments.self_enrol(w.samoa_analyst, session)
    assert enrolment.participant.user == w.samoa_analyst
    assert enrolment.source == "self"
    with pytest.raises(Session.DoesNotExist):  # cannot see the course: nothing to enrol in
        w.course.tlp = "amber+strict"
        w.course.save()
        enrolments.self_enrol(w.ph_analyst, session)


def test_attendance_days_outside_the_session_are_refused(world):
    w = world
    for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 7)):
        with pytest.raises(ValidationError) as refused:
            enrolments.record_attendance(w.trainer, w.session, day, [w.enrolment.pk])
        assert "day" in refused.value.message_dict
    assert not Attendance.objects.exists()


def test_attendance_is_recorded_for_enrolled_people_only(world):
    w = world
    waiting = enrolments.enrol(w.trainer, w.session, person(w))
    with pytest.raises(ValidationError) as refused:
        enrolments.record_attendance(w.trainer, w.session, DAYS[0], [waiting.pk])
    assert "Only enrolled people attend" in refused.value.message_dict["present"][0]
    assert enrolments.record_attendance(w.trainer, w.session, DAYS[0], [w.enrolment.pk]) == 1
    marks = dict(Attendance.objects.values_list("enrolment_id", "present"))
    assert marks == {w.enrolment.pk: True, w.external_enrolment.pk: False}
    assert last("attendance").detail["absent"] == [w.external_enrolment.pk]


def test_only_who_runs_the_session_records_and_outsiders_learn_nothing(world):
    w = world
    with pytest.raises(PermissionDenied):
        enrolments.record_attendance(w.fiji_admin, w.session, DAYS[0], [])
    with pytest.raises(Session.DoesNotExist):
        w.course.tlp = "amber+strict"
        w.course.save()
        enrolments.record_attendance(w.ph_admin, w.session, DAYS[0], [])
    with pytest.raises(Enrolment.DoesNotExist):
        enrolments.record_scores(w.ph_admin, w.enrolment, pre=10, post=20)


@pytest.mark.parametrize("pre,post,field", [
    ("101", "50", "pre_score"), ("50", "-1", "post_score"), ("abc", "", "pre_score"),
    ("50", "NaN", "post_score")])
def test_scores_out_of_range_are_refused_by_field(world, pre, post, field):
    w = world
    with pytest.raises(ValidationError) as refused:
        enrolments.record_scores(w.trainer, w.enrolment, pre=pre, post=post)
    assert field in refused.value.message_dict
    w.enrolment.refresh_from_db()
    assert w.enrolment.pre_score is None and w.enrolment.post_score is None


def test_scores_are_stored_and_audited(world):
    w = world
    enrolments.record_scores(w.trainer, w.enrolment, pre="45.5", post="80%")
    w.enrolment.refresh_from_db()
    assert (str(w.enrolment.pre_score), str(w.enrolment.post_score)) == ("45.50", "80.00")
    assert last("test_scores").detail == {"pre_score": "45.50", "post_score": "80.00"}


def attend(enrolment, days):
    for day in days:
        Attendance.objects.create(enrolment=enrolment, day=day)


def test_completion_needs_the_attendance_share(world):
    w = world  # 80 % of five days: four
    w.course.pass_mark = None
    w.course.save()
    attend(w.enrolment, DAYS[:3])
    assert enrolments.evaluate(w.enrolment) == Completion.INCOMPLETE
    attend(w.enrolment, DAYS[3:4])
    assert enrolments.evaluate(w.enrolment) == Completion.COMPLETE


def test_an_online_session_asks_no_attendance(world):
    w = world
    w.course.pass_mark = None
    w.course.save()
    w.session.online = True
    w.session.save()
    assert enrolments.evaluate(w.enrolment) == Completion.COMPLETE


def test_completion_needs_every_quiz_passed_when_the_course_says_so(world):
    w = world
    w.course.pass_mark, w.course.require_quizzes = None, True
    w.course.save()
    attend(w.enrolment, DAYS)
    module = Module.objects.create(course=w.course, title="One")
    quizzes = [Quiz.objects.create(module=module, title=t) for t in ("A", "B")]
    Attempt.objects.create(participant=w.officer, quiz=quizzes[0], number=1, device="d",
                           passed=True)
    Attempt.objects.create(participant=w.officer, quiz=quizzes[1], number=1, device="d",
                           passed=False)
    assert enrolments.evaluate(w.enrolment) == Completion.INCOMPLETE
    Attempt.objects.create(participant=w.officer, quiz=quizzes[1], number=2, device="d",
                           passed=True)
    assert enrolments.evaluate(w.enrolment) == Completion.COMPLETE


def test_a_pass_mark_makes_the_post_test_decide_once_the_session_ended(world):
    w = world  # pass mark 60
    attend(w.enrolment, DAYS)
    assert enrolments.evaluate(w.enrolment) == Completion.INCOMPLETE  # no post-test yet
    w.enrolment.post_score = 59
    assert enrolments.evaluate(w.enrolment) == Completion.FAIL
    w.enrolment.post_score = 60
    assert enrolments.evaluate(w.enrolment) == Completion.PASS
    assert enrolments.evaluate(w.enrolment, today=DAYS[3]) == Completion.INCOMPLETE


def test_setting_the_completion_by_the_rules_and_a_managers_override(world):
    w = world
    attend(w.enrolment, DAYS)
    w.enrolment.post_score = 75
    w.enrolment.save()
    enrolments.set_completion(w.trainer, w.enrolment)
    w.enrolment.refresh_from_db()
    assert w.enrolment.completion == Completion.PASS and w.enrolment.completed_at
    assert last("completion").detail == {"completion": "pass", "evaluated": "pass",
                                         "override": False}
    # a trainer of the session from another organisation runs it but does not override
    fiji_trainer = person(w, "Losa", org=w.fiji_unit, user=w.fiji_admin)
    w.session.trainers.add(fiji_trainer)
    with pytest.raises(PermissionDenied, match="overrides"):
        enrolments.set_completion(w.fiji_admin, w.external_enrolment, Completion.COMPLETE)
    enrolments.set_completion(w.trainer, w.external_enrolment, Completion.COMPLETE)
    assert last("completion").detail["override"] is True
    with pytest.raises(ValidationError, match="Unknown completion"):
        enrolments.set_completion(w.trainer, w.external_enrolment, "excellent")


def test_the_promotion_notice_reads_in_words(world):
    from vaka.inbox.presentation import describe

    w = world
    Enrolment.objects.create(participant=person(w, "Ana", org=w.samoa_unit),
                             session=w.session, status=Enrolment.Status.WAITLISTED)
    enrolments.withdraw(w.trainer, w.enrolment)
    shown = describe([Notice.objects.get(kind=Notice.Kind.ENROLMENT)])[0]
    assert shown.text == ("Ana Example moved from the waiting list into session "
                          "TRN-2026-001 Cybercrime investigation foundations, starting "
                          "2026-11-02.")
    assert "<bdi>Ana Example</bdi>" in shown.html
