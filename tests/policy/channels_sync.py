"""Visibility channels of the sync read paths, for test_visibility_property.

Each channel is called as ``channel(user, visible, notes)``: ``user`` (None: anonymous),
``visible``: pks of the notes the reference says the user may see; the STIX objects
(``StixObject.objects.order_by("pk")``) mirror the notes' markings in the same order.

The sync endpoint answers connected instances, not users: what it offers a peer is checked
against the sync rule written out plainly (DESIGN.md §2 and ``vaka.exchange.sync``), and a
user's session is refused there.
"""

from django.test import Client

from vaka.directory.models import Community, hash_token
from vaka.exchange.models import Peer
from vaka.intel.models import StixObject

TOKEN = "vakapeer_property-test-token"


def reference_offers(obj: StixObject, agreed: set[int]) -> bool:
    """A record crosses to a peer when its owner is of this instance, its TLP names no
    organisation or person of this instance, and its distribution reaches the peer."""
    if obj.owner.origin_id is not None or obj.tlp not in ("clear", "green", "amber"):
        return False
    if obj.distribution in ("federation", "public"):
        return True
    communities = set(obj.audience.communities.values_list("pk", flat=True)) \
        if obj.audience_id else set()
    return obj.distribution == "communities" and bool(communities & agreed)


def check_sync_offer(user: object, visible: set[int], notes: list) -> None:
    objects = list(StixObject.objects.order_by("pk").select_related("owner"))
    spanning = list(Community.objects.order_by("pk"))[::2]  # agreed: every other community
    peer = Peer.objects.create(name="Property peer", url="https://peer.example",
                               incoming_token_hash=hash_token(TOKEN))
    peer.communities.set(spanning)
    agreed = {c.pk for c in spanning}
    expected = {obj.data["id"] for obj in objects if reference_offers(obj, agreed)}
    response = Client().get("/sync/v1/objects/", {"limit": 1000},
                            HTTP_AUTHORIZATION=f"Peer {TOKEN}")
    assert response.status_code == 200
    offered = response.json()["objects"]
    assert {entry["stix"]["id"] for entry in offered} == expected
    assert len(offered) == len(expected)
    for entry in offered:
        assert entry["markings"]["distribution"] in ("federation", "public", "communities")
        assert set(entry["markings"]["communities"]) <= {c.name for c in spanning}
    session = Client()
    if user is not None:
        session.force_login(user)
    assert session.get("/sync/v1/objects/").status_code == 401


CHANNELS: list = [check_sync_offer]
