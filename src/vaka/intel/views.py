from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.intel import selectors, services
from vaka.intel.forms import NoteForm
from vaka.policy.visibility import can_edit
from vaka.web.pagination import paginate, query_without_page


@login_required
def note_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    page = paginate(request, selectors.notes_for(request.user, search=search))
    return render(request, "intel/note_list.html",
                  {"page": page, "q": search, "query": query_without_page(request)})


@login_required
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_for(request.user, pk, request=request)
    return render(request, "intel/note_detail.html",
                  {"note": note, "can_edit": can_edit(request.user, note)})


def _save(request: HttpRequest, form: NoteForm, note: object = None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if note is None:
            note = services.create_note(user=request.user, title=data["title"],
                                        body=data["body"], markings=form.markings(),
                                        request=request)
        else:
            services.update_note(note, user=request.user, title=data["title"],
                                 body=data["body"], markings=form.markings(), request=request)
    except ValidationError as error:
        form.apply_errors(error)
        return None
    messages.success(request, _("Note saved."))
    return redirect(note)


@login_required
def note_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.CONTRIBUTE):
        raise PermissionDenied
    form = NoteForm(request.POST or None, user=request.user)
    if request.method == "POST" and (response := _save(request, form)):
        return response
    return render(request, "intel/note_form.html", {"form": form})


@login_required
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_for(request.user, pk)
    if not can_edit(request.user, note):
        raise PermissionDenied
    form = NoteForm(request.POST or None, instance=note, user=request.user)
    if request.method == "POST" and (response := _save(request, form, note)):
        return response
    return render(request, "intel/note_form.html", {"form": form, "note": note})


@login_required
@require_POST
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_for(request.user, pk)
    services.delete_note(note, user=request.user, request=request)
    messages.success(request, _("Note deleted."))
    return redirect("intel:notes")
