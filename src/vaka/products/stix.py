"""A disseminated threat alert or threat assessment as a STIX 2.1 ``report``.

What the report holds is what one reader may read: the revision the reader gets (which the
caller chose through ``products.selectors``), marked with that revision's own TLP, and
``object_refs`` naming only the linked intelligence the reader may see. Nothing here reads
the database beyond the rows it is handed, so the API, TAXII and the exports share it.

Choices, and why:

* **One id per product, a version per revision.** The id is derived from the owner
  organisation's ``uid`` and the product's reference (stable across renames and across
  connected instances); each released revision is a new version of that report, with
  ``modified`` the revision's dissemination. A correction is a new version in STIX terms,
  as it is in Vaka's, so a TAXII client replaces the old text instead of keeping both.
* **Only alerts and assessments, only once released** (``EXPORTED_KINDS``,
  :func:`exportable`): activity reports and awareness material are not threat
  intelligence, and a draft is nobody's to export.
* **``object_refs`` is never empty** (STIX 2.1 §3.x: required, at least one entry). A
  reader who may see none of the linked objects gets a report that refers to its author's
  identity only: the report is theirs to read, and the refs say no more than "nothing
  here that you may see" — never how many objects were left out.
* ``report_types`` is ``threat-report`` for both kinds (the ``report-type-ov`` entry for
  reports about threats); crime types become labels in the one machine-tag form of
  ``intel.crime_types``; the text of every section goes into ``description`` as Markdown,
  in the order ``products.kinds`` gives.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation

from vaka.intel.crime_types import tag
from vaka.intel.models import StixObject
from vaka.intel.parsing.stix_markings import tlp_marking_definition, tlp_marking_id
from vaka.intel.parsing.tabular import VAKA_NAMESPACE
from vaka.intel.parsing.timestamps import stix_timestamp
from vaka.policy.visibility import visible_to
from vaka.products import selectors
from vaka.products.kinds import MARKDOWN, sections_of
from vaka.products.models import Kind, Product, Revision, Status

EXPORTED_KINDS = frozenset({Kind.ALERT, Kind.ASSESSMENT})
RELEASED = frozenset({Status.DISSEMINATED, Status.CLOSED})
REPORT_TYPES = {Kind.ALERT: ["threat-report"], Kind.ASSESSMENT: ["threat-report"]}
SOURCE_NAME = "vaka"


def exportable(product: Product) -> bool:
    """Whether ``product`` is exported as STIX at all (its kind, and released)."""
    return (product.kind in EXPORTED_KINDS and product.released_at is not None
            and product.status in RELEASED)


def released_for(user: Any, product: Product) -> Revision | None:
    """The newest released revision of ``product`` that ``user`` may read (the product
    itself already through ``selectors.product_for``), or None: a draft that follows a
    release is never exported, even to its owner."""
    if not exportable(product):
        return None
    return (selectors.revisions_for(user, product).filter(released_at__isnull=False)
            .select_related("product__owner").first())


def refs_for(user: Any, revision: Revision) -> list[str]:
    """The STIX ids of ``revision``'s linked objects that ``user`` may see."""
    return list(selectors.linked_for(user, revision).values_list("stix_id", flat=True))


# --- many reports at once (TAXII) ----------------------------------------------------------

def released_revisions(user: Any) -> QuerySet[Revision]:
    """Every version of a report ``user`` may read: the released revisions in the user's
    audience of the exported products the user may see."""
    products = selectors.products_for(user).filter(
        kind__in=EXPORTED_KINDS, status__in=RELEASED, released_at__isnull=False)
    return visible_to(user, Revision.objects.filter(product__in=products.values("pk"),
                                                    released_at__isnull=False))


def _ends(revisions: QuerySet[Revision], order: str) -> QuerySet[Revision]:
    end = revisions.filter(product=OuterRef("product")).order_by(order).values("number")[:1]
    return revisions.filter(number=Subquery(end))


def newest(revisions: QuerySet[Revision]) -> QuerySet[Revision]:
    """Of ``revisions`` (one reader's), the newest of each product: the report as that
    reader has it now."""
    return _ends(revisions, "-number")


def first(revisions: QuerySet[Revision]) -> QuerySet[Revision]:
    return _ends(revisions, "number")


def with_report_ids(revisions: QuerySet[Revision], ids: Iterable[str]) -> QuerySet[Revision]:
    """The revisions of the products whose report id is among ``ids`` (the ids are
    derived, not stored: worked out for the products at hand)."""
    wanted = {i.lower() for i in ids if i.startswith("report--")}
    if not wanted:
        return revisions.none()
    products = Product.objects.filter(pk__in=revisions.values("product")).select_related(
        "owner").only("pk", "reference", "owner__uid")
    return revisions.filter(product__in=[p.pk for p in products if report_id(p) in wanted])


def reports(user: Any, revisions: list[Revision]) -> list[dict[str, Any]]:
    """The report of each of ``revisions`` (with ``product__owner`` loaded) as ``user``
    reads it, in three queries whatever their number."""
    through = Revision.linked.through
    links = list(through.objects.filter(revision_id__in=[r.pk for r in revisions])
                 .values_list("revision_id", "stixobject_id"))
    seen = dict(visible_to(user, StixObject.objects.filter(
        pk__in={obj for _rev, obj in links})).values_list("pk", "stix_id"))
    refs: dict[int, list[str]] = {}
    for revision_id, obj in links:
        if obj in seen:
            refs.setdefault(revision_id, []).append(seen[obj])
    return [report(r.product, r, refs.get(r.pk, [])) for r in revisions]


def report_id(product: Product) -> str:
    name = f"product:{product.owner.uid}:{product.reference}"
    return f"report--{uuid.uuid5(VAKA_NAMESPACE, name)}"


def identity_id(organisation: Any) -> str:
    """The STIX identity of a Vaka organisation (its ``uid``, a UUIDv4)."""
    return f"identity--{organisation.uid}"


def identity(organisation: Any) -> dict[str, Any]:
    stamp = stix_timestamp(organisation.created)
    return {"type": "identity", "spec_version": "2.1", "id": identity_id(organisation),
            "created": stamp, "modified": stamp, "name": organisation.name,
            "identity_class": "organization"}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value or "").strip()


def description(product: Product, revision: Revision) -> str:
    """The revision's summary, body and sections as one Markdown text, headed in the
    revision's own language."""
    parts = [revision.summary.strip(), revision.body.strip()]
    with translation.override(revision.language):
        for section in sections_of(product.kind):
            text = _text((revision.sections or {}).get(section.name))
            if text:
                heading = f"## {section.label}\n\n" if section.form == MARKDOWN else \
                    f"**{section.label}:** "
                parts.append(heading + text)
    return "\n\n".join(part for part in parts if part)


def report(product: Product, revision: Revision, refs: Iterable[str]) -> dict[str, Any]:
    """The STIX 2.1 report of ``revision`` (released) of ``product``; ``refs`` are the
    STIX ids of the linked objects the reader may see."""
    released: datetime = revision.released_at or product.released_at
    first = min(product.released_at or released, released)
    owner = product.owner
    obj: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": report_id(product),
        "created": stix_timestamp(first), "modified": stix_timestamp(released),
        "created_by_ref": identity_id(owner), "name": revision.title,
        "report_types": REPORT_TYPES[product.kind], "published": stix_timestamp(released),
        "object_refs": sorted(set(refs)) or [identity_id(owner)],
        "lang": revision.language,
        "object_marking_refs": [tlp_marking_id(revision.tlp)],
        "external_references": [{"source_name": SOURCE_NAME,
                                 "external_id": f"{product.reference} r{revision.number}"}],
    }
    text = description(product, revision)
    if text:
        obj["description"] = text
    if revision.crime_types:
        obj["labels"] = [tag(code) for code in revision.crime_types]
    return obj


def bundle(product: Product, revision: Revision, refs: Iterable[str]) -> dict[str, Any]:
    """The report with its author's identity and its TLP marking-definition."""
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        report(product, revision, refs), identity(product.owner),
        tlp_marking_definition(revision.tlp)]}
