"""A course as a zip file, to take it to another Vaka instance.

The bundle holds the course's catalogue fields and completion rules, its modules, lessons
(with their files) and quizzes with their questions — no person, session, enrolment,
attempt or certificate, and no markings (the importer chooses them). Its parts:

* ``manifest.json`` — ``{"format": "vaka-course", "version": 1, "instance": <base URL>,
  "exported_at": …, "course": "course.json", "files": {<entry>: <sha256>, …}}``;
* ``course.json`` — the course (``CourseDetails``' fields, the programme by its code)
  and ``modules[]``, each with ``lessons[]`` (``title``, ``body``, ``videos``,
  ``files[]`` of ``{"name", "entry"}``) and ``quizzes[]`` (``QuizDetails``' fields and
  ``questions[]``);
* ``files/…`` — the lessons' files, each listed in the manifest with its SHA-256.

:func:`import_bundle` checks the zip before it reads anything (at most ``MAX_ENTRIES``
entries and ``max_unpacked()`` bytes unpacked, each entry's real size counted as it is
read, no path outside the bundle, no entry the manifest does not list, every sum right),
then makes the course through the courses', lessons' and quizzes' services in one
transaction: a refused part refuses the whole bundle, its error naming the entry and the
field. The new course belongs to the importer's organisation, marked as they chose.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import User
from vaka.policy import audit
from vaka.policy.services import Markings
from vaka.training import quiz_authoring
from vaka.training.courses import COURSE_FIELDS, CourseDetails, check_manager, create_course
from vaka.training.models import Course
from vaka.uploads import upload_limit

FORMAT = "vaka-course"
VERSION = 1
MAX_ENTRIES = 2000
MAX_JSON = 20 * 1024 * 1024  # course.json and the manifest, each
QUIZ_FIELDS = ("title", "intro", "time_limit", "pass_mark", "max_attempts")


def max_unpacked() -> int:
    """The most a bundle may hold unpacked: four times the upload limit."""
    return 4 * upload_limit()


def _details(course: Course) -> dict[str, Any]:
    details = asdict(CourseDetails.of(course))
    details["programme"] = course.programme.code if course.programme_id else None
    return details


def export_course(user: User, course: Course) -> bytes:
    """The bundle of ``course`` (its manager only), as bytes."""
    check_manager(user, course)
    files: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        modules = []
        for module in course.modules.order_by("position", "pk"):
            lesson_list = []
            for lesson in module.lessons.order_by("position", "pk"):
                attached = []
                for stored in lesson.files.order_by("name", "pk"):
                    entry = f"files/{stored.sha256}/{stored.name}"
                    if entry not in files:
                        with default_storage.open(stored.stored_as, "rb") as handle:
                            data = handle.read()
                        bundle.writestr(entry, data)
                        files[entry] = hashlib.sha256(data).hexdigest()
                    attached.append({"name": stored.name, "entry": entry})
                lesson_list.append({"title": lesson.title, "body": lesson.body,
                                    "videos": list(lesson.videos), "files": attached})
            quizzes = [{**{name: getattr(quiz, name) for name in QUIZ_FIELDS},
                        "questions": [asdict(quiz_authoring.details_of(q))
                                      for q in quiz.questions.order_by("position", "pk")]}
                       for quiz in module.quizzes.order_by("position", "pk")]
            modules.append({"title": module.title, "summary": module.summary,
                            "lessons": lesson_list, "quizzes": quizzes})
        body = json.dumps({"course": _details(course), "modules": modules},
                          ensure_ascii=False, indent=1).encode()
        bundle.writestr("course.json", body)
        files["course.json"] = hashlib.sha256(body).hexdigest()
        manifest = {"format": FORMAT, "version": VERSION, "instance": settings.BASE_URL,
                    "exported_at": timezone.now().isoformat(), "course": "course.json",
                    "files": files}
        bundle.writestr("manifest.json", json.dumps(manifest, indent=1))
    audit.record(audit.Action.VIEW, actor=user, target=course, detail={"export": FORMAT})
    return buffer.getvalue()


# --- import ----------------------------------------------------------------------------------

def _refuse(where: str, message: str) -> ValidationError:
    return ValidationError({"file": [f"{where}: {message}"]})


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return (bool(name) and "\\" not in name and "\x00" not in name and not path.is_absolute()
            and ".." not in path.parts and not name.endswith("/") and ":" not in path.parts[0])


def read_zip(data: bytes) -> dict[str, bytes]:
    """Every entry of the bundle, checked: the limits, the paths, the manifest's list and
    sums. Raises ``ValidationError`` (on ``file``) with the reason and the entry."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _refuse(_("the file"), _("not a zip file (%(error)s).") % {"error": error}
                      ) from None
    if len(infos) > MAX_ENTRIES:
        raise _refuse(_("the file"), _("%(n)d entries; a bundle holds at most %(max)d.")
                      % {"n": len(infos), "max": MAX_ENTRIES})
    limit = max_unpacked()
    total = 0
    entries: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        if not _safe(info.filename):
            raise _refuse(info.filename, _("a path outside the bundle is refused."))
        if info.filename in entries:
            raise _refuse(info.filename, _("the entry is in the zip twice."))
        if info.flag_bits & 0x1:
            raise _refuse(info.filename, _("encrypted entries are refused."))
        if total + info.file_size > limit:
            raise _refuse(info.filename, _("the bundle unpacks to more than %(mb)d MB.")
                          % {"mb": limit // 2**20})
        content = bytearray()
        try:
            with archive.open(info) as handle:  # the sizes the zip states are not trusted
                while chunk := handle.read(1 << 16):
                    content += chunk
                    if total + len(content) > limit:
                        raise _refuse(info.filename, _(
                            "the bundle unpacks to more than %(mb)d MB.")
                            % {"mb": limit // 2**20})
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            raise _refuse(info.filename, _("cannot be read (%(error)s).") % {"error": error}
                          ) from None
        total += len(content)
        entries[info.filename] = bytes(content)
    manifest = _json(entries, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("manifest.json", _("format: not a Vaka course bundle."))
    if manifest.get("version") != VERSION:
        raise _refuse("manifest.json", _("version: %(found)r is not one this instance reads "
                                         "(%(known)d).") % {"found": manifest.get("version"),
                                                            "known": VERSION})
    listed = manifest.get("files")
    if not isinstance(listed, dict) or "course.json" not in listed:
        raise _refuse("manifest.json", _("files: the list of entries and their SHA-256 is "
                                         "missing or has no course.json."))
    for name in entries:
        if name != "manifest.json" and name not in listed:
            raise _refuse(name, _("the manifest does not list this entry."))
    for name, digest in listed.items():
        if name not in entries:
            raise _refuse(name, _("listed in the manifest but missing from the zip."))
        if hashlib.sha256(entries[name]).hexdigest() != digest:
            raise _refuse(name, _("its SHA-256 is not the manifest's: the file was changed "
                                  "or damaged."))
    return entries


def _json(entries: dict[str, bytes], name: str) -> Any:
    if name not in entries:
        raise _refuse(name, _("missing from the bundle."))
    if len(entries[name]) > MAX_JSON:
        raise _refuse(name, _("larger than %(mb)d MB.") % {"mb": MAX_JSON // 2**20})
    try:
        return json.loads(entries[name])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(name, _("not valid JSON (%(error)s).") % {"error": error}) from None


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(
            k.__name__ for k in kind)
        raise _refuse("course.json", _("%(where)s: expected %(kind)s.")
                      % {"where": where, "kind": {"dict": "an object", "list": "a list",
                                                  "str": "text"}.get(names, names)})
    return value


def _fields(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _refuse("course.json", _("%(where)s: unknown field(s) %(names)s.")
                      % {"where": where, "names": ", ".join(unknown)})
    return data


def _named(where: str, error: ValidationError) -> ValidationError:
    """A service's error, said of the bundle's entry and part."""
    if hasattr(error, "error_dict"):
        text = "; ".join(f"{name}: {' '.join(messages)}" if name != "__all__" else
                         " ".join(messages) for name, messages in error.message_dict.items())
    else:
        text = " ".join(error.messages)
    return _refuse("course.json", f"{where}: {text}")


@transaction.atomic
def import_bundle(user: User, data: bytes, markings: Markings, *, code: str = "",
                  request: Any = None) -> Course:
    """A new course of ``user``'s organisation from a bundle, marked with ``markings``;
    ``code`` replaces the bundle's course code (which must be free here). All or nothing."""
    from vaka.training import lessons

    entries = read_zip(data)
    content = _expect(_json(entries, "course.json"), dict, "course.json")
    _fields(content, ("course", "modules"), "course.json")
    details = _expect(content.get("course"), dict, "course")
    _fields(details, COURSE_FIELDS, "course")
    if code:
        details = {**details, "code": code}
    try:
        course = create_course(user, CourseDetails(**details), markings, request=request)
    except TypeError as error:
        raise _refuse("course.json", f"course: {error}") from None
    except ValidationError as error:
        raise _named("course", error) from None
    for m, module_data in enumerate(_expect(content.get("modules", []), list, "modules")):
        where = f"modules[{m}]"
        module_data = _fields(_expect(module_data, dict, where),
                              ("title", "summary", "lessons", "quizzes"), where)
        try:
            module = lessons.create_module(user, course, lessons.ModuleDetails(
                title=str(module_data.get("title", "")),
                summary=str(module_data.get("summary", ""))))
        except ValidationError as error:
            raise _named(where, error) from None
        _lessons(user, module, module_data.get("lessons", []), entries, where)
        _quizzes(user, module, module_data.get("quizzes", []), where)
    audit.record(audit.Action.TRAINING_IMPORT, actor=user, target=course, request=request,
                 detail={"format": FORMAT, "entries": len(entries)})
    return course


def _lessons(user: User, module: Any, items: Any, entries: dict[str, bytes],
             parent: str) -> None:
    from vaka.training import lessons

    for n, item in enumerate(_expect(items, list, f"{parent}.lessons")):
        where = f"{parent}.lessons[{n}]"
        item = _fields(_expect(item, dict, where), ("title", "body", "videos", "files"), where)
        files = []
        for f, attached in enumerate(_expect(item.get("files", []), list, f"{where}.files")):
            at = f"{where}.files[{f}]"
            attached = _fields(_expect(attached, dict, at), ("name", "entry"), at)
            entry = _expect(attached.get("entry"), str, f"{at}.entry")
            if not entry.startswith("files/") or entry not in entries:
                raise _refuse("course.json", _("%(where)s.entry: no such file in the bundle.")
                              % {"where": at})
            name = _expect(attached.get("name"), str, f"{at}.name")
            files.append(SimpleUploadedFile(name, entries[entry]))
        try:
            lessons.create_lesson(user, module, lessons.LessonDetails(
                title=str(item.get("title", "")), body=str(item.get("body", "")),
                videos=[str(v) for v in _expect(item.get("videos", []), list,
                                                f"{where}.videos")]), files)
        except ValidationError as error:
            raise _named(where, error) from None


def _quizzes(user: User, module: Any, items: Any, parent: str) -> None:
    for n, item in enumerate(_expect(items, list, f"{parent}.quizzes")):
        where = f"{parent}.quizzes[{n}]"
        item = _fields(_expect(item, dict, where), (*QUIZ_FIELDS, "questions"), where)
        try:
            quiz = quiz_authoring.create_quiz(user, module, quiz_authoring.QuizDetails(
                **{name: item[name] for name in QUIZ_FIELDS if name in item}))
        except ValidationError as error:
            raise _named(where, error) from None
        for q, question in enumerate(_expect(item.get("questions", []), list,
                                             f"{where}.questions")):
            at = f"{where}.questions[{q}]"
            question = _fields(_expect(question, dict, at),
                               ("kind", "text", "choices", "answer", "accepted", "points"), at)
            choices = [quiz_authoring.Choice(**_fields(_expect(c, dict, f"{at}.choices"),
                                                       ("text", "correct"), f"{at}.choices"))
                       for c in _expect(question.get("choices", []), list, f"{at}.choices")]
            try:
                quiz_authoring.add_question(user, quiz, quiz_authoring.QuestionDetails(
                    **{**question, "choices": choices}))
            except (ValidationError, TypeError) as error:
                if isinstance(error, TypeError):
                    raise _refuse("course.json", f"{at}: {error}") from None
                raise _named(at, error) from None
