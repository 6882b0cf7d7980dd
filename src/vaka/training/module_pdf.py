"""A module as one PDF for offline reading: every lesson in order, its images embedded,
its attachments named and its video links written out (links are thin and costly: a
learner downloads the module once and reads it without a connection).

The PDF loads nothing (``vaka.web.pdf``): each image the lesson shows — one of its own
files, as the page shows it — is put in as a ``data:`` URI read from storage."""

import base64
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from vaka.products.rendering import classification_line
from vaka.training.lessons import IMAGE_TYPES, file_url, lesson_html
from vaka.training.models import LessonFile, Module
from vaka.web.pdf import render_template_pdf


def _embedded(html: str, files: list[LessonFile]) -> str:
    """``html`` with each image of ``files`` it shows (by the file's own address, as
    :func:`lesson_html` writes it) as a data: URI; an image gone from storage left out."""
    for found in files:
        src = f'src="{file_url(found)}"'
        if found.content_type not in IMAGE_TYPES or src not in html:
            continue
        try:
            with default_storage.open(found.stored_as, "rb") as handle:
                data = base64.b64encode(handle.read()).decode()
        except OSError:
            html = html.replace(src, 'src=""')
            continue
        html = html.replace(src, f'src="data:{found.content_type};base64,{data}"')
    return html


def module_pdf(module: Module, *, language: str | None = None) -> bytes:
    """``module`` (which the caller has checked its reader may see) as a PDF."""
    course = module.course
    lessons: list[dict[str, Any]] = []
    for lesson in module.lessons.prefetch_related("files"):
        files = list(lesson.files.all())
        html = lesson_html(lesson, files, anchor_prefix=f"lesson-{lesson.pk}-")
        lessons.append({
            "lesson": lesson, "html": _embedded(html, files),
            "attachments": [f for f in files if f.content_type not in IMAGE_TYPES],
            "videos": lesson.videos})
    return render_template_pdf("training/learning/module_pdf.html", {
        "module": module, "course": course, "lessons": lessons,
        "tlp": course.tlp, "tlp_label": course.get_tlp_display(),
        "classification_line": classification_line(course),
        "reference": f"{course.code} · {module.position}", "issued": timezone.now(),
    }, language=language)
