"""The interoperability pages: xAPI statements as JSON, a Moodle CSV import (previewed
before anything is stored) and course bundles (export and import)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vaka.ids import parse_id
from vaka.policy.visibility import visible_to
from vaka.training import bundle, moodle, xapi
from vaka.training.courses import can_manage
from vaka.training.forms_interop import BundleImportForm, MoodleForm, exportable_courses
from vaka.training.models import Course


@login_required
@require_GET
def xapi_statements(request: HttpRequest) -> HttpResponse:
    """``{"statements": [...], "more": ""}`` (xAPI's StatementResult) of what the viewer
    may see; a bad filter is a 400 naming it."""
    try:
        filters = xapi.Filters.parse(request.GET)
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)

    def body():  # streamed: a programme's statements may be many
        yield '{"statements": ['
        for n, statement in enumerate(xapi.statements_for(request.user, filters)):
            yield ("," if n else "") + json.dumps(statement, ensure_ascii=False)
        yield '], "more": ""}'

    response = StreamingHttpResponse(body(), content_type="application/json")
    response["X-Experience-API-Version"] = xapi.VERSION
    response["Content-Disposition"] = 'inline; filename="statements.json"'
    return response


@login_required
def moodle_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing stored) → "Import the N valid rows" or cancel."""
    form = MoodleForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        session, organisation = form.cleaned_data["session"], form.cleaned_data["organisation"]
        content = form.content_bytes()
        try:
            if "confirm" in request.POST:
                result = moodle.import_rows(request.user, session, organisation, content,
                                            request=request)
                messages.success(request, _("%(n)d lines imported into %(session)s.")
                                 % {"n": len(result.valid), "session": session.reference})
                return redirect("training:moodle_import")
            preview = moodle.preview(request.user, session, organisation, content)
        except PermissionDenied as error:
            form.add_error("session", str(error))
        except ValidationError as error:
            form.apply_errors(error)
        else:
            if isinstance(content, bytes):
                content = content.decode("utf-8-sig", errors="replace")
            return render(request, "training/interop/moodle_preview.html", {
                "form": form, "preview": preview, "content": content,
                "valid": preview.valid})
    return render(request, "training/interop/moodle_form.html", {
        "form": form, "columns": moodle.COLUMNS}, status=400 if form.errors else 200)


@login_required
def bundles(request: HttpRequest) -> HttpResponse:
    """The courses the user may export, and the import form."""
    form = BundleImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            course = bundle.import_bundle(
                request.user, form.cleaned_data["file"].read(), form.markings(),
                code=form.cleaned_data["code"], request=request)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The course “%(title)s” was imported.")
                             % {"title": course.title})
            return redirect("training:bundles")
    return render(request, "training/interop/bundles.html", {
        "form": form, "courses": exportable_courses(request.user)},
        status=400 if form.errors else 200)


@login_required
@require_GET
def bundle_export(request: HttpRequest) -> HttpResponse:
    """The bundle of ``?course=<id>``: 404 for a course the user does not see."""
    pk = parse_id(request.GET.get("course", ""))
    course = visible_to(request.user, Course.objects.filter(pk=pk)).first() if pk else None
    if course is None:
        raise Http404
    if not can_manage(request.user, course):
        raise PermissionDenied
    response = HttpResponse(bundle.export_course(request.user, course),
                            content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{course.code}.zip"'
    return response
