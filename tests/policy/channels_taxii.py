"""Visibility channels of the TAXII read paths, for test_visibility_property.

Each channel is called as ``channel(user, visible, notes)``: ``user`` (None: anonymous),
``visible``: pks of the notes the reference says the user may see; the STIX objects
(``StixObject.objects.order_by("pk")``) mirror the notes' markings in the same order.
"""

from django.test import Client

from vaka.directory.services import create_token
from vaka.exchange.models import Collection
from vaka.intel.models import StixObject

TAXII = "application/taxii+json;version=2.1"


def check_taxii(user, visible: set[int], notes: list) -> None:
    """A collection of everything: objects, manifest, single objects and versions show
    exactly the records the user may see; the others are 404, and absent from counts."""
    objects = list(StixObject.objects.order_by("pk"))
    seen = {obj.data["id"] for obj, note in zip(objects, notes, strict=True)
            if note.pk in visible}
    collection = Collection.objects.get_or_create(title="Everything", alias="everything")[0]
    base = f"/taxii2/api/collections/{collection.id}/"
    web = Client()
    if user is None:
        assert web.get(base + "objects/", HTTP_ACCEPT=TAXII).status_code == 401
        return
    headers = {"HTTP_ACCEPT": TAXII,
               "HTTP_AUTHORIZATION": f"Token {create_token(user, name='taxii')[1]}"}
    listed = web.get(base + "objects/", {"limit": 1000}, **headers).json()
    assert {obj["id"] for obj in listed.get("objects", [])} == seen
    manifest = web.get(base + "manifest/", **headers).json()
    assert {entry["id"] for entry in manifest.get("objects", [])} == {
        obj.stix_id for obj, note in zip(objects, notes, strict=True) if note.pk in visible}
    for obj, note in zip(objects, notes, strict=True):
        if note.pk in visible:
            continue
        assert web.get(f"{base}objects/{obj.stix_id}/", **headers).status_code == 404
        assert web.get(f"{base}objects/{obj.stix_id}/versions/", **headers).status_code == 404
    if seen:  # a page of one says "more" only while visible objects remain
        first = web.get(base + "objects/", {"limit": 1}, **headers).json()
        assert first["more"] == (len(seen) > 1)


CHANNELS: list = [check_taxii]
