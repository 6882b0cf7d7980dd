"""A disseminated alert or assessment as a STIX 2.1 report: valid, under its revision's
own marking, referring only to the linked objects the reader may see."""

import json

from rest_framework.test import APIClient
from stix2validator import ValidationOptions, validate_string

from tests.products.conftest import ALERT_SECTIONS, disseminated_alert, draft_alert, stored
from vaka.intel.crime_types import tag
from vaka.intel.parsing.stix_markings import TLP2_MARKING_IDS
from vaka.policy.services import Markings
from vaka.products import dissemination, services, stix
from vaka.products.models import Kind
from vaka.products.services import Content


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def exported(user, product) -> tuple[dict, dict]:
    response = api(user).get(f"/api/products/{product.pk}/stix/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/stix+json")
    text = response.content.decode()
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, result.as_dict()
    document = json.loads(text)
    [report] = [o for o in document["objects"] if o["type"] == "report"]
    return document, report


def linked_alert(desk, linked: list, **markings):
    product = draft_alert(desk, **markings)
    services.update_draft(product, user=desk.writer, content=Content(
        title="Smishing wave", sections=dict(ALERT_SECTIONS), crime_types=["phishing"],
        linked=[obj.pk for obj in linked], ack_deadline=product.ack_deadline),
        markings=Markings(**{"distribution": "members", "tlp": "green", **markings}))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ", "WS")))
    product.refresh_from_db()
    return product


def test_a_disseminated_alert_is_a_valid_report_under_its_marking(desk) -> None:
    shared = stored(desk.writer, "shared-bank.top")
    product = linked_alert(desk, [shared])
    document, report = exported(desk.fiji_analyst, product)
    assert report["report_types"] == ["threat-report"]
    assert report["name"] == "Smishing wave"
    assert report["object_refs"] == [shared.stix_id]
    assert report["object_marking_refs"] == [TLP2_MARKING_IDS["green"]]
    assert report["labels"] == [tag("phishing")]
    assert report["created_by_ref"] == f"identity--{desk.org.uid}"
    assert report["published"] == report["modified"]
    assert ALERT_SECTIONS["recommended_actions"] in report["description"]
    assert TLP2_MARKING_IDS["green"] in {o["id"] for o in document["objects"]}
    assert {"identity"} <= {o["type"] for o in document["objects"]}


def test_object_refs_name_only_the_objects_the_reader_may_see(desk) -> None:
    shared = stored(desk.writer, "shared-bank.top")
    own = stored(desk.writer, "desk-only-bank.top", distribution="organisation")
    product = linked_alert(desk, [shared, own])
    _document, owner_view = exported(desk.writer, product)
    assert set(owner_view["object_refs"]) == {shared.stix_id, own.stix_id}
    _document, recipient_view = exported(desk.fiji_analyst, product)
    assert recipient_view["object_refs"] == [shared.stix_id]
    assert own.stix_id not in json.dumps(_document)


def test_a_report_with_nothing_visible_refers_to_its_author_only(desk) -> None:
    own = stored(desk.writer, "desk-only-bank.top", distribution="organisation")
    product = linked_alert(desk, [own])
    _document, report = exported(desk.fiji_analyst, product)
    assert report["object_refs"] == [f"identity--{desk.org.uid}"]


def test_the_id_stays_and_a_new_revision_is_a_new_version(desk) -> None:
    product = disseminated_alert(desk)
    _document, first = exported(desk.fiji_analyst, product)
    services.new_revision(product, user=desk.writer)
    product.refresh_from_db()
    # The draft that follows is nobody's to export: readers still get revision 1.
    _document, again = exported(desk.writer, product)
    assert (again["id"], again["modified"]) == (first["id"], first["modified"])
    services.update_draft(product, user=desk.writer, content=Content(
        title="Smishing, corrected", sections=dict(ALERT_SECTIONS),
        ack_deadline=product.ack_deadline),
        markings=Markings(distribution="members", tlp="amber"))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ",)))
    _document, second = exported(desk.fiji_analyst, product)
    assert second["id"] == first["id"] and second["modified"] > first["modified"]
    assert second["created"] == first["created"]
    assert second["object_marking_refs"] == [TLP2_MARKING_IDS["amber"]]
    assert second["name"] == "Smishing, corrected"


def test_drafts_and_other_kinds_are_not_exported(desk) -> None:
    draft = draft_alert(desk)
    assert api(desk.writer).get(f"/api/products/{draft.pk}/stix/").status_code == 404
    awareness = services.create_product(
        user=desk.writer, kind=Kind.AWARENESS,
        content=Content(title="Spot a scam", sections={"what_to_do": "Hang up."}),
        markings=Markings(distribution="public", tlp="clear"))
    services.submit_for_review(awareness, user=desk.writer)
    services.approve(awareness, user=desk.publisher)
    dissemination.disseminate(awareness, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ",)))
    awareness.refresh_from_db()
    assert not stix.exportable(awareness)
    response = api(desk.fiji_analyst).get(f"/api/products/{awareness.pk}/stix/")
    assert response.status_code == 404 and "STIX" in response.data["detail"]


def test_an_assessment_exports_as_a_threat_report(desk) -> None:
    product = services.create_product(
        user=desk.writer, kind=Kind.ASSESSMENT,
        content=Content(title="Ransomware in the Pacific", summary="Rising.",
                        sections={"key_judgements": "It will grow."},
                        crime_types=["ransomware"]),
        markings=Markings(distribution="members", tlp="clear"))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("WS",)))
    _document, report = exported(desk.samoa_analyst, product)
    assert report["report_types"] == ["threat-report"]
    assert report["description"].startswith("Rising.")
    assert report["object_marking_refs"] == [TLP2_MARKING_IDS["clear"]]


def test_the_object_export_adds_the_reports_on_request(desk) -> None:
    shared = stored(desk.writer, "shared-bank.top")
    product = linked_alert(desk, [shared])
    client = api(desk.fiji_analyst)
    response = client.get("/api/objects/export/", {"format": "stix", "products": "1"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, result.as_dict()
    ids = [o["id"] for o in json.loads(text)["objects"]]
    assert shared.stix_id in ids and stix.report_id(product) in ids
    assert ids.count(TLP2_MARKING_IDS["green"]) == 1
    plain = client.get("/api/objects/export/", {"format": "stix"})
    assert stix.report_id(product) not in b"".join(plain.streaming_content).decode()
    csv = client.get("/api/objects/export/", {"format": "csv", "products": "1"})
    assert csv.status_code == 400 and "products" in csv.json()
    assert client.get("/api/objects/export/", {"format": "stix", "products": "maybe"}
                      ).status_code == 400
