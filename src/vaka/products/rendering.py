"""A product as one reader gets it, for the web page and the PDF alike.

Both render from :func:`reading`: the revision the reader may see, in the language asked
for when an approved translation exists (its writers also see drafts), its sections,
the annex of indicators *this reader* may see, the linked objects and the charts. One
reader's annex is never another's: it is computed per request, never cached.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from vaka.intel.crime_types import CrimeType
from vaka.policy.models import Marked
from vaka.products import selectors
from vaka.products.kinds import COUNTRIES, SECTORS, WITH_CONTENTS, Sector, sections_of
from vaka.products.models import Product, Revision
from vaka.web import charts
from vaka.web.markdown import headings

LANGUAGES = list(settings.LANGUAGES)


@dataclass(frozen=True)
class ShownSection:
    name: str
    label: Any  # lazy: a PDF in another language translates it when rendered
    markdown: str = ""
    codes: tuple[str, ...] = ()


def _shown_sections(kind: str, values: dict[str, Any]) -> list[ShownSection]:
    from vaka.directory.models import Country

    shown = []
    names = None
    for section in sections_of(kind):
        value = values.get(section.name)
        if not value:
            continue
        if section.form == COUNTRIES:
            if names is None:
                names = dict(Country.objects.values_list("code", "name"))
            shown.append(ShownSection(section.name, section.label,
                                      codes=tuple(names.get(c, c) for c in value)))
        elif section.form == SECTORS:
            labels = dict(Sector.choices)
            shown.append(ShownSection(section.name, section.label,
                                      codes=tuple(labels.get(c, c) for c in value)))
        else:
            shown.append(ShownSection(section.name, section.label, markdown=str(value)))
    return shown


def classification_line(record: Marked) -> str:
    """Handling, PAP and grading as one line for a header or footer."""
    parts = [f"PAP:{record.pap.upper()}"]
    parts += record.handling_labels
    if record.grading_code:
        parts.append(record.grading_code)
    if record.handling_note:
        parts.append(record.handling_note)
    return " · ".join(parts)


def drawn_charts(revision: Revision) -> list[tuple[str, str]]:
    """(title, SVG) of the charts a revision holds: an activity report's pre-filled
    figures and the analytics charts its writer inserted, as they were when written."""
    figures = revision.figures or {}
    rtl = get_language() in settings.LANGUAGES_BIDI
    chosen = []
    for key in ("by_crime_type", "by_country", "by_tlp"):
        counts = figures.get(key) or {}
        if counts:
            chosen.append(charts.Chart(
                title=figures.get("titles", {}).get(key, key), labels=tuple(counts),
                kind="hbar", series=(charts.Series(figures.get("unit", ""),
                                                   tuple(float(v) for v in counts.values())),)))
    for held in figures.get("charts", []):
        chosen.append(charts.Chart(
            title=held["title"], labels=tuple(held["labels"]), kind=held["kind"],
            unit=held.get("unit", ""),
            series=tuple(charts.Series(s["name"], tuple(s["values"])) for s in held["series"])))
    return [(chart.title, charts.render_svg(chart, rtl=rtl)) for chart in chosen]


def reading(user: Any, product: Product, revision: Revision, language: str = ""
            ) -> dict[str, Any]:
    """Everything a page or a PDF shows of ``revision`` to ``user``."""
    owner_side = selectors.is_owner_side(user, product)
    text: Any = revision
    if language and language != revision.language:
        found = selectors.translation_for(revision, language, approved_only=not owner_side)
        if found is not None:
            text = found
    values = {**revision.sections, **{k: v for k, v in getattr(text, "sections", {}).items()
                                      if v}}
    body = text.body
    return {
        "product": product,
        "revision": revision,
        "title": text.title,
        "summary": text.summary,
        "body": body,
        "shown_language": getattr(text, "language", revision.language),
        "sections": _shown_sections(product.kind, values),
        "crime_type_labels": [CrimeType(code).label for code in revision.crime_types
                              if code in CrimeType.values],
        "linked": selectors.linked_for(user, revision),
        "annex": selectors.annex_for(user, revision),
        "attachments": selectors.attachments_for(revision),
        "report_charts": drawn_charts(revision),
        "toc": [(anchor, title) for _level, anchor, title in headings(body)]
        if product.kind in WITH_CONTENTS else [],
        "translations_available": [
            (t.language, dict(LANGUAGES).get(t.language, t.language))
            for t in revision.translations.all()
            if owner_side or t.status == "approved"],
        "classification": classification_line(revision),
    }


def ack_counts(rows: Any) -> dict[str, int]:
    """How many recipients acknowledged, actioned, or not yet; and how many are late."""
    counts = {"total": 0, "received": 0, "actioned": 0, "pending": 0, "overdue": 0}
    for row in rows:
        counts["total"] += 1
        counts[row.ack] += 1
        counts["overdue"] += row.overdue
    return counts


def pdf_response_for(request: HttpRequest, product: Product, context: dict[str, Any]
                     ) -> HttpResponse:
    """The reader's revision as a PDF: the TLP banner on every page, header and footer
    with the classification, contents for long forms, charts as vectors, the annex; its
    words in the language of the text read."""
    language = context["shown_language"]
    with translation.override(language):
        return _pdf(request, product, context, language)


def _pdf(request: HttpRequest, product: Product, context: dict[str, Any], language: str
         ) -> HttpResponse:
    from vaka.web.pdf import AnnexColumn, annex_table, pdf_response, render_pdf

    revision = context["revision"]
    annex = annex_table(
        (AnnexColumn(_("Type"), 10), AnnexColumn(_("Value"), 70),
         AnnexColumn("TLP", 13)),
        ((row.kind, row.value, f"TLP:{row.tlp.upper()}") for row in context["annex"]),
        rtl=language in settings.LANGUAGES_BIDI)
    html = render_to_string("products/product_pdf.html", {
        **context,
        "tlp": revision.tlp,
        "tlp_label": revision.get_tlp_display(),
        "classification_line": context["classification"],
        "reference": f"{product.reference} r{revision.number}",
        "issued": revision.released_at or revision.approved_at or revision.modified,
        "language": language,
        "rtl": language in settings.LANGUAGES_BIDI,
        "generated": timezone.now(),
        "annex_table": annex if annex.rows else None,
        "annex": [],
    }, request=request)
    pdf = render_pdf(html, base_url=request.build_absolute_uri("/"))
    return pdf_response(pdf, f"{product.reference}-r{revision.number}.pdf")
