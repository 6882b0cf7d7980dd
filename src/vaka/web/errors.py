"""Error pages that say what was wrong, where Django's own say only "Bad Request (400)"
or "Server Error (500)"."""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from vaka import faults

#: Paths answered in JSON: the API, TAXII and peer sync.
MACHINE_PATHS = ("/api/", "/taxii2/", "/sync/")


def too_large_message() -> str:
    return _("The request is larger than this server accepts: %(limit)d MB "
             "(VAKA_MAX_UPLOAD_MB). Send less at a time, or ingest a large file on the server "
             "with “vaka ingest”.") % {"limit": settings.MAX_UPLOAD_MB}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a long paste, a large
    JSON body) is answered 413 with the limit, a page for people and JSON for programs;
    any other bad request gets Django's page."""
    if not isinstance(exception, RequestDataTooBig):
        return defaults.bad_request(request, exception)
    message = too_large_message()
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a full disk is answered 507, a database that does not answer or is
    too busy to take a write 503 (with Retry-After), each saying so, a page for people and
    JSON for programs; any other error gets Django's page. Django calls it while handling
    the error, from a view or a middleware, so the error is the one being handled.

    The page is rendered without the request: its context would ask the database for the
    user and the inbox badge, the very thing that may be failing."""
    error = sys.exc_info()[1]
    fault = faults.explain(error) if error is not None else None
    if fault is None:
        return defaults.server_error(request)
    status, message = fault
    busy = faults.is_database_busy(error)
    if request.path.startswith(MACHINE_PATHS):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        title = (_("The disk is full") if status == faults.DISK_FULL_STATUS
                 else _("The database is busy") if busy
                 else _("The database is unavailable"))
        response = HttpResponse(render_to_string("fault.html", {
            "title": title, "message": message, "SITE_NAME": settings.SITE_NAME,
            "LANGUAGE_BIDI": translation.get_language_bidi()}), status=status)
    if status == faults.UNAVAILABLE_STATUS:
        response["Retry-After"] = str(faults.BUSY_RETRY_AFTER_SECONDS if busy
                                      else faults.RETRY_AFTER_SECONDS)
    return response
