from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from vaka.directory import selectors as directory
from vaka.directory.services import update_user
from vaka.inbox.services import mark_dashboard_seen
from vaka.intel import selectors as intel
from vaka.web import selectors
from vaka.web.pagination import count_cap


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
