"""A record's markings as badges: TLP, PAP and distribution (``{% marking_badges obj %}``).

A tag rather than an included template: a list page shows it on every row, and an
include per row (with ``get_FOO_display`` rebuilding its choices on every call) was half
of a 25-row table's rendering time."""

from functools import cache
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from vaka.policy.markings import PAP, TLP, Distribution

register = template.Library()


@register.simple_tag
def marking_badges(record: Any) -> SafeString:
    return _badges(record.tlp, record.pap, record.distribution, get_language())


@cache
def _badges(tlp: str, pap: str, distribution: str, language: str | None) -> SafeString:
    """The badges of one combination of markings, rendered once per language: a handful
    of combinations recur on every row. Labels come from the markings' one definition
    (every marked record's fields take their choices from it)."""
    def label(choices: Any, value: str) -> str:
        return str(dict(choices.choices).get(value, value))

    return format_html(
        '<span class="badge tlp tlp-{}" title="{}">{}</span>\n'
        '<span class="badge pap pap-{}" title="{}">{}</span>\n'
        '<span class="badge text-bg-light border">{}</span>',
        slugify(tlp), _("Traffic Light Protocol"), label(TLP, tlp),
        pap, _("Permissible Actions Protocol"), label(PAP, pap),
        label(Distribution, distribution))
