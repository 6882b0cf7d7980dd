"""Visibility channel of relationship ends, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. A public anchor object gets a
public relationship from every STIX object (mirroring the notes' markings, in order); the
anchor's page must name the objects the user may see and show only the STIX id of the
others — never their names (``intel.selectors.related_objects``).
"""

import re

from django.test import Client

from vaka.intel.models import StixObject

PUBLIC = {"distribution": "public", "tlp": "clear"}


def _public_object(owner, stix_id: str, data: dict) -> StixObject:
    return StixObject.objects.create(owner=owner, stix_id=stix_id, type=data["type"],
                                     name=data.get("name", ""), version_key="v1",
                                     data={"id": stix_id, **data}, **PUBLIC)


def check_relationship_names(user, visible: set[int], notes: list) -> None:
    if user is None:
        return
    objects = list(StixObject.objects.order_by("pk"))
    owner = objects[0].owner
    anchor = _public_object(owner, "malware--00000000-0000-4000-8000-00000000a0c4",
                            {"type": "malware", "name": "public anchor"})
    made = [anchor]
    try:
        for i, obj in enumerate(objects):
            made.append(_public_object(
                owner, f"relationship--00000000-0000-4000-8000-{i:012d}",
                {"type": "relationship", "relationship_type": "indicates",
                 "source_ref": obj.stix_id, "target_ref": anchor.stix_id}))
        client = Client()
        client.force_login(user)
        page = client.get(f"/intel/objects/{anchor.pk}/").content.decode()
        for obj, note in zip(objects, notes, strict=True):
            if note.pk in visible:
                assert obj.name in page
            else:
                assert obj.name not in page
                assert re.search(rf'<bdi dir="ltr"><code[^>]*>{re.escape(obj.stix_id)}</code>'
                                 "</bdi>", page)
    finally:
        StixObject.objects.filter(pk__in=[o.pk for o in made]).delete()


CHANNELS: list = [check_relationship_names]
