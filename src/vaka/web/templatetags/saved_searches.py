"""``{% saved_search_menu %}``: the user's saved searches of the list being shown, and a
form to save its current filters. Put it on any list named in ``saved_searches.LISTS``."""

from typing import Any

from django import template

from vaka.web import saved_searches

register = template.Library()


@register.inclusion_tag("web/_saved_searches.html", takes_context=True)
def saved_search_menu(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    match = request.resolver_match
    list_name = match.view_name if match else ""
    if list_name not in saved_searches.LISTS:
        return {"list_name": None}
    searches = list(saved_searches.searches_for(request.user, list_name))
    for search in searches:
        search.url = saved_searches.url_of(search)
    return {"list_name": list_name, "searches": searches, "request": request,
            "query": saved_searches.filters_of(request.GET),
            "csrf_token": context.get("csrf_token")}
