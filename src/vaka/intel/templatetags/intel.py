from typing import Any

from django import template

from vaka.intel.filtersets import described_filters as _described_filters
from vaka.intel.galaxies import tag_label as _tag_label

register = template.Library()


@register.filter
def tag_label(tag: str) -> str:
    """'misp-galaxy:threat-actor="APT1"' → 'Threat actor: APT1'."""
    return _tag_label(str(tag))


@register.filter
def described_filters(params: dict[str, Any] | None) -> list[tuple[Any, Any]]:
    """A saved object filter as (label, value) pairs to show (``intel.filtersets``)."""
    return _described_filters(params)


@register.filter
def review_flag(flags: dict[tuple[str, str], object] | None, indicator: object) -> object:
    """The review flags (``intel.review``) of one indicator found in free text."""
    if not flags:
        return None
    return flags.get((getattr(indicator, "kind", ""), getattr(indicator, "value", "")))
