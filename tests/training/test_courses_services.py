"""Writing courses and sessions: validation by field, markings, audit, who may write, and
trainers refused outside the course's markings."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import CommunityFactory
from vaka.policy.audit import AuditEntry
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see
from vaka.training import courses
from vaka.training.courses import CourseDetails, SessionDetails
from vaka.training.models import Course, Participant, Session


def details(**changes) -> CourseDetails:
    values = {"code": "Gender-201", "title": "Gender equality in policing",
              "topics": ["human_rights", "gender_equality"], "languages": ["en", "sm"],
              "programme": "blue-pacific", "human_rights_gender": True, "pass_mark": 70}
    return CourseDetails(**{**values, **changes})


def members() -> Markings:
    return Markings(distribution=Distribution.MEMBERS, tlp=TLP.GREEN)


def session_details(**changes) -> SessionDetails:
    values = {"starts": dt.date(2027, 3, 1), "ends": dt.date(2027, 3, 5), "place": "Apia",
              "country": "ws", "capacity": 20}
    return SessionDetails(**{**values, **changes})


def last_entry(target_type: str) -> AuditEntry:
    return AuditEntry.objects.filter(target_type=target_type).latest("seq")


def test_a_trainer_creates_a_course_owned_by_their_organisation_and_audited(world):
    course = courses.create_course(world.trainer, details(), members())
    assert (course.owner, course.code, course.programme) == (
        world.centre, "gender-201", world.programme)
    assert course.topics == ["human_rights", "gender_equality"]  # the catalogue's order
    assert course.languages == ["en", "sm"]  # Samoan: ISO 639-1, not an interface language
    entry = last_entry("training.course")
    assert (entry.action, entry.target_id, entry.detail["tlp"]) == (
        "create", str(course.pk), TLP.GREEN)
    assert can_see(world.fiji_officer, course)


def test_bad_course_details_are_refused_each_by_its_field(world):
    with pytest.raises(ValidationError) as error:
        courses.create_course(world.trainer, details(
            code="cyber-101", title=" ", topics=["knitting"], languages=["xx", "en"],
            level="expert", delivery="pigeon", programme="nope", min_attendance=120,
            pass_mark=-1, gender_marker=3), members())
    errors = error.value.message_dict
    assert set(errors) == {"code", "title", "topics", "languages", "level", "delivery",
                           "programme", "min_attendance", "pass_mark", "gender_marker"}
    assert "cyber-101" in errors["code"][0]
    assert "knitting" in errors["topics"][0]
    assert "xx" in errors["languages"][0]
    assert Course.objects.count() == 1


def test_a_code_must_be_a_slug(world):
    with pytest.raises(ValidationError) as error:
        courses.create_course(world.trainer, details(code="gender 201!"), members())
    assert list(error.value.message_dict) == ["code"]


def test_bad_markings_are_refused_with_the_details_errors(world):
    with pytest.raises(ValidationError) as error:
        courses.create_course(world.trainer, details(title=""),
                              Markings(distribution=Distribution.PUBLIC, tlp=TLP.AMBER))
    assert {"title", "tlp"} <= set(error.value.message_dict)


def test_only_a_trainer_creates_a_course(world):
    with pytest.raises(PermissionDenied):
        courses.create_course(world.fiji_officer, details(), members())


def test_who_manages_a_course(world):
    w = world
    assert courses.can_manage(w.trainer, w.course)
    assert courses.can_manage(w.centre_admin, w.course)
    assert not courses.can_manage(w.coordinator, w.course)  # no TRAIN capability
    assert not courses.can_manage(w.fiji_admin, w.course)  # another organisation
    assert not courses.can_manage(w.ph_admin, w.course)


def test_an_update_is_audited_with_what_changed_and_a_viewer_cannot_update(world):
    w = world
    changed = courses.CourseDetails.of(w.course)
    changed.title = "Cybercrime investigation: foundations"
    courses.update_course(w.trainer, w.course, changed, members())
    w.course.refresh_from_db()
    assert w.course.title == "Cybercrime investigation: foundations"
    assert last_entry("training.course").detail["changed"] == ["title"]
    with pytest.raises(PermissionDenied):
        courses.update_course(w.fiji_officer, w.course, courses.CourseDetails.of(w.course),
                              members())


def test_narrowing_a_course_away_from_a_trainer_is_refused(world):
    w = world
    w.session.trainers.add(Participant.objects.create(
        user=w.fiji_admin, given_name="Ana", family_name="Roko", organisation=w.fiji_unit,
        country=w.officer.country))
    with pytest.raises(ValidationError) as error:
        courses.update_course(w.trainer, w.course, courses.CourseDetails.of(w.course),
                              Markings(distribution=Distribution.ORGANISATION, tlp=TLP.GREEN))
    assert "Fiji Police Cybercrime Unit" in error.value.message_dict["distribution"][0]
    w.course.refresh_from_db()
    assert w.course.distribution == Distribution.MEMBERS


def test_an_archived_course_takes_no_new_session_and_stays_readable(world):
    w = world
    courses.archive_course(w.trainer, w.course)
    w.course.refresh_from_db()
    assert w.course.archived_at is not None
    assert can_see(w.fiji_officer, w.course)
    with pytest.raises(ValidationError, match="archived"):
        courses.create_session(w.trainer, w.course, session_details())
    courses.archive_course(w.trainer, w.course, archived=False)
    assert courses.create_session(w.trainer, w.course, session_details()).pk


def test_a_session_is_numbered_by_the_year_it_starts(world):
    w = world
    first = courses.create_session(w.trainer, w.course, session_details())
    second = courses.create_session(w.trainer, w.course, session_details())
    assert (first.reference, second.reference) == ("TRN-2027-0001", "TRN-2027-0002")
    assert first.country.code == "WS"
    # The world's session is TRN-2026-001: numbering goes on from it.
    assert courses.create_session(w.trainer, w.course, session_details(
        starts=dt.date(2026, 12, 1), ends=dt.date(2026, 12, 2))).reference == "TRN-2026-0002"
    entry = last_entry("training.session")
    assert entry.action == "create"


def test_bad_session_details_are_refused_each_by_its_field(world):
    with pytest.raises(ValidationError) as error:
        courses.create_session(world.trainer, world.course, session_details(
            ends=dt.date(2027, 2, 1), capacity=0, country="XX"))
    errors = error.value.message_dict
    assert set(errors) == {"ends", "capacity", "country"}
    assert "2027-02-01" in errors["ends"][0]
    with pytest.raises(ValidationError) as error:
        courses.create_session(world.trainer, world.course,
                               session_details(starts=None, ends=None))
    assert set(error.value.message_dict) == {"starts", "ends"}
    assert Session.objects.count() == 1


def test_a_cancelled_session_no_longer_changes(world):
    w = world
    courses.cancel_session(w.trainer, w.session, reason="Cyclone")
    w.session.refresh_from_db()
    assert w.session.cancelled_at is not None
    with pytest.raises(ValidationError, match="cancelled"):
        courses.update_session(w.trainer, w.session, SessionDetails.of(w.session))


def test_only_a_manager_changes_a_session(world):
    with pytest.raises(PermissionDenied):
        courses.update_session(world.fiji_admin, world.session,
                               SessionDetails.of(world.session))


def test_trainers_are_set_and_audited(world):
    w = world
    courses.set_trainers(w.trainer, w.session, [w.trainer_person, w.external.pk])
    assert set(w.session.trainers.all()) == {w.trainer_person, w.external}
    entry = last_entry("training.session")
    assert entry.detail["added"] == [w.external.pk]


def test_a_trainer_outside_the_course_markings_is_refused_naming_why(world):
    w = world
    community = CommunityFactory(name="PTCN", members=[w.centre, w.samoa_unit])
    courses.update_course(w.trainer, w.course, CourseDetails.of(w.course), Markings(
        distribution=Distribution.COMMUNITIES, tlp=TLP.GREEN, communities=[community]))
    ph_person = Participant.objects.create(
        user=w.ph_analyst, given_name="Jose", family_name="Cruz", organisation=w.ph_unit,
        country=w.ph_unit.country)
    # The trainer sees the person only as a participant of their session.
    w.session.enrolments.create(participant=ph_person)
    with pytest.raises(ValidationError) as error:
        courses.set_trainers(w.trainer, w.session, [ph_person])
    assert error.value.message_dict["trainers"] == [
        "Philippines Unit is in none of the communities it goes to (PTCN)."]
    assert list(w.session.trainers.all()) == [w.trainer_person]


def test_a_trainer_the_user_cannot_see_is_refused_without_naming_them(world):
    w = world
    stranger = Participant.objects.create(
        given_name="Hidden", family_name="Person", organisation=w.ph_unit,
        country=w.ph_unit.country)
    with pytest.raises(ValidationError) as error:
        courses.set_trainers(w.trainer, w.session, [stranger.pk])
    message = error.value.message_dict["trainers"][0]
    assert str(stranger.pk) in message and "Hidden" not in message


def test_a_trainer_whose_account_is_deactivated_trains_as_a_person_without_one(world):
    w = world
    w.ph_analyst.is_active = False
    w.ph_analyst.save()
    person = Participant.objects.create(
        user=w.ph_analyst, given_name="Jose", family_name="Cruz", organisation=w.ph_unit,
        country=w.ph_unit.country)
    w.session.enrolments.create(participant=person)
    courses.set_trainers(w.trainer, w.session, [w.trainer_person, person])
    assert person in w.session.trainers.all()
