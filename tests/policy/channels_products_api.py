"""Visibility channel of the products' API and STIX export, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Each note gets a disseminated
threat alert with the note's markings (owner, author, distribution, TLP, audience),
written straight to the database like the notes, linking every STIX object (which mirror
the notes, in order), with a recipient row for every organisation but its owner; and a
draft with the same markings, never released. The reference: the user gets the released
product exactly when they may see the note, the draft only when they also belong to its
owner organisation; then its linked objects, annex values and ``object_refs`` are those
of the visible objects only, and its recipients' matrix is every row for the owner
organisation, the user's own row for anyone else. A draft is exported to nobody. Every
other product is 404 on every route — reading it, its recipients, its STIX and each
workflow action — and counts nowhere. A TAXII collection of everything, and the object
export's STIX bundle with ``products=1``, serve the reports of the visible released
products and no other (TAXII: 404 for the others' reports and versions).
(Only this channel's products carry the crime type the list is filtered by, so other
channels' products do not count here.)
"""

import json

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from vaka.directory.models import Organisation
from vaka.directory.services import create_token
from vaka.exchange.models import Collection
from vaka.intel.models import StixObject
from vaka.products import stix
from vaka.products.models import Product, Recipient, Revision, Status


def _product(note, i: int, objects: list[StixObject], *, released: bool) -> Product:
    now = timezone.now() if released else None
    status = Status.DISSEMINATED if released else Status.DRAFT
    marks = {"distribution": note.distribution, "tlp": note.tlp, "audience": note.audience}
    title = f"secret-{'product' if released else 'draft'}-{i}-x"
    product = Product.objects.create(
        kind="alert", reference=f"ALERT-2026-{9000 + 2 * i + released}", owner=note.owner,
        created_by=note.created_by, status=status, released_revision=1 if released else None,
        released_at=now, title=title, crime_types=["phishing"], **marks)
    revision = Revision.objects.create(
        product=product, number=1, status=status, title=title, body=f"secret-body-{i}-x",
        sections={"threat": "t", "recommended_actions": "r"}, crime_types=["phishing"],
        created_by=note.created_by, released_at=now, **marks)
    revision.linked.set(objects)
    if released:
        Recipient.objects.bulk_create([
            Recipient(product=product, organisation=org, revision=1)
            for org in Organisation.objects.exclude(pk=note.owner_id)])
    return product


def check_products_api(user, visible: set[int], notes: list) -> None:
    objects = list(StixObject.objects.order_by("pk"))
    org = user.organisation_id if user is not None else None
    products, mine = [], set()
    for i, note in enumerate(notes):
        for released in (True, False):
            product = _product(note, i, objects, released=released)
            products.append(product)
            if note.pk in visible and (released or note.owner_id == org):
                mine.add(product.pk)
    api = APIClient()
    if user is None:
        assert api.get("/api/products/").status_code in (401, 403)
        assert api.get(f"/api/products/{products[0].pk}/stix/").status_code in (401, 403)
        return
    api.force_authenticate(user)
    seen_objects = [obj for obj, note in zip(objects, notes, strict=True)
                    if note.pk in visible]
    listing = api.get("/api/products/", {"page_size": 100, "crime_type": "phishing"})
    assert listing.status_code == 200
    assert listing.data["count"] == len(mine)
    assert {row["id"] for row in listing.data["results"]} == mine
    searched = api.get("/api/products/", {"search": "secret", "kind": "alert"}).data
    assert {row["id"] for row in searched["results"]} == mine
    drafts = api.get("/api/products/", {"status": "draft", "crime_type": "phishing"}).data
    assert drafts["count"] == len(mine - {p.pk for p in products if p.released_at})
    for product in products:
        url = f"/api/products/{product.pk}/"
        if product.pk not in mine:
            assert product.title not in json.dumps(listing.data)
            assert api.get(url).status_code == 404
            assert api.get(f"{url}recipients/").status_code == 404
            assert api.get(f"{url}stix/").status_code == 404
            assert api.patch(url, {"title": "x"}, format="json").status_code == 404
            for name in ("submit", "return", "approve", "new-revision", "disseminate",
                         "acknowledge", "close"):
                assert api.post(f"{url}{name}/", {"ack": "received", "comment": "c"},
                                format="json").status_code == 404, name
            continue
        detail = api.get(url).data
        assert detail["title"] == product.title
        assert set(detail["linked"]) == {obj.pk for obj in seen_objects}
        values = {row["value"] for row in detail["annex"]}
        hidden = {f"only{j}-value-7.net" for j, other in enumerate(notes)
                  if other.pk not in visible}
        assert not values & hidden
        assert values == ({"shared-value-7.net"} if seen_objects else set()) | {
            f"only{j}-value-7.net" for j, other in enumerate(notes) if other.pk in visible}
        exported = api.get(f"{url}stix/")
        if product.released_at is None:
            assert exported.status_code == 404  # a draft is nobody's to export
            assert api.get(f"{url}recipients/").data == []
            continue
        assert exported.status_code == 200
        [report] = [o for o in exported.data["objects"] if o["type"] == "report"]
        assert report["object_refs"] == (
            sorted(obj.stix_id for obj in seen_objects)
            or [f"identity--{product.owner.uid}"])
        rows = {row["organisation"] for row in api.get(f"{url}recipients/").data}
        if user.organisation_id == product.owner_id:
            assert rows == set(Recipient.objects.filter(product=product)
                               .values_list("organisation_id", flat=True))
        else:
            assert rows == ({user.organisation_id} if user.organisation_id else set())
    _check_taxii(user, products, mine)
    bundle = api.get("/api/objects/export/", {"format": "stix", "products": "1"})
    exported = json.loads(b"".join(bundle.streaming_content))["objects"]
    ids = {stix.report_id(p) for p in products}
    assert {o["id"] for o in exported} & ids == {
        stix.report_id(p) for p in products if p.pk in mine and p.released_at}


def _check_taxii(user, products: list[Product], mine: set[int]) -> None:
    collection = Collection.objects.get_or_create(title="Everything", alias="everything")[0]
    base = f"/taxii2/api/collections/{collection.id}/objects/"
    headers = {"HTTP_ACCEPT": "application/taxii+json;version=2.1",
               "HTTP_AUTHORIZATION": f"Token {create_token(user, name='taxii')[1]}"}
    web = Client()
    ids = {stix.report_id(p): p for p in products if p.released_at}
    listed = web.get(base, {"match[type]": "report", "limit": 1000}, **headers).json()
    served = {o["id"] for o in listed.get("objects", [])} & set(ids)
    assert served == {rid for rid, p in ids.items() if p.pk in mine}
    for rid, product in ids.items():
        if product.pk not in mine:
            assert web.get(f"{base}{rid}/", **headers).status_code == 404
            assert web.get(f"{base}{rid}/versions/", **headers).status_code == 404


CHANNELS = [check_products_api]
