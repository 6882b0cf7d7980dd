"""The lesson pages: a module, a lesson and its files, a module as a PDF, and the
course managers' forms. Each reads through ``training.lessons`` (404 outside the course's
audience) and writes through its services."""

from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vaka.intel.originals import safe_name
from vaka.policy.audit import Action, record
from vaka.training import lessons
from vaka.training.courses import can_manage, check_manager
from vaka.training.forms_learning import LessonForm, ModuleForm, MoveForm
from vaka.training.models import Course, Lesson, LessonFile
from vaka.training.templatetags.learning import quiz_url
from vaka.uploads import INLINE_TYPES, guarded


@require_GET
@login_required
def module(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.module_for(request.user, pk)
    items = sorted([*(("lesson", item, "") for item in found.lessons.all()),
                    *(("quiz", item, quiz_url(item.pk)) for item in found.quizzes.all())],
                   key=lambda entry: (entry[1].position, entry[0], entry[1].pk))
    progress = lessons.progress(lessons.participant_of(request.user), found.course)
    return render(request, "training/learning/module.html", {
        "module": found, "course": found.course, "items": items,
        "progress": progress.of(found),
        "manager": can_manage(request.user, found.course)})


def _neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The lessons before and after ``lesson`` in its course, across modules."""
    order = list(Lesson.objects.filter(module__course_id=lesson.module.course_id)
                 .order_by("module__position", "module_id", "position", "pk")
                 .values_list("pk", flat=True))
    at = order.index(lesson.pk)
    pks = [order[at - 1] if at > 0 else None, order[at + 1] if at + 1 < len(order) else None]
    found = Lesson.objects.in_bulk([pk for pk in pks if pk])
    return found.get(pks[0]), found.get(pks[1])


def _videos(request: HttpRequest, lesson: Lesson) -> list[dict[str, Any]]:
    host = request.get_host()
    shown = []
    for url in lesson.videos:
        parts = urlsplit(url)
        shown.append({"url": url, "name": unquote(parts.path.rsplit("/", 1)[-1]),
                      "play": not parts.netloc or parts.netloc == host})
    return shown


@require_GET
@login_required
def lesson(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.lesson_for(request.user, pk)
    files = list(found.files.all())
    participant = lessons.participant_of(request.user)
    previous, following = _neighbours(found)
    return render(request, "training/learning/lesson.html", {
        "lesson": found, "module": found.module, "course": found.module.course,
        "html": lessons.lesson_html(found, files), "files": files,
        "videos": _videos(request, found), "previous": previous, "next": following,
        "read": participant is not None and found.progress.filter(
            participant=participant).exists(),
        "manager": can_manage(request.user, found.module.course)})


@require_POST
@login_required
def lesson_read(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.lesson_for(request.user, pk)
    lessons.mark_read(request.user, found)
    messages.success(request, _("Marked as read."))
    return redirect("training:lesson", found.pk)


@require_GET
@login_required
def lesson_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A lesson's file: an image shown in the page, anything else a download; typed as
    sniffed when stored, sandboxed, never sniffed again."""
    found = lessons.lesson_file_for(request.user, pk)
    try:
        handle = default_storage.open(found.stored_as, "rb")
    except OSError:
        raise Http404 from None
    inline = found.content_type in lessons.IMAGE_TYPES and found.content_type in INLINE_TYPES
    return guarded(FileResponse(handle, as_attachment=not inline,
                                filename=safe_name(found.name),
                                content_type=found.content_type))


@require_GET
@login_required
def module_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from vaka.training.module_pdf import module_pdf as make_pdf
    from vaka.web.pdf import pdf_response

    found = lessons.module_for(request.user, pk)
    record(Action.VIEW, request=request, target=found, detail={"pdf": True})
    return pdf_response(make_pdf(found), f"{found.course.code}-{found.position}.pdf",
                        inline=False)


# --- authoring -------------------------------------------------------------------------

@login_required
def module_create(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(Course.objects.visible_to(request.user), pk=pk)
    check_manager(request.user, course)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = lessons.create_module(request.user, course, lessons.ModuleDetails(
                **form.cleaned_data))
        except ValidationError as error:
            form.apply_errors(error)
        else:
            return redirect("training:module", made.pk)
    return render(request, "training/learning/module_form.html",
                  {"form": form, "course": course, "module": None})


@login_required
def module_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.module_for(request.user, pk)
    check_manager(request.user, found.course)
    form = ModuleForm(request.POST or None,
                      initial={"title": found.title, "summary": found.summary})
    if request.method == "POST" and form.is_valid():
        try:
            lessons.update_module(request.user, found, lessons.ModuleDetails(
                **form.cleaned_data))
        except ValidationError as error:
            form.apply_errors(error)
        else:
            return redirect("training:module", found.pk)
    return render(request, "training/learning/module_form.html",
                  {"form": form, "course": found.course, "module": found})


@require_POST
@login_required
def module_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.module_for(request.user, pk)
    course = found.course
    try:
        lessons.delete_module(request.user, found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("training:module", found.pk)
    messages.success(request, _("Module deleted."))
    return redirect(course.get_absolute_url())


def _moved(order: list[int], pk: int, direction: str) -> list[int]:
    at = order.index(pk)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


@require_POST
@login_required
def module_move(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.module_for(request.user, pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        order = list(found.course.modules.values_list("pk", flat=True))
        lessons.reorder_modules(request.user, found.course,
                                _moved(order, found.pk, form.cleaned_data["direction"]))
    return redirect(found.course.get_absolute_url())


def _lesson_details(form: LessonForm) -> lessons.LessonDetails:
    return lessons.LessonDetails(title=form.cleaned_data["title"],
                                 body=form.cleaned_data["body"], videos=form.video_lines())


@login_required
def lesson_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.module_for(request.user, pk)
    check_manager(request.user, found.course)
    form = LessonForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = lessons.create_lesson(request.user, found, _lesson_details(form),
                                         form.cleaned_data["files"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            return redirect("training:lesson", made.pk)
    return render(request, "training/learning/lesson_form.html",
                  {"form": form, "module": found, "course": found.course, "lesson": None})


@login_required
def lesson_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.lesson_for(request.user, pk)
    check_manager(request.user, found.module.course)
    form = LessonForm(request.POST or None, request.FILES or None, initial={
        "title": found.title, "body": found.body, "videos": "\n".join(found.videos)})
    if request.method == "POST" and form.is_valid():
        try:
            lessons.update_lesson(request.user, found, _lesson_details(form),
                                  form.cleaned_data["files"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            return redirect("training:lesson", found.pk)
    return render(request, "training/learning/lesson_form.html", {
        "form": form, "module": found.module, "course": found.module.course,
        "lesson": found, "files": found.files.all()})


@require_POST
@login_required
def lesson_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.lesson_for(request.user, pk)
    module_pk = found.module_id
    lessons.delete_lesson(request.user, found)
    messages.success(request, _("Lesson deleted."))
    return redirect("training:module", module_pk)


@require_POST
@login_required
def lesson_move(request: HttpRequest, pk: int) -> HttpResponse:
    found = lessons.lesson_for(request.user, pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        order = list(found.module.lessons.values_list("pk", flat=True))
        lessons.reorder_lessons(request.user, found.module,
                                _moved(order, found.pk, form.cleaned_data["direction"]))
    return redirect("training:module", found.module_id)


@require_POST
@login_required
def lesson_file_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found: LessonFile = lessons.lesson_file_for(request.user, pk)
    lesson_pk = found.lesson_id
    lessons.remove_lesson_file(request.user, found)
    messages.success(request, _("File removed."))
    return redirect("training:lesson_edit", lesson_pk)

