"""A training world: the Pacific centre (PTCCC) runs a course of the Blue Pacific
programme, delivered in Fiji by a PTCCC trainer; Fiji and Samoa police officers take
part; a Philippines unit and its platform admin are outsiders.

Records are made directly here so each area's tests stand alone; the services' own
tests make them through the services."""

import datetime as dt

import pytest

from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.models import Programme
from vaka.directory.roles import Role
from vaka.policy.markings import TLP, Distribution
from vaka.training.models import Course, Enrolment, Participant, Session


@pytest.fixture
def world(db):
    fiji, samoa, philippines = (CountryFactory(code="FJ"), CountryFactory(code="WS"),
                                CountryFactory(code="PH"))

    class World:
        programme = Programme.objects.create(code="blue-pacific", name="Blue Pacific")
        centre = OrganisationFactory(name="PTCCC", kind="coordination_centre", country=samoa)
        fiji_unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
        samoa_unit = OrganisationFactory(name="Samoa TCU", country=samoa)
        ph_unit = OrganisationFactory(name="Philippines Unit", country=philippines)
        trainer = UserFactory(username="centre_trainer", organisation=centre,
                              role=Role.TRAINER)
        centre_admin = UserFactory(username="centre_admin", organisation=centre,
                                   role=Role.ORG_ADMIN)
        coordinator = UserFactory(username="programme_coordinator", organisation=centre,
                                  role=Role.COORDINATOR)
        fiji_admin = UserFactory(username="fiji_admin", organisation=fiji_unit,
                                 role=Role.ORG_ADMIN)
        fiji_officer = UserFactory(username="fiji_officer", organisation=fiji_unit,
                                   role=Role.ANALYST)
        samoa_analyst = UserFactory(username="samoa_analyst", organisation=samoa_unit)
        ph_admin = UserFactory(username="ph_admin", organisation=ph_unit,
                               role=Role.PLATFORM_ADMIN)
        ph_analyst = UserFactory(username="ph_analyst", organisation=ph_unit)

    w = World
    w.programme.coordinators.add(w.coordinator)
    w.course = Course.objects.create(
        owner=w.centre, created_by=w.trainer, code="cyber-101",
        title="Cybercrime investigation foundations", summary="Five days.",
        topics=["cybercrime_investigation", "digital_evidence"], languages=["en"],
        programme=w.programme, donor="Donor", distribution=Distribution.MEMBERS,
        tlp=TLP.GREEN, pass_mark=60)
    w.trainer_person = Participant.objects.create(
        user=w.trainer, given_name="Sione", family_name="Tupou", organisation=w.centre,
        country=samoa, gender="male")
    w.session = Session.objects.create(
        course=w.course, reference="TRN-2026-001", starts=dt.date(2026, 11, 2),
        ends=dt.date(2026, 11, 6), place="Suva", country=fiji, capacity=2)
    w.session.trainers.add(w.trainer_person)
    w.officer = Participant.objects.create(
        user=w.fiji_officer, given_name="Mere", family_name="Vula", organisation=w.fiji_unit,
        country=fiji, gender="female", rank="Sergeant")
    w.external = Participant.objects.create(
        given_name="Tavita", family_name="Leota", organisation=w.samoa_unit, country=samoa,
        gender="male", rank="Constable", email="tavita@police.example.ws")
    w.enrolment = Enrolment.objects.create(participant=w.officer, session=w.session)
    w.external_enrolment = Enrolment.objects.create(participant=w.external,
                                                    session=w.session)
    return w
