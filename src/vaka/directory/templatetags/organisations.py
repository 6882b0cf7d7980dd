"""An organisation as a list shows it: its name, and where it came from when a connected
instance sent it (``{% owner org %}``). A tag, not an include: it is on every row."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def owner(org: Any) -> SafeString:
    if org is None:
        return format_html("")
    if not org.origin_id:
        return format_html("{}", org)
    return format_html(
        '{} <span class="badge text-bg-info ms-1 owner-peer" title="{}">{}</span>', org,
        _("Received from a connected instance: not an organisation of this instance"),
        _("via %(peer)s") % {"peer": org.origin.name})
