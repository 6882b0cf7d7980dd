"""Reads of the course catalogue and its sessions, always through the one policy.

A course is seen by the audience of its markings; its sessions exactly where it is. Anyone
outside gets "Not found" for a course or session, and no list or count includes it.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to
from vaka.training.models import Course, Enrolment, Participant, Session


def today() -> dt.date:
    return timezone.localdate()


def courses_for(user: Any) -> QuerySet[Course]:
    return visible_to(user, Course.objects.all()).select_related("owner", "programme")


def course_for(user: Any, pk: int, *, request: Any = None) -> Course:
    """The course, or 404 — whether it does not exist or the user may not see it.
    Reading a TLP:AMBER+STRICT or TLP:RED course is audited."""
    course = courses_for(user).filter(pk=pk).first()
    if course is None:
        raise Http404
    if request is not None:
        record_view(course, user=user, request=request)
    return course


def upcoming_counts(courses: list[Course]) -> dict[int, int]:
    """How many sessions of each course start today or later and are not cancelled (to
    someone who sees the courses: sessions are seen exactly where their course is)."""
    rows = (Session.objects.filter(course__in=courses, starts__gte=today(),
                                   cancelled_at__isnull=True)
            .values("course").annotate(n=Count("pk")))
    return {row["course"]: row["n"] for row in rows}


def sessions_for(user: Any) -> QuerySet[Session]:
    return visible_to(user, Session.objects.all()).select_related("course", "country")


def session_for(user: Any, pk: int, *, request: Any = None) -> Session:
    """The session, or 404 where the user does not see its course."""
    session = sessions_for(user).select_related("course__owner", "course__programme").filter(
        pk=pk).first()
    if session is None:
        raise Http404
    if request is not None:
        record_view(session.course, user=user, request=request)
    return session


def sessions_of(course: Course) -> QuerySet[Session]:
    """A course's sessions (for someone who sees the course), latest first."""
    return course.sessions.select_related("country").order_by("-starts", "pk")


def trainers_of(user: Any, session: Session) -> QuerySet[Participant]:
    """The session's trainers the user may see as people; the others are counted, not
    named (``hidden_trainers``)."""
    return visible_to(user, session.trainers.all()).select_related("organisation")


def seats_taken(session: Session) -> int:
    """Enrolled places (not the waiting list, not the withdrawn): a count, no names."""
    return session.enrolments.filter(status=Enrolment.Status.ENROLLED).count()
