"""The course outline's data, for ``training/learning/_course_outline.html`` (which the
course page includes with ``course`` in its context)."""

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from vaka.training import lessons
from vaka.training.courses import can_manage
from vaka.training.models import Course, Module

register = template.Library()


@dataclass(frozen=True)
class OutlineItem:
    title: str
    kind: str  # "lesson" or "quiz"
    url: str  # "" where the page is not there (yet)
    done: bool


@dataclass(frozen=True)
class OutlineModule:
    module: Module
    items: tuple[OutlineItem, ...]
    progress: lessons.ModuleProgress | None


def quiz_url(pk: int) -> str:
    """A quiz's page, or "" while the quizzes' pages are not there."""
    try:
        return reverse("training:quiz", args=[pk])
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def course_outline(context: Any, course: Course) -> dict[str, Any]:
    """The modules of ``course`` with their lessons and quizzes in position order, what
    the viewer has done, their progress, and whether they manage the course."""
    user = context["request"].user
    participant = lessons.participant_of(user)
    modules = list(course.modules.prefetch_related("lessons", "quizzes"))
    progress = lessons.progress(participant, course)
    read, passed = progress.read, progress.passed
    shown = []
    for module in modules:
        parts = sorted([*module.lessons.all(), *module.quizzes.all()],
                       key=lambda item: (item.position, item._meta.model_name, item.pk))
        items = tuple(
            OutlineItem(part.title, "lesson", reverse("training:lesson", args=[part.pk]),
                        part.pk in read)
            if part._meta.model_name == "lesson" else
            OutlineItem(part.title, "quiz", quiz_url(part.pk), part.pk in passed)
            for part in parts)
        shown.append(OutlineModule(module, items, progress.of(module)))
    return {"modules": shown, "progress": progress,
            "learner": participant is not None,
            "manager": can_manage(user, course)}
