"""What the object list's ticked records can be given to: an export, a re-mark, a revoke.
A plain form (``selected`` checkboxes) that works without JavaScript; only the records
the user may correct are changed, and the answer says how many and why not the rest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vaka.intel import corrections, exports
from vaka.intel.api.exports import streaming
from vaka.intel.forms_corrections import RemarkForm
from vaka.intel.selection import Selection, selected_ids, selection_for
from vaka.web import throttling

ACTIONS = ("export", "remark", "revoke")


def _query(request: HttpRequest) -> str:
    """The list's filters as sent back with the form, re-encoded: a query string only."""
    return QueryDict(request.POST.get("query", "")).urlencode()


def _back(request: HttpRequest) -> HttpResponse:
    """To the list the records were ticked on, with its filters."""
    query = _query(request)
    return redirect(reverse("intel:objects") + (f"?{query}" if query else ""))


def _report(request: HttpRequest, done: str, chosen: Selection, *, skipped: int = 0) -> None:
    reasons = chosen.reasons()
    if skipped:
        reasons.append(ngettext("%(count)d already revoked.", "%(count)d already revoked.",
                                skipped) % {"count": skipped})
    messages.success(request, " ".join([done, *reasons]))


@login_required
@require_POST
def object_selection(request: HttpRequest) -> HttpResponse:
    """Export, re-mark or revoke the records ticked on the object list."""
    action = request.POST.get("action", "")
    try:
        if action not in ACTIONS:
            raise ValidationError({"action": _("Choose export, re-mark or revoke.")})
        ids = selected_ids(request.POST.getlist("selected"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    chosen = selection_for(request.user, ids)
    if action == "export":
        return _export(request, chosen, ids)
    if not chosen.correctable:
        messages.error(request, " ".join([_("Nothing was changed."), *chosen.reasons()]))
        return _back(request)
    if action == "revoke":
        count = corrections.bulk_revoke(chosen.correctable_objects, user=request.user,
                                        request=request)
        _report(request, ngettext("%(count)d record revoked.", "%(count)d records revoked.",
                                  count) % {"count": count}, chosen,
                skipped=len(chosen.correctable) - count)
        return _back(request)
    return _remark(request, chosen)


def _export(request: HttpRequest, chosen: Selection, ids: list[int]) -> HttpResponse:
    fmt = request.POST.get("format", "")
    if fmt not in exports.FORMATS:
        messages.error(request, _("Choose one of these export formats: %s.")
                       % ", ".join(exports.FORMATS))
        return _back(request)
    if limited := throttling.check("exports", throttling.identity(request)):
        return limited.page(request)
    try:
        result = exports.export(chosen.visible.order_by("pk"), fmt, user=request.user,
                                filters={"selected": ids}, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    return streaming(result)


def _remark(request: HttpRequest, chosen: Selection) -> HttpResponse:
    """The re-mark form for the selection; applied when it comes back filled in."""
    filled = "confirm" in request.POST
    form = RemarkForm(request.POST if filled else None, user=request.user)
    if filled and form.is_valid():
        try:
            count = corrections.bulk_remark(
                chosen.correctable_objects, user=request.user, markings=form.markings(),
                widen=form.cleaned_data["widen"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            _report(request, ngettext("%(count)d record re-marked.",
                                      "%(count)d records re-marked.", count)
                    % {"count": count}, chosen)
            return _back(request)
    return render(request, "intel/selection_remark.html", {
        "form": form, "chosen": chosen, "query": _query(request),
        "reasons": chosen.reasons()}, status=400 if filled else 200)
