"""Saved searches: a user keeps the filters of a list under a name, and only that user
ever sees, runs, renames or deletes them (anyone else gets 404, as for a missing one).

A saved search is the list's query string without its paging; running it opens the list
with those filters, so what it shows goes through the list's own visibility every time.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaka.policy import audit
from vaka.web.models import MAX_QUERY, SavedSearch
from vaka.web.pagination import PAGING_PARAMETERS

# The lists a search can be saved on (those with filters), by URL name, with their titles;
# each shows ``{% saved_search_menu %}``.
LISTS: dict[str, Any] = {
    "intel:objects": gettext_lazy("Intelligence"),
    "intel:notes": gettext_lazy("Notes"),
    "inbox:list": gettext_lazy("Inbox"),
    "organisations": gettext_lazy("Organisations"),
    "users": gettext_lazy("People"),
    "communities": gettext_lazy("Communities"),
    "audit_log": gettext_lazy("Audit log"),
}
MAX_PER_LIST = 50


def searches_for(user: Any, list_name: str | None = None) -> QuerySet[SavedSearch]:
    """The user's own saved searches (of one list when given); nobody else's, ever."""
    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    searches = SavedSearch.objects.filter(user=user)
    return searches if list_name is None else searches.filter(list_name=list_name)


def search_for(user: Any, pk: int) -> SavedSearch:
    """One of the user's saved searches, or 404 — whether it is missing or another's."""
    search = searches_for(user).filter(pk=pk).first()
    if search is None:
        raise Http404
    return search


def filters_of(query: str | QueryDict) -> str:
    """The query string of a list's filters, sort and page size: the place in the list
    (cursor, page) and empty values dropped."""
    params = QueryDict(query) if isinstance(query, str) else query.copy()
    kept = QueryDict(mutable=True)
    for key in sorted(params):
        if key in PAGING_PARAMETERS:  # where you were in the list, not what you asked
            continue
        for value in params.getlist(key):
            if value != "":
                kept.appendlist(key, value)
    return kept.urlencode()


def url_of(search: SavedSearch) -> str:
    """Where running the search goes: its list, with its filters ("" if that list is gone)."""
    try:
        url = reverse(search.list_name)
    except NoReverseMatch:  # a list renamed or removed since the search was saved
        return ""
    return f"{url}?{search.query}" if search.query else url


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the search a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("A name has at most 100 characters.")})
    return name


def _taken(user: Any, list_name: str, name: str, exclude: int | None = None) -> None:
    if searches_for(user, list_name).filter(name=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": _("You already have a search called “%(name)s” on "
                                         "this list.") % {"name": name}})


@transaction.atomic
def save_search(user: Any, *, list_name: str, name: str, query: str,
                request: Any = None) -> SavedSearch:
    """Keep ``query`` (a list's query string) as ``user``'s search ``name`` on the list
    ``list_name``; the paging is dropped, the rest kept as given."""
    if list_name not in LISTS:
        raise ValidationError({"list_name": _("Searches cannot be saved on “%(list)s”.")
                               % {"list": list_name}})
    name = _clean_name(name)
    query = filters_of(query)
    if len(query) > MAX_QUERY:
        raise ValidationError({"query": _("These filters are too long to save (at most "
                                          "%(max)d characters).") % {"max": MAX_QUERY}})
    if searches_for(user, list_name).count() >= MAX_PER_LIST:
        raise ValidationError({"name": _("You have %(max)d saved searches on this list; "
                                         "delete one first.") % {"max": MAX_PER_LIST}})
    _taken(user, list_name, name)
    try:
        with transaction.atomic():
            search = SavedSearch.objects.create(user=user, list_name=list_name, name=name,
                                                query=query)
    except IntegrityError:  # saved twice at once: the same answer as above
        _taken(user, list_name, name)
        raise
    audit.record(audit.Action.CREATE, actor=user, target=search, request=request,
                 detail={"list": list_name, "query": query})
    return search


@transaction.atomic
def rename_search(search: SavedSearch, *, user: Any, name: str,
                  request: Any = None) -> SavedSearch:
    """Give one of ``user``'s own saved searches another name."""
    if search.user_id != user.pk:
        raise Http404
    name = _clean_name(name)
    if name == search.name:
        return search
    _taken(user, search.list_name, name, exclude=search.pk)
    before, search.name = search.name, name
    search.save(update_fields=["name", "modified"])
    audit.record(audit.Action.UPDATE, actor=user, target=search, request=request,
                 detail={"name": {"before": before, "after": name}})
    return search


@transaction.atomic
def delete_search(search: SavedSearch, *, user: Any, request: Any = None) -> None:
    """Delete one of ``user``'s own saved searches."""
    if search.user_id != user.pk:
        raise Http404
    audit.record(audit.Action.DELETE, actor=user, target=search, request=request,
                 detail={"list": search.list_name, "name": search.name})
    search.delete()
