"""Public awareness material, for everyone and without sign-in: ``/awareness/``.

These pages serve exactly what :func:`selectors.public_materials` returns — released
awareness products whose released revision is public and TLP:CLEAR — and the same to
every reader, signed in or not: anything else is 404, even to a member who may read it
on the product's own page. Each material is shown in its released revision (or an
approved translation of it), can be printed as a one-page leaflet, and is in the Atom
feed.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from vaka.products import rendering, selectors
from vaka.products.leaflet import leaflet_pdf
from vaka.products.models import Product, Revision
from vaka.products.services import LANGUAGE_CODES
from vaka.web.markdown import plain_text
from vaka.web.pagination import paginate
from vaka.web.pdf import pdf_response

FEED_LENGTH = 50
LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _reading(request: HttpRequest, product: Product, revision: Revision) -> dict[str, Any]:
    """What the public page and leaflet show: the material as an anonymous reader gets it
    (approved translations only), whoever asks."""
    return rendering.reading(AnonymousUser(), product, revision,
                             request.GET.get("language", ""))


def _absolute(path: str) -> str:
    return settings.BASE_URL + path


@require_safe
def material_list(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("language", "")
    problem = ""
    if language and language not in LANGUAGE_CODES:
        problem = _("“%(code)s” is not a language of this site; showing every language.") \
            % {"code": language}
        language = ""
    materials = (selectors.public_materials_in(language) if language
                 else selectors.public_materials())
    return render(request, "products/public_list.html", {
        "page": paginate(request, materials), "language": language, "problem": problem,
        "languages": settings.LANGUAGES})


@require_safe
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.public_material(pk)
    revision = selectors.public_revision(product)
    context = _reading(request, product, revision)
    return render(request, "products/public_detail.html", {
        **context, "original_language": revision.language,
        "offered": [(revision.language, LANGUAGE_NAMES.get(revision.language,
                                                           revision.language)),
                    *context["translations_available"]]})


@require_safe
def material_leaflet(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.public_material(pk)
    revision = selectors.public_revision(product)
    context = _reading(request, product, revision)
    language = context["shown_language"]
    address = _absolute(reverse("awareness:material", args=[product.pk]))
    if language != revision.language:
        address += f"?language={language}"
    pdf = leaflet_pdf(context, address)
    return pdf_response(pdf, f"{product.reference}-{language}.pdf")


@require_safe
def feed(request: HttpRequest) -> HttpResponse:
    """The latest public materials as an Atom feed; every link absolute (``BASE_URL``)."""
    materials = list(selectors.public_materials()[:FEED_LENGTH])
    revisions = selectors.public_revisions(materials)
    atom = Atom1Feed(
        title=_("%(site)s: awareness material") % {"site": settings.SITE_NAME},
        link=_absolute(reverse("awareness:list")),
        feed_url=_absolute(reverse("awareness:feed")),
        description=_("Public awareness material on cybercrime."),
        feed_guid=_absolute(reverse("awareness:feed")))
    for product in materials:
        revision = revisions.get(product.pk)
        if revision is None:
            continue
        link = _absolute(reverse("awareness:material", args=[product.pk]))
        summary = plain_text(revision.summary) or plain_text(
            str(revision.sections.get("what_to_do", "")))
        atom.add_item(title=revision.title, link=link, description=summary,
                      unique_id=link, pubdate=product.released_at,
                      updateddate=revision.released_at or product.released_at,
                      author_name=product.owner.name)
    response = HttpResponse(content_type=f"{atom.content_type}")
    atom.write(response, "utf-8")
    return response

