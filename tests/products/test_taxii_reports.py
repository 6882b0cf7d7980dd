"""Disseminated alerts and assessments in TAXII collections: each released revision a
version of the product's report, among the stored objects' pages, to its audience only."""

import pytest
from django.test import Client
from stix2validator import ValidationOptions, validate_instance

from tests.products.conftest import (
    ALERT_SECTIONS,
    approved_alert,
    disseminated_alert,
    draft_alert,
    stored,
)
from vaka.directory.services import create_token
from vaka.exchange.models import Collection
from vaka.policy.services import Markings
from vaka.products import dissemination, services, stix
from vaka.products.services import Content

TAXII = "application/taxii+json;version=2.1"


def taxii(user) -> tuple[Client, dict]:
    return Client(), {"HTTP_ACCEPT": TAXII,
                      "HTTP_AUTHORIZATION": f"Token {create_token(user, name='t')[1]}"}


def get(user, path: str, **params) -> dict:
    client, headers = taxii(user)
    response = client.get(path, params, **headers)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def everything(db):
    return Collection.objects.create(title="Everything", alias="everything")


def base(collection: Collection) -> str:
    return f"/taxii2/api/collections/{collection.id}/"


def test_a_recipient_reads_the_report_among_the_objects(desk, everything) -> None:
    shared = stored(desk.writer, "shared-bank.top")
    product = disseminated_alert(desk)
    services.new_revision(product, user=desk.writer)  # a draft: served to nobody
    listed = get(desk.fiji_analyst, base(everything) + "objects/")["objects"]
    reports = [o for o in listed if o["type"] == "report"]
    assert {o["id"] for o in listed} == {shared.data["id"], stix.report_id(product)}
    [report] = reports
    assert validate_instance(report, ValidationOptions(version="2.1")).is_valid
    assert report["name"] == "Smishing wave"
    manifest = get(desk.fiji_analyst, base(everything) + "manifest/")["objects"]
    [entry] = [e for e in manifest if e["id"] == report["id"]]
    assert entry["version"].startswith(report["modified"][:-1])


def test_a_draft_and_another_audience_get_nothing(desk, everything) -> None:
    draft_alert(desk)
    product = approved_alert(desk, tlp="amber+strict",
                             recipient_organisations=[desk.fiji_unit])
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ",)))
    assert get(desk.writer, base(everything) + "objects/", **{"match[type]": "report"})[
        "objects"][0]["id"] == stix.report_id(product)
    samoa = get(desk.samoa_analyst, base(everything) + "objects/")
    assert "objects" not in samoa
    client, headers = taxii(desk.samoa_analyst)
    for path in ("", "versions/"):
        answer = client.get(f"{base(everything)}objects/{stix.report_id(product)}/{path}",
                            **headers)
        assert answer.status_code == 404


def test_only_collections_that_could_mean_reports_serve_them(desk) -> None:
    stored(desk.writer, "shared-bank.top")
    product = disseminated_alert(desk)
    reports = Collection.objects.create(title="Reports", filters={"type": "report"})
    indicators = Collection.objects.create(title="Indicators", filters={"type": "indicator"})
    green = Collection.objects.create(title="Green", filters={"tlp": "green"})
    assert [o["id"] for o in get(desk.fiji_analyst, base(reports) + "objects/")[
        "objects"]] == [stix.report_id(product)]
    for collection in (indicators, green):
        listed = get(desk.fiji_analyst, base(collection) + "objects/").get("objects", [])
        assert all(o["type"] != "report" for o in listed)


def test_pages_walk_through_objects_and_reports_once_each(desk, everything) -> None:
    first = stored(desk.writer, "one-bank.top")
    product = disseminated_alert(desk)
    last = stored(desk.writer, "two-bank.top")
    seen, params = [], {"limit": 1}
    while True:
        page = get(desk.fiji_analyst, base(everything) + "objects/", **params)
        seen += [o["id"] for o in page.get("objects", [])]
        if not page["more"]:
            break
        params = {"limit": 1, "next": page["next"]}
    assert seen == [first.data["id"], stix.report_id(product), last.data["id"]]


def test_each_released_revision_is_a_version(desk, everything) -> None:
    product = disseminated_alert(desk)
    services.new_revision(product, user=desk.writer)
    product.refresh_from_db()
    services.update_draft(product, user=desk.writer, content=Content(
        title="Smishing, corrected", sections=dict(ALERT_SECTIONS),
        ack_deadline=product.ack_deadline),
        markings=Markings(distribution="members", tlp="green"))
    services.submit_for_review(product, user=desk.writer)
    services.approve(product, user=desk.publisher)
    dissemination.disseminate(product, user=desk.publisher,
                              choice=dissemination.Choice(countries=("FJ",)))
    path = f"{base(everything)}objects/{stix.report_id(product)}/"
    versions = get(desk.fiji_analyst, path + "versions/")["versions"]
    assert len(versions) == 2
    [current] = get(desk.fiji_analyst, path)["objects"]
    assert current["name"] == "Smishing, corrected"
    [oldest] = get(desk.fiji_analyst, path, **{"match[version]": "first"})["objects"]
    assert oldest["name"] == "Smishing wave"
    both = get(desk.fiji_analyst, path, **{"match[version]": "all"})["objects"]
    assert sorted(o["modified"] for o in both) == sorted([oldest["modified"],
                                                          current["modified"]])
    [again] = get(desk.fiji_analyst, path, **{"match[version]": oldest["modified"]})[
        "objects"]
    assert again["name"] == "Smishing wave"
    later = get(desk.fiji_analyst, base(everything) + "objects/",
                added_after=oldest["modified"])["objects"]
    assert [o["name"] for o in later] == ["Smishing, corrected"]
