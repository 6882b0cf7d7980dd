from django import template

from vaka.intel.galaxies import tag_label as _tag_label

register = template.Library()


@register.filter
def tag_label(tag: str) -> str:
    """'misp-galaxy:threat-actor="APT1"' → 'Threat actor: APT1'."""
    return _tag_label(str(tag))
