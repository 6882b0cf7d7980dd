"""Reads of products, always through the visibility policy.

What a reader gets of a product is one revision: its owner organisation's people get the
newest revision they may see (a draft included); everyone else the newest *released*
revision whose own markings let them in. A revision a reader may not see is never shown,
counted or named — not even that it exists. The review trail, the recipients and their
acknowledgements and the e-mail deliveries are the owner organisation's; a recipient sees
its own acknowledgement.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from vaka.intel.models import Observable, StixObject
from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to
from vaka.products.models import (
    Attachment,
    Campaign,
    Delivery,
    Product,
    Reach,
    Recipient,
    Revision,
    Status,
    Transition,
    Translation,
)

ANNEX_LIMIT = 20_000


def products_for(user: Any) -> QuerySet[Product]:
    return visible_to(user, Product.objects.all()).select_related("owner", "owner__country")


def product_for(user: Any, pk: int, *, request: Any = None) -> Product:
    """The product, or 404 — whether it does not exist or the user may not see it."""
    product = products_for(user).filter(pk=pk).first()
    if product is None:
        raise Http404
    record_view(product, user=user, request=request)
    return product


def revisions_for(user: Any, product: Product) -> QuerySet[Revision]:
    """The revisions of a product ``user`` may see (the product itself checked first)."""
    revisions = visible_to(user, Revision.objects.filter(product=product))
    if user.organisation_id != product.owner_id:
        revisions = revisions.filter(number__lte=product.released_revision or 0)
    return revisions.order_by("-number")


def revision_for(user: Any, product: Product, number: int | None = None) -> Revision:
    """The revision ``number`` (default: the newest the user may see), or 404."""
    revisions = revisions_for(user, product)
    if number is not None:
        revisions = revisions.filter(number=number)
    revision = revisions.select_related("approved_by", "created_by").first()
    if revision is None:
        raise Http404
    return revision


def is_owner_side(user: Any, product: Product) -> bool:
    return user.is_authenticated and user.organisation_id == product.owner_id


def translation_for(revision: Revision, language: str, *, approved_only: bool) -> \
        Translation | None:
    """The revision in ``language``: readers get only an approved translation."""
    translations = revision.translations.filter(language=language)
    if approved_only:
        translations = translations.filter(status=Translation.Review.APPROVED)
    return translations.first()


def linked_for(user: Any, revision: Revision) -> QuerySet[StixObject]:
    """The revision's linked intelligence that ``user`` may see."""
    return visible_to(user, StixObject.objects.filter(
        pk__in=revision.linked.values("pk"))).select_related("owner").order_by("type", "name")


@dataclass(frozen=True)
class AnnexRow:
    kind: str
    value: str
    object_name: str
    tlp: str


def annex_for(user: Any, revision: Revision, *, limit: int = ANNEX_LIMIT) -> list[AnnexRow]:
    """The indicators annex as ``user`` may read it: the values of the linked objects the
    user may see, each once (the most restrictive TLP among its objects shown)."""
    rows = (Observable.objects.filter(object__in=linked_for(user, revision).values("pk"))
            .order_by("kind", "value").values_list("kind", "value", "object__name",
                                                   "object__tlp")[:limit])
    order = ["clear", "green", "amber", "amber+strict", "red"]
    found: dict[tuple[str, str], AnnexRow] = {}
    for kind, value, name, tlp in rows:
        key = (kind, value)
        held = found.get(key)
        if held is None or order.index(tlp) > order.index(held.tlp):
            found[key] = AnnexRow(kind, value, name, tlp)
    return list(found.values())


def attachments_for(revision: Revision) -> QuerySet[Attachment]:
    return revision.attachments.all()


def attachment_for(user: Any, product_pk: int, pk: int) -> Attachment:
    """An attachment of a revision the user may see, or 404."""
    product = product_for(user, product_pk)
    attachment = Attachment.objects.filter(
        pk=pk, revision__in=revisions_for(user, product)).first()
    if attachment is None:
        raise Http404
    return attachment


def transitions_for(user: Any, product: Product) -> QuerySet[Transition]:
    """The review trail, for the owner organisation only."""
    if not is_owner_side(user, product):
        return Transition.objects.none()
    return product.transitions.select_related("by")


def recipients_for(user: Any, product: Product) -> QuerySet[Recipient]:
    """The owner sees every recipient (the acknowledgement matrix); a recipient its own row."""
    rows = product.recipients_rows.select_related("organisation", "organisation__country",
                                                  "ack_by")
    if is_owner_side(user, product):
        return rows
    return rows.filter(organisation_id=user.organisation_id) if user.is_authenticated \
        else rows.none()


def deliveries_for(user: Any, product: Product) -> QuerySet[Delivery]:
    """The e-mail notices of the product, for its owner organisation only."""
    if not is_owner_side(user, product):
        return Delivery.objects.none()
    return product.deliveries.select_related("user")


def pending_review_for(user: Any) -> QuerySet[Product]:
    """Products of the user's organisation waiting for a review."""
    return products_for(user).filter(owner_id=user.organisation_id).filter(
        revisions__status=Status.IN_REVIEW, revisions__number=F("revision"))


def awaiting_ack_for(user: Any) -> QuerySet[Recipient]:
    """Alerts the user's organisation has not acknowledged yet."""
    if not user.is_authenticated or user.organisation_id is None:
        return Recipient.objects.none()
    return Recipient.objects.filter(
        organisation_id=user.organisation_id, ack=Recipient.Ack.PENDING,
        product__status=Status.DISSEMINATED,
        product__in=products_for(user).values("pk")).select_related("product")


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    return visible_to(user, Campaign.objects.all()).select_related("owner")


def campaign_for(user: Any, pk: int) -> Campaign:
    campaign = campaigns_for(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def public_materials() -> QuerySet[Product]:
    """Awareness material anyone may read: released, public, TLP:CLEAR (the policy's
    anonymous audience)."""
    from django.contrib.auth.models import AnonymousUser

    from vaka.products.models import Kind

    return products_for(AnonymousUser()).filter(kind=Kind.AWARENESS).filter(
        ~Q(released_revision=None)).order_by("-released_at", "-pk")


# --- Public awareness material and campaign reach -------------------------------------

def public_material(pk: int) -> Product:
    """One of :func:`public_materials`, or 404 — whatever else ``pk`` may name, and for
    every reader: the public pages serve public material only."""
    product = public_materials().filter(pk=pk).first()
    if product is None:
        raise Http404
    return product


def public_revisions(products: list[Product]) -> dict[int, Revision]:
    """The revision of each public material anyone may read, by product id: the newest
    released revision, up to the product's released one, whose own markings are public
    and TLP:CLEAR. One query for a whole page or feed."""
    from django.contrib.auth.models import AnonymousUser

    released = {product.pk: product.released_revision or 0 for product in products}
    found: dict[int, Revision] = {}
    for revision in visible_to(AnonymousUser(), Revision.objects.filter(
            product_id__in=released)).order_by("product_id", "-number"):
        if revision.number <= released[revision.product_id]:
            found.setdefault(revision.product_id, revision)
    return found


def public_revision(product: Product) -> Revision:
    """The revision of one public material anyone may read (:func:`public_revisions`)."""
    revision = public_revisions([product]).get(product.pk)
    if revision is None:
        raise Http404
    return revision


def public_materials_in(language: str) -> QuerySet[Product]:
    """Public materials written in ``language`` or with an approved translation into it."""
    translated = Translation.objects.filter(
        revision__product=OuterRef("pk"), revision__number=OuterRef("released_revision"),
        status=Translation.Review.APPROVED, language=language)
    return public_materials().filter(Q(language=language) | Exists(translated))


def reach_for(user: Any, campaign: Campaign) -> QuerySet[Reach]:
    """People reached, summed by country and channel (rows of ``country_id``,
    ``country__name``, ``channel`` and ``people``), largest first — for a reader who may
    see the campaign; nothing for anyone else."""
    if not campaigns_for(user).filter(pk=campaign.pk).exists():
        return Reach.objects.none()
    return (Reach.objects.filter(campaign=campaign)
            .values("country_id", "country__name", "channel")
            .annotate(people=Sum("people")).order_by("-people", "country__name", "channel"))
