"""Visibility channel of the desk's broker view, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Every STIX object (mirroring
the notes' markings) gets a hit. The broker view (page ``/intel/broker/``, API
``/api/broker/hits/``) is for desk brokers only: the random world's user — never a desk
broker — gets 404 and no count, and so do a desk analyst and a coordinator of a police
unit (the role holds the capability, but only at the desk). A desk coordinator, the broker,
sees every hit and the agency holding it, never a holding record's name or text; the
random user's look-up still says only "contact the desk", naming no holder.
"""

from django.test import Client
from rest_framework.test import APIClient

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Role
from vaka.intel.models import HitNotification, StixObject

VALUE = "shared-value-7.net"  # carried by every object (test_visibility_property.SHARED)


def _clients(user: User) -> tuple[APIClient, Client]:
    api, web = APIClient(), Client()
    api.force_authenticate(user)
    web.force_login(user)
    return api, web


def _refused(user: User) -> None:
    api, web = _clients(user)
    response = api.get("/api/broker/hits/")
    assert response.status_code == 404
    assert "count" not in (response.data or {})
    assert web.get("/intel/broker/").status_code == 404


def check_broker(user, visible: set[int], notes: list) -> None:
    objects = list(StixObject.objects.order_by("pk"))
    asker = Organisation.objects.create(name="broker-asker", kind="police_unit")
    HitNotification.objects.bulk_create(
        [HitNotification(object=obj, kind="domain", value=VALUE, asked_by_organisation=asker,
                         channel="lookup") for obj in objects])
    if user is None:
        assert APIClient().get("/api/broker/hits/").status_code in (401, 403)
        assert Client().get("/intel/broker/").status_code == 302  # to sign-in
        return
    _refused(user)
    api, _web = _clients(user)
    answer = api.post("/api/lookup/", {"values": [VALUE]}, format="json").data["results"][0]
    assert all("holder" not in hit for hit in answer["hits"])

    desk = Organisation.objects.create(name="broker-desk", kind="desk")
    unit = Organisation.objects.create(name="broker-unit", kind="police_unit")
    _refused(User.objects.create(username="broker-desk-analyst", organisation=desk,
                                 role=Role.ANALYST))
    _refused(User.objects.create(username="broker-unit-coordinator", organisation=unit,
                                 role=Role.COORDINATOR))
    broker = User.objects.create(username="broker-desk-coordinator", organisation=desk,
                                 role=Role.COORDINATOR)
    api, web = _clients(broker)
    listed = api.get("/api/broker/hits/", {"page_size": 100}).data
    hits = HitNotification.objects.count()
    assert listed["count"] == hits
    holders = {row["holder"]["id"] for row in listed["results"]}
    assert holders == {obj.owner_id for obj in objects}
    answer = api.post("/api/lookup/", {"values": [VALUE]}, format="json").data["results"][0]
    named = {hit["holder"]["id"] for hit in answer["hits"] if "holder" in hit}
    assert named <= {obj.owner_id for obj in objects}
    assert not any(obj.name in str(answer["hits"]) for obj in objects)
    page = web.get("/intel/broker/").content.decode()
    for obj in objects:
        assert obj.name not in page
        assert obj.stix_id not in page
CHANNELS = [check_broker]
