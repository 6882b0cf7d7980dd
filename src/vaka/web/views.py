from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory import selectors as directory
from vaka.directory.services import update_user
from vaka.inbox.services import mark_dashboard_seen
from vaka.intel import selectors as intel
from vaka.web import selectors, throttling
from vaka.web.pagination import count_cap

PREVIEW_LIMIT_KB = 200


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What is new for the user since their last visit, each count a link to its list."""
    user = request.user
    last_visit = mark_dashboard_seen(user)
    return render(request, "web/dashboard.html", {
        "board": selectors.dashboard_for(user, last_visit),
        "cap": count_cap(),
        "recent_notes": intel.notes_for(user)[:5],
        "communities": directory.communities_for(user).filter(members=user.organisation_id),
    })


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps the choice in their profile."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(settings.LANGUAGES):
        translation.activate(code)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax",
                            httponly=True, secure=settings.SESSION_COOKIE_SECURE,
                            max_age=365 * 24 * 3600)
        if request.user.is_authenticated and request.user.language != code:
            update_user(request.user, actor=request.user, request=request, language=code)
    return response


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown in the form field ``text`` as the page would show it: an HTML fragment
    for the preview beside the field (``web/_markdown_field.html``). Stores and reads nothing.

    ``?field=`` names another form field to read (the include posts the field under its own
    name) and ``?offset=`` (0 to 5) moves headings down as the page will. Headings get no
    ids: they would repeat the page's. Over 200 KB is a 400 saying so; previews count
    against their own rate limit (``VAKA_RATE_PREVIEWS``)."""
    if limited := throttling.check("previews", throttling.identity(request)):
        return limited.apply(render(request, "web/_markdown_preview.html",
                                    {"problem": limited.message}, status=429))
    text = request.POST.get(request.GET.get("field") or "text", "")
    offset = request.GET.get("offset", "0")
    if offset not in ("0", "1", "2", "3", "4", "5"):
        return render(request, "web/_markdown_preview.html", {"problem": _(
            "The heading offset must be a whole number from 0 to 5.")}, status=400)
    size = len(text.encode())
    if size > PREVIEW_LIMIT_KB * 1024:
        return render(request, "web/_markdown_preview.html", {"problem": _(
            "The text is too long to preview: %(size)d KB, at most %(limit)d KB.")
            % {"size": -(-size // 1024), "limit": PREVIEW_LIMIT_KB}}, status=400)
    return render(request, "web/_markdown_preview.html", {"text": text, "offset": int(offset)})
