"""The desk brokers hit/no-hit: a desk user with the broker capability is told which agency
holds a value and sees every hit in an audited broker view; nobody else is."""

import pytest
from django.test import Client

from tests.conftest import api_client_for
from tests.factories import OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.brokering import is_broker
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

HELD = "held-by-unit-b.top"
SECRET = "unit-b-secret-description"


@pytest.fixture
def desk(region):
    """Unit B holds a value only it may see; the desk has a coordinator and an analyst."""
    services.ingest_bytes(
        f"value,description\n{HELD},{SECRET}\n".encode(), organisation=region.unit_b,
        user=region.analyst_b, source="api", fmt="csv",
        markings=Markings(tlp="amber", distribution="organisation"))
    org = OrganisationFactory(name="Regional Desk", kind="desk",
                              contact_email="desk@vaka.example")
    region.desk = org
    region.broker = UserFactory(username="broker", organisation=org, role=Role.COORDINATOR)
    region.desk_analyst = UserFactory(username="desk_analyst", organisation=org)
    return region


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_desk_coordinator_is_a_broker(desk):
    assert is_broker(desk.broker)


def test_desk_analyst_is_not_a_broker(desk):
    assert not is_broker(desk.desk_analyst)


def test_coordinator_outside_the_desk_is_not_a_broker(desk):
    assert not is_broker(UserFactory(organisation=desk.unit_a, role=Role.COORDINATOR))


def test_coordinator_of_an_inactive_desk_is_not_a_broker(desk):
    desk.desk.is_active = False
    desk.desk.save()
    assert not is_broker(desk.broker)


def test_broker_lookup_names_the_holding_agency(desk):
    answer = services.lookup([HELD], user=desk.broker)[0]
    assert answer.hits == 1
    assert answer.holders == [desk.unit_b]


def test_broker_lookup_api_names_the_holder_not_the_record(desk):
    body = api_client_for(desk.broker).post("/api/lookup/", {"values": [HELD]},
                                            format="json").json()
    assert body["results"][0]["hits"] == [{"holder": {
        "id": desk.unit_b.pk, "name": "Unit B", "country": None, "email": ""}}]
    assert SECRET not in str(body)
    assert body["results"][0]["matches"] == []


def test_broker_lookup_is_audited_as_naming_holders(desk):
    services.lookup([HELD], user=desk.broker)
    entry = AuditEntry.objects.filter(action="lookup").latest("seq")
    assert entry.detail["holders_named"] == 1


def test_desk_analyst_lookup_says_contact_the_desk(desk):
    body = api_client_for(desk.desk_analyst).post("/api/lookup/", {"values": [HELD]},
                                                  format="json").json()
    assert body["results"][0]["hits"] == [{"contact": {
        "organisation": "Regional Desk", "email": "desk@vaka.example"}}]


def test_other_agency_lookup_page_never_names_the_holder(desk):
    page = _web(desk.analyst_a).post("/intel/lookup/", {"values": HELD}, follow=True)
    page = page.content.decode()
    assert "contact Regional Desk" in page
    assert "Unit B" not in page


def test_broker_lookup_page_names_the_holder(desk):
    page = _web(desk.broker).post("/intel/lookup/", {"values": HELD}, follow=True)
    page = page.content.decode()
    assert "Held by:" in page and "Unit B" in page
    assert SECRET not in page


def test_broker_sees_the_holder_in_an_objects_correlations(desk):
    services.ingest_bytes(f"value\n{HELD}\n".encode(), organisation=desk.desk,
                          user=desk.broker, source="api", fmt="csv",
                          markings=Markings(tlp="green", distribution="organisation"))
    own = StixObject.objects.get(owner=desk.desk)
    body = api_client_for(desk.broker).get(f"/api/objects/{own.pk}/correlations/").json()
    assert body[0]["hits"][0]["holder"]["name"] == "Unit B"


def test_broker_view_lists_who_holds_and_who_asked(desk):
    services.lookup([HELD], user=desk.analyst_a)
    page = _web(desk.broker).get("/intel/broker/").content.decode()
    assert HELD in page
    assert "Unit B" in page and "Unit A" in page
    assert SECRET not in page


def test_broker_view_api_lists_the_hit(desk):
    services.lookup([HELD], user=desk.analyst_a)
    body = api_client_for(desk.broker).get("/api/broker/hits/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["value"], row["holder"]["name"], row["asked_by"],
            row["asked_by_organisation_name"], row["channel"]) == (
        HELD, "Unit B", "analyst_a", "Unit A", "lookup")


def test_broker_view_filters_by_asking_agency(desk):
    services.lookup([HELD], user=desk.analyst_a)
    services.lookup([HELD], user=desk.cert_user)
    body = api_client_for(desk.broker).get(
        "/api/broker/hits/", {"asked_by_organisation": desk.cert.pk}).json()
    assert [row["asked_by"] for row in body["results"]] == ["cert_user"]


def test_broker_view_refuses_a_bad_filter_naming_it(desk):
    response = _web(desk.broker).get("/intel/broker/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.content.decode()


def test_every_broker_view_is_audited(desk):
    _web(desk.broker).get("/intel/broker/")
    api_client_for(desk.broker).get("/api/broker/hits/")
    channels = list(AuditEntry.objects.filter(action="broker_view").order_by("seq").values_list(
        "detail__channel", flat=True))
    assert channels == ["page", "api"]


@pytest.mark.parametrize("who", ["desk_analyst", "analyst_a", "analyst_b"])
def test_broker_view_is_404_for_anyone_but_a_broker(desk, who):
    user = getattr(desk, who)
    services.lookup([HELD], user=desk.analyst_a)
    assert _web(user).get("/intel/broker/").status_code == 404
    response = api_client_for(user).get("/api/broker/hits/")
    assert response.status_code == 404
    assert "count" not in response.json()
