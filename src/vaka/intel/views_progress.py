"""The status of a submission a background worker stores (``intel.queued``), for its page
to follow with htmx polling until it is done."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from vaka.intel import selectors


@login_required
def submission_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status box alone: queued, being stored, then the outcome. Once done, the page
    asking with htmx reloads whole (its objects and problems); the box it is sent carries
    no polling, so the polling stops either way. 404 outside the submission's audience."""
    submission = get_object_or_404(selectors.submissions_for(request.user), pk=pk)
    response = render(request, "intel/_submission_status.html", {"submission": submission})
    if not submission.pending and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response
