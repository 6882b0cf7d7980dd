"""A desk that writes products, two member units that receive them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.policy.services import Markings
from vaka.products import dissemination, services
from vaka.products.models import Kind
from vaka.products.services import Content


@pytest.fixture
def desk(db):
    fiji = CountryFactory(code="FJ")
    samoa = CountryFactory(code="WS")

    class Desk:
        org = OrganisationFactory(name="Desk", kind="desk")
        writer = UserFactory(username="writer", organisation=org)
        publisher = UserFactory(username="publisher", organisation=org, role=Role.PUBLISHER,
                                email="publisher@desk.test")
        fiji_unit = OrganisationFactory(name="Fiji Unit", country=fiji)
        samoa_unit = OrganisationFactory(name="Samoa Unit", country=samoa)
        fiji_analyst = UserFactory(username="fiji_analyst", organisation=fiji_unit,
                                   email="analyst@fiji.test")
        fiji_admin = UserFactory(username="fiji_admin", organisation=fiji_unit,
                                 role=Role.ORG_ADMIN, email="admin@fiji.test")
        samoa_analyst = UserFactory(username="samoa_analyst", organisation=samoa_unit,
                                    email="analyst@samoa.test")

    return Desk


def stored(user, value: str = "secure-login-bank.top", **markings) -> object:
    """A STIX indicator of ``value`` held by ``user``'s organisation."""
    from tests.intel.store_data import bundle, indicator
    from vaka.intel import services as intel
    from vaka.intel.models import StixObject

    markings = {"tlp": "green", "distribution": "members", **markings}
    submission = intel.ingest_bytes(bundle(indicator(value)), organisation=user.organisation,
                                    user=user, markings=Markings(**markings), source="api")
    return StixObject.objects.get(submission=submission)


ALERT_SECTIONS = {"threat": "SMS phishing of bank customers.",
                  "recommended_actions": "Block the domains in the annex."}


def draft_alert(desk, *, title: str = "Smishing wave", **markings) -> object:
    markings = {"distribution": "members", "tlp": "green", **markings}
    return services.create_product(
        user=desk.writer, kind=Kind.ALERT,
        content=Content(title=title, sections=dict(ALERT_SECTIONS),
                        crime_types=["phishing"],
                        ack_deadline=timezone.now() + timedelta(days=2)),
        markings=Markings(**markings))


def approved_alert(desk, **markings) -> object:
    product = draft_alert(desk, **markings)
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    product.refresh_from_db()
    return product


def disseminated_alert(desk, **markings) -> object:
    product = approved_alert(desk, **markings)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ", "WS")))
    product.refresh_from_db()
    return product
