"""Online lessons: a course's modules and their lessons, written by the course's managers,
read by learners (who mark them read), and counted into each learner's progress.

A lesson's text is Markdown (:mod:`vaka.web.markdown`). Its images come only from its own
files: ``![map](map.png)`` names one of them, and any other address — another site, or
another page or file of this one — is shown as its description with a note, so a lesson
cannot make its readers' browsers fetch what its author chose. Files go through
:func:`vaka.uploads.read_upload` and :func:`vaka.uploads.check_kind` (no programs, scripts,
web pages or SVG). Video links are ``http(s)`` addresses of video files (or a path on this
site); the page plays only this site's files and links to the others.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from vaka.policy import audit
from vaka.policy.audit import Action
from vaka.policy.visibility import can_see
from vaka.training import xapi
from vaka.training.courses import check_manager
from vaka.training.models import (
    Attempt,
    Course,
    Lesson,
    LessonFile,
    LessonProgress,
    Module,
    Participant,
    Quiz,
)
from vaka.uploads import check_kind, read_upload
from vaka.web import markdown

TITLE_LENGTH = 200
BODY_LENGTH = 200_000
MAX_VIDEOS = 20
URL_LENGTH = 2000
# What a video link must end in: files a browser plays (or a player downloads).
VIDEO_ENDINGS = frozenset({"mp4", "m4v", "webm", "ogv", "ogg", "mov", "mkv", "avi"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class ModuleDetails:
    title: str
    summary: str = ""


@dataclass(frozen=True)
class LessonDetails:
    title: str
    body: str = ""
    videos: Sequence[str] = ()


# --- who may write ----------------------------------------------------------------------

# --- validation ------------------------------------------------------------------------

def _title(title: str, errors: dict[str, list[str]]) -> str:
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Give a title."))
    elif len(title) > TITLE_LENGTH:
        errors.setdefault("title", []).append(
            _("The title is longer than %(n)d characters.") % {"n": TITLE_LENGTH})
    return title


def video_problem(url: str) -> str:
    """Why ``url`` is not a link to a video file, or ``""`` when it is one."""
    if len(url) > URL_LENGTH:
        return _("the address is longer than %(n)d characters") % {"n": URL_LENGTH}
    parts = urlsplit(url)
    if parts.scheme:
        linked = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    else:
        linked = url.startswith("/") and markdown.same_site(url)
    if not linked:
        return _("only http:// and https:// addresses (or a path on this site) are linked")
    ending = PurePosixPath(unquote(parts.path).lower()).suffix.lstrip(".")
    if ending not in VIDEO_ENDINGS:
        return _("not a video file (the address must end in %(endings)s)") % {
            "endings": ", ".join(f".{e}" for e in sorted(VIDEO_ENDINGS))}
    return ""


def clean_videos(videos: Iterable[str]) -> list[str]:
    """The video links, blank lines dropped; each refused by its line number and why."""
    kept, problems = [], []
    for number, url in enumerate(videos, start=1):
        url = url.strip()
        if not url:
            continue
        problem = video_problem(url)
        if problem:
            problems.append(_("Line %(line)d (%(url)s): %(problem)s.") % {
                "line": number, "url": url[:200], "problem": problem})
        kept.append(url)
    if len(kept) > MAX_VIDEOS:
        problems.append(_("At most %(n)d video links.") % {"n": MAX_VIDEOS})
    if problems:
        raise ValidationError({"videos": problems})
    return kept


def _clean_lesson(details: LessonDetails) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = _title(details.title, errors)
    body = details.body or ""
    if len(body) > BODY_LENGTH:
        errors["body"] = [_("The text is longer than %(n)d characters.") % {"n": BODY_LENGTH}]
    try:
        videos = clean_videos(details.videos)
    except ValidationError as error:
        errors.update(error.message_dict)
        videos = []
    if errors:
        raise ValidationError(errors)
    return title, body, videos


def _checked_files(uploads: Iterable[UploadedFile]) -> list[tuple[Any, UploadedFile]]:
    checked, problems = [], []
    for upload in uploads:
        try:
            found = read_upload(upload, field="files")
            check_kind(found, field="files")
        except ValidationError as error:
            problems.extend(error.message_dict["files"])
            continue
        checked.append((found, upload))
    if problems:
        raise ValidationError({"files": problems})
    return checked


# --- modules ---------------------------------------------------------------------------

@transaction.atomic
def create_module(user: Any, course: Course, details: ModuleDetails) -> Module:
    """A new module at the end of ``course``."""
    check_manager(user, course)
    errors: dict[str, list[str]] = {}
    title = _title(details.title, errors)
    if errors:
        raise ValidationError(errors)
    last = course.modules.aggregate(last=Max("position"))["last"] or 0
    module = Module.objects.create(course=course, position=last + 1, title=title,
                                   summary=(details.summary or "").strip())
    audit.record(Action.CREATE, actor=user, target=module)
    return module


@transaction.atomic
def update_module(user: Any, module: Module, details: ModuleDetails) -> Module:
    check_manager(user, module.course)
    errors: dict[str, list[str]] = {}
    module.title = _title(details.title, errors)
    if errors:
        raise ValidationError(errors)
    module.summary = (details.summary or "").strip()
    module.save(update_fields=["title", "summary"])
    audit.record(Action.UPDATE, actor=user, target=module)
    return module


@transaction.atomic
def delete_module(user: Any, module: Module) -> None:
    """Delete ``module`` and its lessons; refused while its quizzes hold learners'
    attempts (they are the learners' records)."""
    check_manager(user, module.course)
    if Attempt.objects.filter(quiz__module=module).exists():
        raise ValidationError(_("“%(module)s” has quizzes that learners have attempted; "
                                "it cannot be deleted.") % {"module": module.title})
    stored = list(LessonFile.objects.filter(lesson__module=module)
                  .values_list("stored_as", flat=True))
    audit.record(Action.DELETE, actor=user, target=module)
    module.delete()
    _delete_stored(stored)


def _reorder(items: dict[int, Any], order: Sequence[int], refusal: str) -> None:
    if sorted(order) != sorted(items) or len(set(order)) != len(order):
        raise ValidationError({"order": [refusal]})
    for position, pk in enumerate(order, start=1):
        if items[pk].position != position:
            items[pk].position = position
            items[pk].save(update_fields=["position"])


@transaction.atomic
def reorder_modules(user: Any, course: Course, order: Sequence[int]) -> None:
    """Put ``course``'s modules in ``order`` (every module's id, once)."""
    check_manager(user, course)
    _reorder({m.pk: m for m in course.modules.select_for_update()}, order,
             _("Give each of the course's modules once, and only them."))
    audit.record(Action.UPDATE, actor=user, target=course, detail={"modules": list(order)})


# --- lessons ---------------------------------------------------------------------------

@transaction.atomic
def create_lesson(user: Any, module: Module, details: LessonDetails,
                  files: Iterable[UploadedFile] = ()) -> Lesson:
    """A new lesson at the end of ``module``, with its files; nothing is kept when any
    part is refused."""
    check_manager(user, module.course)
    title, body, videos = _clean_lesson(details)
    checked = _checked_files(files)
    last = module.lessons.aggregate(last=Max("position"))["last"] or 0
    lesson = Lesson.objects.create(module=module, position=last + 1, title=title,
                                   body=body, videos=videos)
    _store_files(lesson, checked)
    audit.record(Action.CREATE, actor=user, target=lesson)
    return lesson


@transaction.atomic
def update_lesson(user: Any, lesson: Lesson, details: LessonDetails,
                  files: Iterable[UploadedFile] = ()) -> Lesson:
    check_manager(user, lesson.module.course)
    lesson.title, lesson.body, lesson.videos = _clean_lesson(details)
    checked = _checked_files(files)
    lesson.save(update_fields=["title", "body", "videos"])
    _store_files(lesson, checked)
    audit.record(Action.UPDATE, actor=user, target=lesson)
    return lesson


@transaction.atomic
def delete_lesson(user: Any, lesson: Lesson) -> None:
    check_manager(user, lesson.module.course)
    stored = list(lesson.files.values_list("stored_as", flat=True))
    audit.record(Action.DELETE, actor=user, target=lesson)
    lesson.delete()
    _delete_stored(stored)


@transaction.atomic
def reorder_lessons(user: Any, module: Module, order: Sequence[int]) -> None:
    """Put ``module``'s lessons in ``order`` (every lesson's id, once)."""
    check_manager(user, module.course)
    _reorder({le.pk: le for le in module.lessons.select_for_update()}, order,
             _("Give each of the module's lessons once, and only them."))
    audit.record(Action.UPDATE, actor=user, target=module, detail={"lessons": list(order)})


def _store_files(lesson: Lesson, checked: list[tuple[Any, UploadedFile]]) -> None:
    taken = set(lesson.files.values_list("name", flat=True))
    for found, upload in checked:
        if found.name in taken:
            raise ValidationError({"files": [_("%(name)s: the lesson already has a file of "
                                               "that name.") % {"name": found.name}]})
        taken.add(found.name)
        stored_as = default_storage.save(
            f"training/lessons/{lesson.pk}/{found.sha256}", upload)
        lesson.files.create(name=found.name, content_type=found.content_type,
                            size=found.size, sha256=found.sha256, stored_as=stored_as)


def _delete_stored(names: Iterable[str]) -> None:
    names = list(names)

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def remove_lesson_file(user: Any, found: LessonFile) -> None:
    check_manager(user, found.lesson.module.course)
    audit.record(Action.UPDATE, actor=user, target=found.lesson,
                 detail={"file_removed": found.name})
    stored = found.stored_as
    found.delete()
    _delete_stored([stored])


# --- reading ---------------------------------------------------------------------------

def module_for(user: Any, pk: int) -> Module:
    """The module ``pk`` if ``user`` sees its course; 404 otherwise, as for none."""
    return get_object_or_404(Module.objects.visible_to(user).select_related("course"), pk=pk)


def lesson_for(user: Any, pk: int) -> Lesson:
    return get_object_or_404(
        Lesson.objects.visible_to(user).select_related("module__course"), pk=pk)


def lesson_file_for(user: Any, pk: int) -> LessonFile:
    return get_object_or_404(
        LessonFile.objects.visible_to(user).select_related("lesson__module__course"), pk=pk)


def participant_of(user: Any) -> Participant | None:
    """``user``'s person record if there is one (reading never makes one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.filter(user=user).first()


def file_url(found: LessonFile) -> str:
    return reverse("training:lesson_file", args=[found.pk])


def image_chooser(files: Iterable[LessonFile],
                  address: Callable[[LessonFile], str] = file_url
                  ) -> Callable[[str], str | None]:
    """What :func:`vaka.web.markdown.render` loads for a lesson's image: one of its own
    image files, named by its file name or its own address; anything else, nothing."""
    by_name: dict[str, LessonFile] = {}
    for found in files:
        if found.content_type in IMAGE_TYPES:
            by_name[found.name] = found
            by_name[file_url(found)] = found

    def choose(src: str) -> str | None:
        found = by_name.get(unquote(src)) or by_name.get(unquote(src).rstrip("/"))
        return address(found) if found is not None else None
    return choose


def lesson_html(lesson: Lesson, files: Iterable[LessonFile] | None = None, *,
                address: Callable[[LessonFile], str] = file_url,
                anchor_prefix: str = markdown.ANCHOR_PREFIX) -> str:
    """The lesson's text as safe HTML, its images from its own files only."""
    files = list(lesson.files.all()) if files is None else list(files)
    return markdown.render(lesson.body, heading_offset=1, anchor_prefix=anchor_prefix,
                           images=image_chooser(files, address))


def mark_read(user: Any, lesson: Lesson) -> LessonProgress:
    """``user`` has read ``lesson`` (once: marking it again changes nothing)."""
    from vaka.training.participants import participant_for

    if not can_see(user, lesson):
        raise PermissionDenied(_("You cannot see this lesson."))
    participant = participant_for(user)
    with transaction.atomic():
        progress, created = LessonProgress.objects.get_or_create(
            participant=participant, lesson=lesson)
        if created:
            audit.record(Action.UPDATE, actor=user, target=lesson, detail={"read": True})
            xapi.queue(progress)
    return progress


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    lessons_read: int
    lessons: int
    quizzes_passed: int
    quizzes: int

    @property
    def done(self) -> int:
        return self.lessons_read + self.quizzes_passed

    @property
    def total(self) -> int:
        return self.lessons + self.quizzes

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class CourseProgress:
    modules: tuple[ModuleProgress, ...]
    read: frozenset[int] = frozenset()
    """The ids of the lessons read."""
    passed: frozenset[int] = frozenset()
    """The ids of the quizzes passed."""

    @property
    def percent(self) -> int:
        total = sum(m.total for m in self.modules)
        return round(100 * sum(m.done for m in self.modules) / total) if total else 0

    def of(self, module: Module) -> ModuleProgress | None:
        return next((m for m in self.modules if m.module.pk == module.pk), None)


def progress(participant: Participant | None, course: Course) -> CourseProgress:
    """Per module of ``course``: lessons read of all, quizzes passed of all, and percent
    (lessons and quizzes counting alike). Five queries whatever the course's size."""
    modules = list(course.modules.all())
    lessons: dict[int, set[int]] = {m.pk: set() for m in modules}
    for pk, module_id in Lesson.objects.filter(module__course=course).values_list(
            "pk", "module_id"):
        lessons[module_id].add(pk)
    quizzes: dict[int, set[int]] = {m.pk: set() for m in modules}
    for pk, module_id in Quiz.objects.filter(module__course=course).values_list(
            "pk", "module_id"):
        quizzes[module_id].add(pk)
    read: set[int] = set()
    passed: set[int] = set()
    if participant is not None:
        read = set(LessonProgress.objects.filter(
            participant=participant, lesson__module__course=course)
            .values_list("lesson_id", flat=True))
        passed = set(Attempt.objects.filter(
            participant=participant, quiz__module__course=course, passed=True)
            .values_list("quiz_id", flat=True))
    return CourseProgress(tuple(
        ModuleProgress(m, len(lessons[m.pk] & read), len(lessons[m.pk]),
                       len(quizzes[m.pk] & passed), len(quizzes[m.pk]))
        for m in modules), frozenset(read), frozenset(passed))
