"""Error pages that say what was wrong, where Django's own say only "Bad Request (400)"."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

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
