"""The one-page leaflet of a public awareness material, as a PDF.

A leaflet is printed and handed out, so it is one page whatever the material's length:
the title, the TLP:CLEAR banner, the summary and the awareness sections (who it is for,
how to spot it, what to do, how to report it) — not the body, which stays on the web
page whose address the leaflet prints. When the words do not fit, the type is made
smaller step by step (down to ``SCALES[-1]`` per cent); text that still does not fit is
cut at the page's end, and the leaflet says so and where to read it all.
"""

import io
from typing import Any

from django.conf import settings
from pypdf import PdfReader, PdfWriter

from vaka.policy.markings import TLP
from vaka.web.pdf import render_template_pdf

SCALES = (100, 90, 80, 70, 60)


def _render(context: dict[str, Any], address: str, *, scale: int,
            shortened: bool = False) -> bytes:
    """The leaflet as a PDF, its type at ``scale`` per cent, in the material's language."""
    product, revision = context["product"], context["revision"]
    return render_template_pdf("products/public_leaflet.html", {
        **context, "address": address, "scale": scale, "shortened": shortened,
        "site_name": settings.SITE_NAME, "tlp": TLP.CLEAR, "tlp_label": "TLP:CLEAR",
        "reference": product.reference,
        "issued": revision.released_at or product.released_at},
        language=context["shown_language"])


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _first_page(pdf: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def leaflet_pdf(context: dict[str, Any], address: str) -> bytes:
    """The leaflet of a public material as an anonymous reader gets it
    (:func:`rendering.reading`'s ``context``), on one A4 page; ``address`` is its page."""
    for scale in SCALES:
        pdf = _render(context, address, scale=scale)
        if _pages(pdf) == 1:
            return pdf
    return _first_page(_render(context, address, scale=SCALES[-1], shortened=True))
