"""Deconfliction pages: a coordinator's bulk check, and the desk's broker view of clashes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vaka.directory.roles import Capability
from vaka.intel.services import desk_contact
from vaka.operations import deconfliction, desk
from vaka.operations.forms_deconfliction import CheckForm, IntroduceForm
from vaka.operations.targets import parse_paste
from vaka.web.pagination import paginate


@login_required
def check(request: HttpRequest) -> HttpResponse:
    """Is any of these values held by an operation or in the observable index? Answered
    per line; nothing asked is stored. Coordinators only."""
    if not request.user.can(Capability.COORDINATE):
        raise PermissionDenied
    form = CheckForm(request.POST or None)
    lines = None
    if request.method == "POST" and form.is_valid():
        items = parse_paste(form.cleaned_data["values"], form.cleaned_data["kind"])
        try:
            lines = deconfliction.check_values(
                request.user, [(item.kind, item.text) for item in items], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            for line, item in zip(lines, items, strict=True):
                line.line = item.line or line.line
    shown = [line for line in lines or [] if line.error or line.finding.found]
    return render(request, "operations/deconfliction/check.html", {
        "form": form, "lines": lines, "shown": shown,
        "quiet": len(lines or []) - len(shown), "desk": desk_contact()},
        status=400 if form.errors else 200)


@login_required
def clashes(request: HttpRequest) -> HttpResponse:
    """The desk's broker view: every clash with both sides; POST introduces a clash's
    leads. 404 for everyone but a desk broker; each read audited."""
    desk.require_broker(request.user)
    if request.method == "POST":
        form = IntroduceForm(request.POST)
        if not form.is_valid():
            raise Http404
        clash = desk.clashes_for_broker(request.user).filter(
            pk=form.cleaned_data["clash"]).first()
        if clash is None:
            raise Http404
        try:
            desk.introduce(clash, user=request.user, note=form.cleaned_data["note"],
                           request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The two leads were told to get in touch through "
                                        "the desk."))
        return redirect("operations:clashes")
    page = paginate(request, desk.clashes_for_broker(request.user))
    desk.audit_view(request.user, request=request, channel="page",
                    shown=len(page.object_list))
    return render(request, "operations/deconfliction/clashes.html", {
        "page": page})
