"""Visibility channel of the inbox, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Every STIX object (mirroring
the notes' markings, in order) gets a hit notice on a value of its own; a notice goes to
the object's owner organisation only, within the object's audience: the reference is
"the user may see the record and belongs to its owner". Checked on the page, the API
(list, detail, mark read), the navigation badge and ``unread_count``.
"""

import re

from django.test import Client
from rest_framework.test import APIClient

from vaka.inbox import services
from vaka.inbox.models import Notice
from vaka.inbox.selectors import unread_count
from vaka.intel.models import StixObject
from vaka.intel.parsing.observables import value_hash

BADGE = re.compile(r'id="inbox-badge">(\d+)<')


def _value(i: int) -> str:
    return f"inboxonly{i}-value-7.net"


def check_inbox(user, visible: set[int], notes: list) -> None:
    objects = list(StixObject.objects.order_by("pk"))
    services.notify_hits([(obj.pk, "domain", _value(i), value_hash("domain", _value(i)),
                           None, "lookup") for i, obj in enumerate(objects)])
    notices = {n.target_args[0]: n for n in Notice.objects.filter(
        group_key__in=[f"hit:{obj.pk}:{value_hash('domain', _value(i))}:0:lookup"
                       for i, obj in enumerate(objects)])}
    api, web = APIClient(), Client()
    if user is None:
        assert api.get("/api/inbox/").status_code in (401, 403)
        assert web.get("/inbox/").status_code == 302  # to sign-in
        return
    api.force_authenticate(user)
    web.force_login(user)
    mine = {obj.pk for obj, note in zip(objects, notes, strict=True)
            if note.pk in visible and note.owner_id == user.organisation_id}
    listed = api.get("/api/inbox/", {"page_size": 100}).data
    assert {notices_id for notices_id in (r["id"] for r in listed["results"])} == {
        notices[pk].pk for pk in mine}
    assert listed["count"] == len(mine)
    assert unread_count(user) == len(mine)
    page = web.get("/inbox/").content.decode()
    badge = BADGE.search(page)
    assert (int(badge.group(1)) if badge else 0) == len(mine)
    for i, obj in enumerate(objects):
        notice = notices[obj.pk]
        if obj.pk in mine:
            assert _value(i) in page
            continue
        assert _value(i) not in page
        assert api.get(f"/api/inbox/{notice.pk}/").status_code == 404
        assert api.post(f"/api/inbox/{notice.pk}/read/").status_code == 404
        assert web.get(f"/inbox/{notice.pk}/").status_code == 404
    assert api.post("/api/inbox/read-all/").data["marked"] == len(mine)
    assert unread_count(user) == 0


CHANNELS = [check_inbox]
