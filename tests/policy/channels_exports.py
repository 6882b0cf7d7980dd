"""Visibility channels of the exports read paths, for test_visibility_property.

Each channel is called as ``channel(user, visible, notes)``: ``user`` (None: anonymous),
``visible``: pks of the notes the reference says the user may see; the STIX objects
(``StixObject.objects.order_by("pk")``) mirror the notes' markings in the same order.

The objects hold minimal STIX (``{"type": "indicator", "id": …}``), which the MISP
converter rejects, so the channels are the STIX bundle, CSV, the blocklists and an export
link; tests/intel/test_exports.py covers MISP with real objects.
"""

import csv
import io
import json

from django.test import Client
from rest_framework.test import APIClient

from vaka.intel import exports
from vaka.intel.models import Observable, StixObject


def _split(visible: set[int], notes: list) -> tuple[list[StixObject], list[StixObject]]:
    objects = list(StixObject.objects.order_by("pk"))
    seen = [obj for obj, note in zip(objects, notes, strict=True) if note.pk in visible]
    hidden = [obj for obj, note in zip(objects, notes, strict=True) if note.pk not in visible]
    return seen, hidden


def _text(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _assert_csv_holds(content: str, seen: list, hidden: list) -> None:
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted(row["stix_id"] for row in rows) == sorted(obj.stix_id for obj in seen)
    for obj in hidden:
        assert obj.name not in content and obj.stix_id not in content


def check_object_exports(user, visible: set[int], notes: list) -> None:
    """CSV and the STIX bundle, of a filter or of a selection, hold exactly the visible
    objects."""
    seen, hidden = _split(visible, notes)
    if user is None:
        anonymous = APIClient()
        assert anonymous.get("/api/objects/export/", {"format": "csv"}).status_code in (401, 403)
        assert anonymous.get("/api/objects/export/", {"format": "stix"}).status_code in (
            401, 403)
        assert Client().post("/intel/objects/selected/", {
            "action": "export", "format": "csv", "selected": [1]}).status_code == 302
        return
    api = _api(user)
    _assert_csv_holds(_text(api.get("/api/objects/export/", {"format": "csv"})), seen, hidden)
    bundle = json.loads(_text(api.get("/api/objects/export/", {"format": "stix"})))
    ids = [obj["id"] for obj in bundle["objects"] if obj["type"] != "marking-definition"]
    assert sorted(ids) == sorted(obj.data["id"] for obj in seen)
    tlps = {obj["id"] for obj in bundle["objects"] if obj["type"] == "marking-definition"}
    assert tlps == {exports.tlp_marking_definition(obj.tlp)["id"] for obj in seen}
    # Every record ticked on the object list (ids of hidden ones sent as well): the export
    # of the selection holds the visible ones only.
    web = Client()
    web.force_login(user)
    ticked = web.post("/intel/objects/selected/", {
        "action": "export", "format": "csv", "selected": [obj.pk for obj in seen + hidden]})
    _assert_csv_holds(_text(ticked), seen, hidden)


def check_blocklists(user, visible: set[int], notes: list) -> None:
    """With every object cleared for blocking (PAP:CLEAR), a blocklist holds the values of
    the visible objects that are not TLP:RED, and nothing else."""
    seen, _hidden = _split(visible, notes)
    if user is None:
        assert APIClient().get("/api/blocklists/domain.txt").status_code in (401, 403)
        return
    paps = dict(StixObject.objects.values_list("pk", "pap"))
    StixObject.objects.update(pap="clear")
    try:
        expected = sorted(set(Observable.objects.filter(
            object__in=[obj for obj in seen if obj.tlp != "red"]).values_list(
            "value", flat=True)))
        lines = _text(_api(user).get("/api/blocklists/domain.txt", {"header": "1"})
                      ).splitlines()
        assert lines[0].endswith(f", {len(expected)} entries")
        assert lines[1:] == expected
        assert _text(_api(user).get("/api/blocklists/ip.txt")) == ""
    finally:
        for pk, pap in paps.items():
            StixObject.objects.filter(pk=pk).update(pap=pap)


def check_export_link(user, visible: set[int], notes: list) -> None:
    """A link fetched without authentication holds what its owner may see."""
    if user is None:
        return
    seen, hidden = _split(visible, notes)
    _link, key = exports.create_export_link(user, name="channel", fmt="csv", filters={})
    _assert_csv_holds(_text(Client().get(f"/intel/export/{key}/objects.csv")), seen, hidden)
    by_header = Client().get("/intel/export/objects.csv", HTTP_X_VAKA_KEY=key)
    _assert_csv_holds(_text(by_header), seen, hidden)


CHANNELS: list = [check_object_exports, check_blocklists, check_export_link]
