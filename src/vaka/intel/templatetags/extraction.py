"""Template filters of the free-text review page."""

from django import template

from vaka.intel.uncertain import explanation

register = template.Library()


@register.filter
def uncertain_reason(reason: str) -> str:
    """Why an extracted value is uncertain, in the user's language."""
    return explanation(reason)
