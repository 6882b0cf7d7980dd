"""Access that depends on training: an organisation admin requires a course before a
capability; the gate holds it until the course is completed, says which course to
complete on the pages that would offer it, and audits the refusal once a day."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.training.test_certificates_pages import signed_in
from vaka.directory.models import User
from vaka.directory.roles import Capability
from vaka.policy.markings import Distribution
from vaka.policy.models import AuditEntry
from vaka.training import requirements
from vaka.training.models import Completion, Requirement


def fresh(user):
    """The user as the next request loads them."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def required(world):
    return requirements.require(world.fiji_admin, world.fiji_unit, Capability.CONTRIBUTE,
                                world.course)


def test_the_gate_holds_contribute_until_the_course_is_completed(world, required):
    officer = fresh(world.fiji_officer)
    assert not officer.can(Capability.CONTRIBUTE)
    assert officer.can(Capability.VIEW)
    assert fresh(world.samoa_analyst).can(Capability.CONTRIBUTE)  # another organisation
    world.enrolment.completion = Completion.COMPLETE
    world.enrolment.save()
    assert not officer.can(Capability.CONTRIBUTE)  # this request's answer stands
    assert fresh(world.fiji_officer).can(Capability.CONTRIBUTE)  # the next request's


def test_setting_and_lifting_are_audited(world, required):
    entry = AuditEntry.objects.get(action="requirement_set")
    assert entry.detail == {"capability": "contribute", "course": "cyber-101"}
    again = requirements.require(world.fiji_admin, world.fiji_unit, "contribute",
                                 world.course)
    assert again == required
    assert AuditEntry.objects.filter(action="requirement_set").count() == 1
    requirements.lift(world.fiji_admin, required)
    assert not Requirement.objects.exists()
    assert AuditEntry.objects.get(action="requirement_lift").detail["course"] == "cyber-101"
    assert fresh(world.fiji_officer).can(Capability.CONTRIBUTE)


def test_an_org_admin_cannot_set_requirements_for_another_organisation(world, required):
    with pytest.raises(PermissionDenied):
        requirements.require(world.fiji_admin, world.samoa_unit, "contribute", world.course)
    with pytest.raises(PermissionDenied):
        requirements.require(world.ph_admin, world.fiji_unit, "contribute", world.course)
    with pytest.raises(PermissionDenied):
        requirements.require(world.fiji_officer, world.fiji_unit, "contribute",
                             world.course)
    with pytest.raises(PermissionDenied):
        requirements.lift(world.ph_admin, required)


def test_only_gated_capabilities_and_courses_the_organisation_sees(world):
    with pytest.raises(ValidationError) as error:
        requirements.require(world.fiji_admin, world.fiji_unit, "manage_platform",
                             world.course)
    assert "capability" in error.value.message_dict
    world.course.distribution = Distribution.ORGANISATION  # the centre's only
    world.course.save()
    with pytest.raises(ValidationError) as error:
        requirements.require(world.fiji_admin, world.fiji_unit, "contribute", world.course)
    assert "course" in error.value.message_dict


def test_the_page_that_offers_the_action_names_the_course(world, required):
    client = signed_in(world.fiji_officer)
    page = client.get("/intel/notes/").content.decode()
    assert "New note" not in page
    assert "Complete" in page and "Cybercrime investigation foundations" in page
    assert "Complete" not in signed_in(world.samoa_analyst).get("/intel/notes/").content.decode()


def test_a_refusal_says_which_course_and_is_audited_once_a_day(world, required):
    client = signed_in(world.fiji_officer)
    refused = client.post("/intel/notes/new/", {"title": "x", "body": "y"})
    assert refused.status_code == 403
    assert "Cybercrime investigation foundations" in refused.content.decode()
    client.get("/intel/notes/")
    client.post("/intel/notes/new/", {"title": "x", "body": "y"})
    entries = AuditEntry.objects.filter(action="capability_held")
    assert entries.count() == 1
    assert entries.get().detail == {"capability": "contribute", "courses": ["cyber-101"]}
    assert entries.get().actor_id == world.fiji_officer.pk


def test_the_profile_shows_what_waits_for_training(world, required):
    page = signed_in(world.fiji_officer).get("/accounts/profile/").content.decode()
    held = page.split('id="capabilities-held"')[1]
    assert "Submit intelligence and write notes" in held
    assert "Cybercrime investigation foundations" in held
    assert "See what is shared with you" in page.split('id="capabilities"')[1]


def test_the_org_admin_page_lists_and_sets_requirements(world):
    client = signed_in(world.fiji_admin)
    page = client.get("/training/requirements/")
    assert page.status_code == 200 and "No capability waits" in page.content.decode()
    done = client.post("/training/requirements/",
                       {"capability": "publish", "course": world.course.pk})
    assert done.status_code == 302
    requirement = Requirement.objects.get(organisation=world.fiji_unit)
    assert "Approve products" in client.get("/training/requirements/").content.decode()
    bad = client.post("/training/requirements/", {"capability": "view",
                                                  "course": world.course.pk})
    assert bad.status_code == 400
    assert signed_in(world.fiji_officer).get("/training/requirements/").status_code == 403
    other = signed_in(world.ph_admin).post(f"/training/requirements/{requirement.pk}/lift/")
    assert other.status_code == 404
    assert client.post(f"/training/requirements/{requirement.pk}/lift/").status_code == 302
    assert not Requirement.objects.exists()


def test_a_completion_set_by_the_trainer_opens_the_gate_and_issues_the_certificate(
        world, required):
    from vaka.training import enrolments
    from vaka.training.models import Certificate

    assert not fresh(world.fiji_officer).can(Capability.CONTRIBUTE)
    enrolments.set_completion(world.trainer, world.enrolment, Completion.COMPLETE)
    assert fresh(world.fiji_officer).can(Capability.CONTRIBUTE)
    assert Certificate.objects.get(enrolment=world.enrolment).name == "Mere Vula"


def test_the_api_says_which_course_to_complete_first(world, required):
    client = signed_in(world.fiji_officer)
    response = client.post("/api/notes/", {"title": "x", "body": "y"},
                           content_type="application/json")
    assert response.status_code == 403
    assert "Complete “Cybercrime investigation foundations” first." in response.json()["detail"]
