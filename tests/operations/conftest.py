"""A regional desk, a Fiji unit leading an operation with Samoa's, and outsiders: the
Philippines unit (not a participant) with a platform admin."""

import pytest

from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.operations import services
from vaka.operations.services import OperationDetails


@pytest.fixture
def ops(db):
    fiji, samoa, philippines = (CountryFactory(code="FJ"), CountryFactory(code="WS"),
                                CountryFactory(code="PH"))

    class Ops:
        desk = OrganisationFactory(name="Desk", kind="desk")
        fiji_unit = OrganisationFactory(name="Fiji Unit", country=fiji)
        samoa_unit = OrganisationFactory(name="Samoa Unit", country=samoa)
        ph_unit = OrganisationFactory(name="Philippines Unit", country=philippines)
        coordinator = UserFactory(username="desk_coordinator", organisation=desk,
                                  role=Role.COORDINATOR)
        desk_analyst = UserFactory(username="desk_analyst", organisation=desk)
        fiji_coordinator = UserFactory(username="fiji_coordinator", organisation=fiji_unit,
                                       role=Role.COORDINATOR)
        fiji_analyst = UserFactory(username="fiji_analyst", organisation=fiji_unit)
        samoa_analyst = UserFactory(username="samoa_analyst", organisation=samoa_unit)
        samoa_viewer = UserFactory(username="samoa_viewer", organisation=samoa_unit,
                                   role=Role.VIEWER)
        ph_admin = UserFactory(username="ph_admin", organisation=ph_unit,
                               role=Role.PLATFORM_ADMIN)
        ph_coordinator = UserFactory(username="ph_coordinator", organisation=ph_unit,
                                     role=Role.COORDINATOR)

    return Ops


def open_reef(ops, **changes) -> object:
    """Operation Reef: opened by the desk, led by Fiji, with Samoa."""
    details = {"code_name": "Reef Shark", "objective": "Dismantle the sextortion network.",
               "lead": ops.fiji_unit.pk, "participants": [ops.samoa_unit.pk],
               "crime_types": ["sextortion"], "countries": ["FJ", "WS"], **changes}
    return services.open_operation(user=ops.coordinator, details=OperationDetails(**details))
