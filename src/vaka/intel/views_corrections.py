"""Pages that correct stored intelligence: re-mark, edit, revoke, and a submission's
records at once. Parse, call ``intel.corrections``, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.intel import corrections, selectors
from vaka.intel.forms_corrections import EditForm, RemarkForm
from vaka.intel.models import StixObject
from vaka.policy.services import Markings


def _editable(request: HttpRequest, pk: int) -> StixObject:
    obj = selectors.object_for(request.user, pk, request=request)
    if not corrections.may_correct(request.user, obj):
        raise PermissionDenied
    return obj


@login_required
def object_remark(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _editable(request, pk)
    form = RemarkForm(request.POST or None, user=request.user)
    if request.method != "POST":
        form.initial_markings(Markings.of(obj))
    elif form.is_valid():
        try:
            corrections.remark(obj, user=request.user, markings=form.markings(),
                               widen=form.cleaned_data["widen"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Re-marked: every version now carries these "
                                        "markings."))
            return redirect(obj)
    return render(request, "intel/object_remark.html", {"obj": obj, "form": form})


@login_required
def object_edit(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _editable(request, pk)
    form = EditForm(request.POST or None, initial=EditForm.initial_for(obj))
    if request.method == "POST" and form.is_valid():
        try:
            corrections.edit(obj, user=request.user, changes=form.changes(), request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect(obj)
    return render(request, "intel/object_edit.html", {"obj": obj, "form": form})


@login_required
@require_POST
def object_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _editable(request, pk)
    try:
        corrections.revoke(obj, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Revoked: it is off lookups, blocklists and feeds."))
    return redirect(obj)


@login_required
def submission_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-mark or revoke every record of the user's organisation a submission wrote."""
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    submission = selectors.submissions_for(request.user).filter(pk=pk).first()
    if submission is None:
        raise Http404
    objects = selectors.objects_for(request.user, include_revoked=True).filter(
        submission=submission, owner_id=request.user.organisation_id).order_by("pk")
    form = RemarkForm(request.POST or None, user=request.user)
    if request.method != "POST":
        form.initial_markings(Markings.of(submission))
    elif request.POST.get("action") == "revoke":
        count = corrections.bulk_revoke(objects, user=request.user, request=request)
        messages.success(request, _("%d records revoked.") % count)
        return redirect(submission)
    elif form.is_valid():
        try:
            count = corrections.bulk_remark(objects, user=request.user,
                                            markings=form.markings(),
                                            widen=form.cleaned_data["widen"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("%d records re-marked.") % count)
            return redirect(submission)
    return render(request, "intel/submission_correct.html", {
        "submission": submission, "form": form, "count": objects.count()})
