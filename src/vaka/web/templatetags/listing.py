"""Sortable column headers of the paged lists (``vaka.web.pagination``)."""

from typing import Any

from django import template
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
