"""Export links: saved exports that firewalls and DNS resolvers fetch by URL alone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vaka.intel import exports
from vaka.intel.api.exports import streaming
from vaka.intel.filtersets import filtered_objects
from vaka.intel.forms_store import ExportLinkForm
from vaka.web import throttling
from vaka.web.pagination import query_without_page


@login_required
def export_links(request: HttpRequest) -> HttpResponse:
    """Your export links; a new one exports the filter of the object list it came from."""
    try:
        _objects, filters = filtered_objects(request.user, request.GET)
    except ValidationError:
        filters = None  # the page says so; nothing to save
    form = ExportLinkForm(request.POST or None)
    new_url = None
    if request.method == "POST" and filters is not None and form.is_valid():
        try:
            link, key = exports.create_export_link(
                request.user, name=form.cleaned_data["name"], fmt=form.cleaned_data["format"],
                filters=filters, request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            new_url = request.build_absolute_uri(reverse(
                "intel:export_link_fetch", args=[key, exports.LINK_FILENAMES[link.format]]))
            form = ExportLinkForm()
    return render(request, "intel/export_links.html", {
        "form": form, "filters": filters, "new_url": new_url,
        "query": query_without_page(request),
        "links": exports.export_links_for(request.user)})


@login_required
@require_POST
def export_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(exports.export_links_for(request.user), pk=pk, revoked=False)
    exports.revoke_export_link(link, user=request.user, request=request)
    messages.success(request, _("Export link “%s” revoked.") % link.name)
    return redirect("intel:export_links")


def _key_from_headers(request: HttpRequest) -> str:
    """The key sent as ``Authorization: Bearer <key>`` or ``X-Vaka-Key: <key>``."""
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("X-Vaka-Key", "").strip()


@require_GET
def export_link_fetch(request: HttpRequest, filename: str, key: str = "") -> HttpResponse:
    """The export, computed now as the link's owner sees it; no session needed. The key
    comes in a header (``Authorization: Bearer`` or ``X-Vaka-Key``), or in the URL for
    devices that cannot send one (logs redact it: ``vaka.web.redaction``). An unknown or
    revoked key, or an inactive owner, is 404."""
    key = key or _key_from_headers(request)
    link = exports.export_link_for(key) if key else None
    if link is None or filename != exports.LINK_FILENAMES.get(link.format):
        raise Http404
    if limited := throttling.check("exports", f"link:{link.pk}"):
        return limited.plain()
    try:
        objects, filters = filtered_objects(link.user, link.filters)
        result = exports.export(objects, link.format, user=link.user, filters=filters,
                                request=request, link=link)
    except ValidationError as error:  # a MISP export grown too large
        return JsonResponse(error.message_dict, status=400)
    return streaming(result, inline=link.format in exports.BLOCKLISTS)
