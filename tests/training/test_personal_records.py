"""The one policy's rule for personal records: a participant and the training records
about them reach the person, their organisation, their sessions' trainers and their
programmes' coordinators — nobody else, platform admins included."""

from django.contrib.auth.models import AnonymousUser

from vaka.policy.markings import TLP
from vaka.policy.visibility import can_see, visible_to
from vaka.training.models import Attendance, Enrolment, Participant


def names(user, model=Participant):
    return sorted(str(p) for p in visible_to(user, model.objects.all()))


def test_a_participant_reaches_their_organisation_trainers_and_coordinators(world):
    w = world
    assert can_see(w.fiji_officer, w.officer)  # themself
    assert can_see(w.fiji_admin, w.officer)  # their organisation
    assert can_see(w.trainer, w.officer)  # their session's trainer
    assert can_see(w.coordinator, w.officer)  # their programme's coordinator
    assert not can_see(w.samoa_analyst, w.officer)  # a classmate's organisation
    assert not can_see(w.ph_admin, w.officer)  # a platform admin elsewhere
    assert not can_see(AnonymousUser(), w.officer)


def test_an_outsider_sees_no_participant_not_even_a_count(world):
    assert visible_to(world.ph_admin, Participant.objects.all()).count() == 0
    assert visible_to(world.ph_admin, Enrolment.objects.all()).count() == 0
    assert visible_to(AnonymousUser(), Enrolment.objects.all()).count() == 0


def test_an_organisation_sees_only_its_own_people(world):
    w = world
    assert names(w.samoa_analyst) == ["Tavita Leota"]
    assert names(w.samoa_analyst, Enrolment) == ["Tavita Leota @ TRN-2026-001 "
                                                 "Cybercrime investigation foundations"]
    assert names(w.fiji_admin) == ["Mere Vula"]


def test_trainers_see_only_the_people_of_their_sessions(world):
    w = world
    assert names(w.trainer) == ["Mere Vula", "Sione Tupou", "Tavita Leota"]
    w.session.trainers.clear()
    assert names(w.trainer) == ["Sione Tupou"]  # the centre's own people only


def test_personal_parts_also_need_the_course(world):
    w = world
    Attendance.objects.create(enrolment=w.enrolment, day=w.session.starts)
    assert visible_to(w.fiji_admin, Attendance.objects.all()).count() == 1
    w.course.tlp = TLP.AMBER_STRICT  # now only the centre's
    w.course.save()
    assert visible_to(w.fiji_admin, Attendance.objects.all()).count() == 0
    assert visible_to(w.fiji_admin, Enrolment.objects.all()).count() == 0
    assert can_see(w.fiji_admin, w.officer)  # the person remains theirs


def test_an_inactive_user_sees_nothing(world):
    w = world
    w.fiji_admin.is_active = False
    w.fiji_admin.save()
    assert names(w.fiji_admin) == []
