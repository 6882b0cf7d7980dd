"""What each kind of product holds beyond a title, a summary and a body: defined once.

The editor's form, the API's serializer, the web page, the PDF and the STIX export all
read the sections from here, in this order.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vaka.products.models import Kind

MARKDOWN = "markdown"  # a Markdown text, rendered and sanitised
LINE = "line"  # one line of plain text
COUNTRIES = "countries"  # ISO 3166-1 alpha-2 codes
SECTORS = "sectors"  # codes of Sector


class Sector(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    FINANCE = "finance", _("Banking and finance")
    TELECOMS = "telecoms", _("Telecommunications")
    HEALTH = "health", _("Health")
    ENERGY = "energy", _("Energy and utilities")
    EDUCATION = "education", _("Education")
    TRANSPORT = "transport", _("Transport and ports")
    RETAIL = "retail", _("Retail and e-commerce")
    TOURISM = "tourism", _("Tourism")
    INDIVIDUALS = "individuals", _("Individuals")
    SMALL_BUSINESS = "small_business", _("Small businesses")


@dataclass(frozen=True)
class Section:
    name: str
    label: str | Promise
    form: str = MARKDOWN
    help: str | Promise = ""
    required: bool = False


SECTIONS: dict[str, tuple[Section, ...]] = {
    Kind.ALERT: (
        Section("threat", _("Threat"), required=True,
                help=_("What is happening and why it matters.")),
        Section("modus_operandi", _("Modus operandi")),
        Section("vector", _("Vector"), LINE,
                help=_("How victims are reached, e.g. SMS, e-mail, social media.")),
        Section("targeted_sectors", _("Targeted sectors"), SECTORS),
        Section("targeted_countries", _("Targeted countries"), COUNTRIES),
        Section("recommended_actions", _("Recommended actions"), required=True),
        Section("issuing_unit", _("Issuing unit"), LINE),
    ),
    Kind.ASSESSMENT: (
        Section("key_judgements", _("Key judgements"), required=True),
        Section("trends", _("Trends"),
                help=_("Charts from the analytics are added below this section.")),
        Section("annexes", _("Annexes")),
        Section("sources", _("Sources")),
    ),
    Kind.REPORT: (
        Section("highlights", _("Highlights")),
        Section("operations", _("Operations")),
        Section("training", _("Training")),
    ),
    Kind.AWARENESS: (
        Section("audience", _("Who it is for"), LINE,
                help=_("e.g. parents, small businesses, students.")),
        Section("how_to_spot", _("How to spot it")),
        Section("what_to_do", _("What to do"), required=True),
        Section("how_to_report", _("How to report it")),
    ),
}

# Kinds whose dissemination asks each recipient organisation to acknowledge.
ACKNOWLEDGED = frozenset({Kind.ALERT})
# Kinds with a table of contents in their PDF.
WITH_CONTENTS = frozenset({Kind.ASSESSMENT, Kind.REPORT})
# How each kind's references begin: ALERT-2026-0007.
PREFIXES = {Kind.ALERT: "ALERT", Kind.ASSESSMENT: "TA", Kind.REPORT: "AR",
            Kind.AWARENESS: "AW"}


def sections_of(kind: str) -> tuple[Section, ...]:
    return SECTIONS.get(kind, ())
