"""A submission's original: downloaded by its audience, erased with the submission."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vaka.directory.roles import Capability
from vaka.intel import originals, selectors


@login_required
@require_GET
def submission_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The file or text as it was sent, as a download; 404 outside the audience."""
    submission = originals.original_for(request.user, pk, request=request)
    try:
        handle = submission.original.open("rb")
    except OSError:  # the file went missing from storage: say so as for any missing one
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True,
                            filename=originals.download_name(submission),
                            content_type=submission.original_type or "application/octet-stream")
    # Never rendered by the browser, whatever it holds (an advisory may carry live HTML).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def submission_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then erase a submission of the user's organisation and its original."""
    submission = get_object_or_404(selectors.submissions_for(request.user), pk=pk)
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    if request.method == "POST":
        originals.erase_submission(submission, user=request.user, request=request)
        messages.success(request, _("The submission and its original were erased."))
        return redirect("intel:submissions")
    return render(request, "intel/submission_erase.html", {"submission": submission})
