"""The RFI pages: the list, a new RFI, answering and closing one (POST, from its thread
page), and the figures' CSV. Parse the request, call a service or a selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vaka.directory.roles import Capability
from vaka.messaging import rfi_figures, rfis, selectors_rfis
from vaka.messaging.filtersets_rfis import RfiFilter
from vaka.messaging.forms_rfis import AnswerForm, CloseForm, RfiForm
from vaka.products.filtersets import AnalyticsFilter
from vaka.web.pagination import paginate, query_without_page


@login_required
@require_GET
def rfi_list(request: HttpRequest) -> HttpResponse:
    """Received and sent RFIs with their status as shown now; filtered by ``RfiFilter``."""
    filterset = RfiFilter(request.GET or None, request=request,
                          queryset=selectors_rfis.rfis_for(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    found = filterset.qs if valid else filterset.queryset.none()
    return render(request, "messaging/rfi_list.html", {
        "form": filterset.form, "page": paginate(request, found.order_by("-deadline", "-pk")),
        "query": query_without_page(request), "valid": valid,
        "can_send": request.user.can(Capability.CONTRIBUTE)},
        status=200 if valid else 400)


@login_required
def rfi_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.CONTRIBUTE) or request.user.organisation_id is None:
        raise PermissionDenied
    form = RfiForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rfi = rfis.send_rfi(
                user=request.user, recipients=list(form.cleaned_data["to"]),
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                details=form.details(), priority=form.cleaned_data["priority"],
                markings=form.markings(), attachments=form.cleaned_data["attachments"],
                request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Request for information sent."))
            return redirect(rfi.message)
    return render(request, "messaging/rfi_form.html", {"form": form})


@login_required
def rfi_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer form of the user's organisation (shown on the thread page, and here
    again with what was wrong); sent, it leads to the thread."""
    rfi = selectors_rfis.rfi_for(request.user, pk)
    if rfis.asked_row(request.user, rfi) is None:
        raise PermissionDenied
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rfis.answer_rfi(rfi, user=request.user, body=form.cleaned_data["body"],
                            attachments=form.cleaned_data["attachments"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Your organisation's answer was sent."))
            return redirect(rfi.message)
    return render(request, "messaging/rfi_answer.html", {"form": form, "rfi": rfi},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def rfi_close(request: HttpRequest, pk: int) -> HttpResponse:
    rfi = selectors_rfis.rfi_for(request.user, pk)
    form = CloseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        rfis.close_rfi(rfi, user=request.user, comment=comment, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request for information closed."))
    return redirect(rfi.message)


@login_required
@require_GET
def rfi_figures_csv(request: HttpRequest) -> HttpResponse:
    """The RFI figures of one side (``?side=received`` or ``sent``) for the analytics
    dashboard's period (``since``, ``until``), only what the user may see."""
    side = request.GET.get("side", rfi_figures.RECEIVED)
    form = AnalyticsFilter(request.GET or None)
    problems = [] if not form.is_bound or form.is_valid() else [
        f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
    if side not in rfi_figures.SIDES:
        problems.append("side: " + _("Give received or sent."))
    if problems:
        return HttpResponse("\n".join(problems) + "\n", status=400,
                            content_type="text/plain; charset=utf-8")
    filters = form.filters()
    figures = rfi_figures.figures_for(request.user, since=filters["since"],
                                      until=filters["until"])
    response = HttpResponse(rfi_figures.to_csv(figures, side),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vaka-rfis-{side}.csv"'
    return response
