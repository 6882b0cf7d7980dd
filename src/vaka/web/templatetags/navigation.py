"""Tell assistive technology which navigation link leads to the page being shown."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def aria_current(context: template.Context, url_name: str, exact: bool = False) -> str:
    """`` aria-current="page"`` on the link to this very page, ``"true"`` on the link to the
    section it belongs to (a record under its list), nothing otherwise.

    The home page is a section of its own only: every path starts with ``/``; so is a page
    whose address starts its siblings' (``exact=True``: the training catalogue at
    ``/training/``, beside ``/training/sessions/``).
    """
    request = context.get("request")
    if request is None:
        return ""
    href = reverse(url_name)
    if request.path == href:
        return format_html(' aria-current="{}"', "page")
    if href != "/" and not exact and request.path.startswith(href):
        return format_html(' aria-current="{}"', "true")
    return ""
