"""How a queued "poll now" or "sync now" is going: the part of a feed's or connected
instance's page that follows its job (htmx), one view for both."""

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from vaka.exchange import jobs


def job_progress(request: HttpRequest, *, key: str, pk: int, job: uuid.UUID,
                 kind: str) -> HttpResponse:
    """The job box of the ``key`` ("feed" or "peer") record ``pk``; ``kind`` names the
    work ("poll" or "sync"). The caller has checked who asks and that the record exists."""
    if jobs.parse_id(str(job)) is None:  # no broker: nothing was queued, the page tells all
        return redirect(f"exchange:{key}", pk=pk)
    found = jobs.job(str(job), key=key, pk=pk)
    response = render(request, "exchange/_job.html", {
        "job": found, "kind": kind,
        "job_url": reverse(f"exchange:{key}_job", args=[pk, job])})
    if found.finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # the page's list of runs shows the new one
    return response
