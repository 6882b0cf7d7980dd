"""Visibility channel of the products, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Each note's markings are given
to two threat alerts of the note's owner, written straight to the database: one released
(disseminated), one a draft never released. Each links every STIX object of the world
(``build_objects``: object ``i`` holds the value ``only{i}-value-7.net`` and mirrors note
``i``'s markings). The reference:

* a released product reaches its audience (``visible``); a draft only the users of its
  owner organisation within its audience;
* a reader's annex holds the values of the linked objects the reader may see, no other;
* list, detail, PDF address, attachment and every action answer 404 outside the
  audience, and a list never counts what it does not show;
* the inbox: every organisation that dissemination would let a product go to (its gate,
  ``dissemination._readers``) is told of it, the notice carrying the product's markings;
  a reader's inbox names a product only when the reference lets the reader see it — so a
  gate that let a product go beyond its audience fails here.
"""

from django.test import Client
from django.utils import timezone

from vaka.directory.models import Organisation
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.intel.models import StixObject
from vaka.products.dissemination import _readers
from vaka.products.models import Attachment, Product, Revision, Status


def _product(note, i: int, *, released: bool) -> Product:
    now = timezone.now()
    title = f"{'released' if released else 'draft'}-product-{i}-x"
    markings = {"distribution": note.distribution, "tlp": note.tlp,
                "audience": note.audience}
    product = Product.objects.create(
        kind="alert", reference=f"ALERT-2026-{i:02d}{int(released)}", owner=note.owner,
        created_by=note.created_by, title=title, **markings,
        status=Status.DISSEMINATED if released else Status.DRAFT,
        released_revision=1 if released else None, released_at=now if released else None)
    revision = Revision.objects.create(
        product=product, number=1, title=title, body=f"body of {title}", **markings,
        status=Status.DISSEMINATED if released else Status.DRAFT,
        released_at=now if released else None,
        sections={"threat": "t", "recommended_actions": "r"})
    revision.linked.set(StixObject.objects.all())
    Attachment.objects.create(revision=revision, file="products/none.bin", name="a.txt",
                              content_type="text/plain", size=1, sha256="0" * 64)
    return product


def check_products(user, visible: set[int], notes: list) -> None:
    org = user.organisation_id if user is not None else None
    objects = list(StixObject.objects.order_by("pk"))
    seen_objects = {obj.pk for obj, note in zip(objects, notes, strict=True)
                    if note.pk in visible}
    expected: set[int] = set()
    products = []
    for i, note in enumerate(notes):
        for released in (True, False):
            product = _product(note, i, released=released)
            products.append(product)
            if note.pk in visible and (released or note.owner_id == org):
                expected.add(product.pk)
    actions = ["edit/", "step/submit/", "revise/", "disseminate/", "acknowledge/",
               "retry-mail/", "translations/fr/", "translations/fr/review/", "attachments/"]
    web = Client()
    if user is None:
        assert web.get("/products/").status_code == 302  # to sign in
        for product in products:
            assert web.get(f"/products/{product.pk}/").status_code == 302
        return
    web.force_login(user)
    for product in products:
        if product.released_at is None:
            continue
        revision = product.revisions.get()
        for organisation in Organisation.objects.exclude(pk=product.owner_id):
            if _readers(revision, organisation) is not None:
                notify(kind=Notice.Kind.PRODUCT, owner_id=organisation.pk,
                       group_key=f"product:{product.pk}", tlp=product.tlp,
                       audience_id=product.audience_id, target_name="products:product",
                       target_args=[product.pk],
                       params={"reference": product.reference, "kind": product.kind,
                               "title": product.title})
    inbox = web.get("/inbox/").content.decode()
    for product in products:
        if product.released_at is not None:  # (no notice to the owner's own people)
            told = product.pk in expected and org not in (None, product.owner_id)
            assert (product.title in inbox) == told, product.title
    page = web.get("/products/", {"page_size": 100}).content.decode()
    for product in products:
        assert (product.title in page) == (product.pk in expected), product.title
    for product in products:
        base = f"/products/{product.pk}/"
        detail = web.get(base)
        if product.pk not in expected:
            assert detail.status_code == 404
            assert web.get(base + "pdf/").status_code == 404
            attachment = Attachment.objects.get(revision__product=product)
            assert web.get(f"{base}attachments/{attachment.pk}/").status_code == 404
            assert web.post(f"{base}attachments/{attachment.pk}/remove/").status_code == 404
            for action in actions:
                assert web.post(base + action).status_code == 404, action
            continue
        text = detail.content.decode()
        assert product.title in text
        for i, obj in enumerate(objects):
            assert (f"only{i}-value-7.net" in text) == (obj.pk in seen_objects)
            assert (obj.name in text) == (obj.pk in seen_objects)


CHANNELS = [check_products]
