from django import template

from vaka.intel.galaxies import tag_label as _tag_label

register = template.Library()


@register.filter
def tag_label(tag: str) -> str:
    """'misp-galaxy:threat-actor="APT1"' → 'Threat actor: APT1'."""
    return _tag_label(str(tag))


@register.filter
def review_flag(flags: dict[tuple[str, str], object] | None, indicator: object) -> object:
    """The review flags (``intel.review``) of one indicator found in free text."""
    if not flags:
        return None
    return flags.get((getattr(indicator, "kind", ""), getattr(indicator, "value", "")))
