"""Security headers, no caching of what signed-in users see, the user's chosen language,
the second-factor gate, and a busy database's 503."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django_otp import user_has_device

from vaka import faults
from vaka.directory.accounts import is_local_path
from vaka.web.errors import server_error

Handler = Callable[[HttpRequest], HttpResponse]
log = logging.getLogger(__name__)

# The API documentation bundles (Swagger UI, Redoc) set inline styles; never scripts.
_RELAXED_STYLE_PATHS = ("/api/docs/", "/api/redoc/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith(_RELAXED_STYLE_PATHS):
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            policy = policy.replace("img-src 'self' data:", "img-src 'self' data: blob:")
            policy = policy.replace("script-src 'self'", "script-src 'self' blob:")
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in user or to a request
    carrying credentials (API tokens, TAXII, sync, export link keys).

    Any page or API answer may hold TLP:RED or TLP:AMBER+STRICT material (a detail, a list,
    a search result, an error naming a record), and no browser cache or proxy may keep it.
    Marking everything is simpler and safer than deciding per record; static files (served
    before this middleware) stay cacheable, and so does what a view itself marked private
    (the galaxy name lists: shipped reference data).
    """

    CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_VAKA_KEY")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets it here for token requests too
        if (user is not None and user.is_authenticated) or any(
                name in request.META for name in self.CREDENTIAL_HEADERS):
            decided = response.get("Cache-Control", "").lower()
            if "private" not in decided and "no-store" not in decided:
                patch_cache_control(response, private=True, no_store=True)
        return response


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's Accept-Language."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class TwoFactorMiddleware:
    """Hold a signed-in session at the second factor until it is given.

    Users with a confirmed TOTP device must verify it; admins without one must enrol.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        allowed = {reverse("logout"), reverse("set_language")}
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if user_has_device(user, confirmed=True):
            target = reverse("two_factor_verify")
        elif user.requires_two_factor:
            target = reverse("two_factor_enrol")
        else:
            return self.get_response(request)
        if request.path == target or request.path in allowed:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Second factor required: sign in on the web first."},
                                status=403)
        if request.method == "GET" and request.path != "/" and is_local_path(
                request.get_full_path()):
            request.session["two_factor_next"] = request.get_full_path()
        return redirect(target)


class BusyDatabaseMiddleware:
    """A write that waited for the database longer than it may (SQLite's busy timeout,
    ``VAKA_SQLITE_BUSY_TIMEOUT``, while another writer holds it) is answered as every fault
    is (:func:`vaka.web.errors.server_error`: 503, Retry-After, "the database is busy"),
    here so that it is logged as a warning without a traceback, not as a server error.
    Reads never get here: their side writes wait only briefly, then are spooled or skipped
    (:mod:`vaka.policy.deferred`)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not faults.is_database_busy(exception):
            return None
        log.warning("database busy: %s %s answered 503", request.method, request.path)
        return server_error(request)  # Django calls this while handling the exception
