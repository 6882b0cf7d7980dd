"""Sortable column headers of the paged lists (``vaka.web.pagination``)."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def sort_header(rows: Any, key: str, label: str) -> SafeString:
    """A column header: a link that sorts the list by ``key`` (the other way round when it
    already does) with ``aria-sort`` saying how it is sorted now; a plain header where the
    rows are not a paged list or the column is not one it may be sorted by."""
    if not getattr(rows, "keyset", False) or key not in rows.sortable:
        return format_html("<th>{}</th>", label)
    state, query = rows.sort_state(key)
    hint = {"ascending": _("sorted ascending, sort descending"),
            "descending": _("sorted descending, sort ascending")}.get(state, _("sort"))
    return format_html('<th aria-sort="{}"><a class="link-body-emphasis" href="?{}" '
                       'title="{}">{}</a></th>', state, query, hint, label)


@register.filter
def day(value: Any) -> str:
    """A date or time as its day, ``YYYY-MM-DD``, in the current time zone: what the ``date``
    filter prints for "Y-m-d", at a tenth of its cost (50 µs a row of a list)."""
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")
