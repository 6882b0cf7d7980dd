"""Pages of a user's own saved searches: save the filters of a list, run, rename, delete.
Parse, call ``web.saved_searches``, render; another user's search is 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vaka.web import saved_searches
from vaka.web.forms import BootstrapMixin


class NameForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


@login_required
def search_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's saved searches, by list. POST: save a list's filters under a name,
    then show the list with them (or, refused, the list as it was with the reason)."""
    if request.method == "POST":
        list_name = request.POST.get("list_name", "")
        query = request.POST.get("query", "")
        try:
            search = saved_searches.save_search(
                request.user, list_name=list_name, name=request.POST.get("name", ""),
                query=query, request=request)
        except ValidationError as error:
            messages.error(request, _("The search was not saved: %(reason)s") % {
                "reason": " ".join(error.messages)})
            if list_name not in saved_searches.LISTS:
                return redirect("web:saved_searches")
            back = saved_searches.SavedSearch(list_name=list_name,
                                              query=saved_searches.filters_of(query))
            return redirect(saved_searches.url_of(back))
        messages.success(request, _("Search “%(name)s” saved.") % {"name": search.name})
        return redirect(saved_searches.url_of(search))
    searches = list(saved_searches.searches_for(request.user))
    for search in searches:
        search.list_label = saved_searches.LISTS.get(search.list_name, search.list_name)
        search.url = saved_searches.url_of(search)
    return render(request, "web/saved_searches.html", {"searches": searches})


@login_required
def search_run(request: HttpRequest, pk: int) -> HttpResponse:
    url = saved_searches.url_of(saved_searches.search_for(request.user, pk))
    if not url:
        raise Http404
    return redirect(url)


@login_required
@require_POST
def search_rename(request: HttpRequest, pk: int) -> HttpResponse:
    search = saved_searches.search_for(request.user, pk)
    form = NameForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["name"])
        saved_searches.rename_search(search, user=request.user,
                                     name=form.cleaned_data["name"], request=request)
    except ValidationError as error:
        messages.error(request, _("“%(name)s” was not renamed: %(reason)s") % {
            "name": search.name, "reason": " ".join(error.messages)})
    else:
        messages.success(request, _("Search renamed to “%(name)s”.") % {"name": search.name})
    return redirect("web:saved_searches")


@login_required
@require_POST
def search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    search = saved_searches.search_for(request.user, pk)
    saved_searches.delete_search(search, user=request.user, request=request)
    messages.success(request, _("Search “%(name)s” deleted.") % {"name": search.name})
    return redirect("web:saved_searches")
