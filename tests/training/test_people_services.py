"""Participants: who adds and edits people, the record of a signed-in user, duplicates
found and merged (everything moves, or the merge is refused with a reason)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import UserFactory
from vaka.policy.audit import AuditEntry
from vaka.policy.visibility import can_see
from vaka.training import participants
from vaka.training.models import (
    Attempt,
    Enrolment,
    Lesson,
    LessonProgress,
    Module,
    Participant,
    Quiz,
)


def fields(world, org=None, **changes):
    org = org or world.fiji_unit
    return {"given_name": "Litia", "family_name": "Nai", "email": "litia@police.example.fj",
            "organisation": org, "country": org.country, "gender": "female", **changes}


def test_an_org_admin_adds_people_of_their_own_organisation_only(world):
    w = world
    person = participants.create_participant(w.fiji_admin, **fields(w))
    assert person.organisation == w.fiji_unit and can_see(w.fiji_admin, person)
    assert AuditEntry.objects.latest("seq").action == "create"
    with pytest.raises(PermissionDenied):
        participants.create_participant(w.samoa_analyst, **fields(w, org=w.samoa_unit))


def test_a_trainer_adding_another_organisations_person_enrols_them_at_once(world):
    w = world
    with pytest.raises(ValidationError) as refused:
        participants.create_participant(w.trainer, **fields(w))
    assert "session" in refused.value.message_dict
    assert not Participant.objects.filter(given_name="Litia").exists()
    person = participants.create_participant(w.trainer, session=w.session, **fields(w))
    assert can_see(w.trainer, person)
    assert Enrolment.objects.get(participant=person).status == "waitlisted"  # full session
    assert Enrolment.objects.get(participant=person).source == ""


def test_the_enrolment_made_with_a_new_person_carries_the_source_given(world):
    w = world
    person = participants.create_participant(w.trainer, session=w.session, source="moodle",
                                             **fields(w))
    assert Enrolment.objects.get(participant=person).source == "moodle"
    enrolled = AuditEntry.objects.filter(action="enrol").latest("seq")
    assert enrolled.detail["participant"] == person.pk
    assert enrolled.detail["source"] == "moodle"


def test_bad_fields_are_reported_by_field_and_nothing_is_stored(world):
    w = world
    with pytest.raises(ValidationError) as refused:
        participants.create_participant(w.fiji_admin, **fields(
            w, given_name="  ", email="not-an-address", gender="robot", country="999999"))
    assert set(refused.value.message_dict) == {"given_name", "email", "gender", "country"}
    assert Participant.objects.count() == 3


def test_editing_a_person_is_audited_and_outsiders_cannot_find_them(world):
    w = world
    participants.update_participant(w.fiji_admin, w.officer, rank="Inspector")
    w.officer.refresh_from_db()
    assert w.officer.rank == "Inspector"
    assert AuditEntry.objects.latest("seq").detail == {"fields": ["rank"]}
    with pytest.raises(Participant.DoesNotExist):
        participants.update_participant(w.ph_admin, w.officer, rank="Nobody")


def test_a_signed_in_user_gets_a_record_from_their_account(world):
    w = world
    account = UserFactory(organisation=w.samoa_unit, first_name="Fetu", last_name="Aiga",
                          email="fetu@police.example.ws")
    person = participants.participant_for(account)
    assert (person.name, person.country, person.organisation) == (
        "Fetu Aiga", w.samoa_unit.country, w.samoa_unit)
    assert participants.participant_for(account) == person


def test_an_account_is_linked_to_the_one_record_with_its_email(world):
    w = world
    account = UserFactory(organisation=w.samoa_unit, email="Tavita@police.example.ws")
    assert participants.participant_for(account) == w.external
    w.external.refresh_from_db()
    assert w.external.user == account


def test_duplicates_by_email_or_by_name_in_one_organisation(world):
    w = world
    by_name = Participant.objects.create(given_name="Mére", family_name=" VULA",
                                         organisation=w.fiji_unit, country=w.officer.country)
    by_email = Participant.objects.create(given_name="T.", family_name="Leota",
                                          email="TAVITA@police.example.ws",
                                          organisation=w.samoa_unit,
                                          country=w.external.country)
    namesake = Participant.objects.create(given_name="Mere", family_name="Vula",
                                          organisation=w.samoa_unit,  # another organisation
                                          country=w.external.country)
    for other in (by_name, by_email, namesake):  # the trainer sees the session's people
        Enrolment.objects.create(participant=other, session=w.session, status="withdrawn")
    found = [(a, b, why) for a, b, why in participants.find_duplicates(w.trainer)]
    assert (w.officer, by_name, "name") in found
    assert (w.external, by_email, "email") in found
    assert len(found) == 2
    assert participants.find_duplicates(w.ph_admin) == []


def test_merging_moves_everything_and_the_duplicate_leaves_the_lists(world):
    w = world
    duplicate = Participant.objects.create(given_name="Mere", family_name="Vula",
                                           organisation=w.fiji_unit,
                                           country=w.officer.country, user=None)
    account = w.fiji_officer
    w.officer.user = None
    w.officer.save()
    duplicate.user = account
    duplicate.save()
    other = w.session.__class__.objects.create(
        course=w.course, reference="TRN-2026-002", starts=w.session.starts,
        ends=w.session.ends)
    moved = Enrolment.objects.create(participant=duplicate, session=other)
    other.trainers.add(duplicate)
    module = Module.objects.create(course=w.course, title="M")
    quiz = Quiz.objects.create(module=module, title="Q")
    lesson = Lesson.objects.create(module=module, title="L")
    Attempt.objects.create(participant=w.officer, quiz=quiz, number=1, device="a")
    Attempt.objects.create(participant=duplicate, quiz=quiz, number=1, device="b")
    LessonProgress.objects.create(participant=w.officer, lesson=lesson)
    LessonProgress.objects.create(participant=duplicate, lesson=lesson)

    participants.merge_participants(w.fiji_admin, w.officer, duplicate)

    duplicate.refresh_from_db()
    w.officer.refresh_from_db()
    assert duplicate.merged_into == w.officer and duplicate.user is None
    assert w.officer.user == account
    moved.refresh_from_db()
    assert moved.participant == w.officer
    assert sorted(Attempt.objects.filter(participant=w.officer)
                  .values_list("number", flat=True)) == [1, 2]
    assert LessonProgress.objects.filter(participant=w.officer).count() == 1
    assert list(other.trainers.all()) == [w.officer]
    assert duplicate not in participants.visible_participants(w.fiji_admin)
    entry = AuditEntry.objects.latest("seq")
    assert entry.action == "participants_merge"
    assert entry.detail["moved"]["attempts"] == 1


def test_a_merge_is_refused_when_both_are_enrolled_in_one_session(world):
    w = world
    duplicate = Participant.objects.create(given_name="Mere", family_name="Vula",
                                           organisation=w.fiji_unit,
                                           country=w.officer.country)
    clash = Enrolment.objects.create(participant=duplicate, session=w.session,
                                     status=Enrolment.Status.WAITLISTED)
    with pytest.raises(ValidationError, match="TRN-2026-001"):
        participants.merge_participants(w.fiji_admin, w.officer, duplicate)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    clash.status = Enrolment.Status.WITHDRAWN  # a withdrawn one of the pair is dropped
    clash.save()
    participants.merge_participants(w.fiji_admin, w.officer, duplicate)
    assert not Enrolment.objects.filter(pk=clash.pk).exists()


def test_who_may_merge(world):
    w = world
    duplicate = Participant.objects.create(given_name="Tavita", family_name="Leota",
                                           organisation=w.samoa_unit,
                                           country=w.external.country)
    with pytest.raises(Participant.DoesNotExist):  # an outsider sees neither
        participants.merge_participants(w.ph_admin, w.external, duplicate)
    with pytest.raises(Participant.DoesNotExist):  # sees one only
        participants.merge_participants(w.fiji_admin, w.officer, duplicate)
    with pytest.raises(PermissionDenied):  # an analyst of the organisation
        participants.merge_participants(w.samoa_analyst, w.external, duplicate)
    with pytest.raises(ValidationError, match="itself"):
        participants.merge_participants(w.trainer, w.external, w.external)
    two_accounts = Participant.objects.create(
        given_name="Mere", family_name="Vula", organisation=w.fiji_unit,
        country=w.officer.country, user=w.fiji_admin)
    with pytest.raises(ValidationError, match="user accounts"):
        participants.merge_participants(w.fiji_admin, w.officer, two_accounts)
