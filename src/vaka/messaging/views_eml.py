"""A message as a ``.eml`` file, and a ``.eml`` file as a new message (``messaging.eml``).
Parse the request, call a service or a selector, answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vaka.directory.roles import Capability
from vaka.messaging import downloads, eml, selectors
from vaka.messaging.forms_eml import ImportForm
from vaka.web.throttling import limit


@login_required
@require_GET
@limit("exports", methods=("GET",))
def message_eml(request: HttpRequest, pk: int) -> HttpResponse:
    """One message the user may see, as an RFC 5322 ``.eml`` download; 404 otherwise."""
    message = selectors.message_for(request.user, pk, request=request)
    return downloads.eml_response(message, user=request.user, request=request)


@login_required
def message_import(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.CONTRIBUTE) or request.user.organisation_id is None:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            message, ignored = eml.import_eml(
                form.cleaned_data["file"], user=request.user,
                recipients=list(form.cleaned_data["to"]), markings=form.markings(),
                priority=form.cleaned_data["priority"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            for reason in ignored:
                messages.warning(request, reason)
            messages.success(request, _("The e-mail was imported and sent as a message."))
            return redirect(message)
    return render(request, "messaging/import_form.html", {"form": form},
                  status=400 if form.errors else 200)
