"""Inbox pages: the list with its filters, opening a notice, marking all read, settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.inbox import selectors, services
from vaka.inbox.filtersets import NoticeFilter
from vaka.inbox.forms import InboxSettingsForm
from vaka.inbox.models import Notice
from vaka.inbox.presentation import describe, target_url
from vaka.web.pagination import paginate, query_without_page


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """The user's notices, unread first in weight; a bad filter is a 400 naming it."""
    filterset = NoticeFilter(request.GET or None, queryset=selectors.notices_for(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    for field in filterset.form.fields.values():
        field.widget.attrs["class"] = "form-select"
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    return render(request, "inbox/list.html", {
        "form": filterset.form, "page": page, "notices": describe(list(page)),
        "query": query_without_page(request)}, status=200 if valid else 400)


@login_required
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and go where it points; 404 when it is not the user's."""
    try:
        notice = services.open_notice(request.user, pk)
    except Notice.DoesNotExist:
        raise Http404 from None
    return redirect(target_url(notice))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(request.user)
    messages.success(request, _("%(n)d notices marked read.") % {"n": count})
    return redirect("inbox:list")


@login_required
def inbox_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.settings_for(request.user)
    form = InboxSettingsForm(request.POST or None, initial={"email": current.email})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(request.user, email=form.cleaned_data["email"],
                                     request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Your inbox settings are saved."))
            return redirect("inbox:settings")
    return render(request, "inbox/settings.html", {"form": form},
                  status=400 if form.errors else 200)
