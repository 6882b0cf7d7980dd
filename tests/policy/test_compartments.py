"""Compartments in the one visibility rule: an operation's participants, a message's parties."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.factories import OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.operations.models import Operation, Target
from vaka.policy.services import Markings, audience_for, new_compartment, set_compartment
from vaka.policy.visibility import can_see, visible_to

pytestmark = pytest.mark.django_db


def _operation(owner, members, **marks) -> Operation:
    marks = {"distribution": "members", "tlp": "green", **marks}
    operation = Operation.objects.create(
        owner=owner, lead=owner, reference="OP-2026-0001", code_name="secret-reef",
        objective="o", compartment=new_compartment("operation", [o.pk for o in members]),
        **marks)
    Target.objects.create(operation=operation, kind="domain", value="evil.test",
                          shown="evil.test", value_hash=1, organisation=owner)
    return operation


def test_platform_admin_outside_the_compartment_sees_nothing_not_even_a_count() -> None:
    lead, other = OrganisationFactory(), OrganisationFactory(kind="desk")
    operation = _operation(lead, [lead])
    admin = UserFactory(organisation=other, role=Role.PLATFORM_ADMIN)
    assert not can_see(admin, operation)
    assert visible_to(admin, Operation.objects.all()).count() == 0
    assert visible_to(admin, Target.objects.all()).count() == 0


def test_a_participant_sees_the_operation_and_its_parts() -> None:
    lead, partner = OrganisationFactory(), OrganisationFactory()
    operation = _operation(lead, [lead, partner])
    user = UserFactory(organisation=partner, role=Role.VIEWER)
    assert can_see(user, operation)
    assert list(visible_to(user, Target.objects.all())) == list(operation.targets.all())


def test_a_participant_outside_the_markings_audience_sees_nothing() -> None:
    lead, partner = OrganisationFactory(), OrganisationFactory()
    named = UserFactory(organisation=partner)
    audience = audience_for(Markings(recipients=[named]))
    operation = _operation(lead, [lead, partner], tlp="red", audience=audience)
    colleague = UserFactory(organisation=partner)
    assert can_see(named, operation)
    assert not can_see(colleague, operation)
    assert not visible_to(colleague, Target.objects.all()).exists()


def test_public_clear_markings_do_not_open_a_compartment() -> None:
    lead = OrganisationFactory()
    operation = _operation(lead, [lead], distribution="public", tlp="clear")
    assert not can_see(AnonymousUser(), operation)
    assert not can_see(UserFactory(), operation)


def test_leaving_the_compartment_ends_access() -> None:
    lead, partner = OrganisationFactory(), OrganisationFactory()
    operation = _operation(lead, [lead, partner])
    user = UserFactory(organisation=partner)
    set_compartment(operation.compartment, [lead.pk])
    assert not can_see(user, operation)
