"""The session page's enrolments, for ``training/people/_session_enrolments.html`` (which
the session page includes with ``session`` and ``request`` in its context): the people the
reader sees, enrolled and waiting, and what the reader may do."""

from dataclasses import dataclass
from typing import Any

from django import template

from vaka.policy.visibility import visible_to
from vaka.training import enrolments, participants
from vaka.training.courses import can_manage
from vaka.training.models import Enrolment, Session

register = template.Library()


@dataclass(frozen=True)
class SessionEnrolments:
    enrolled: list[Enrolment]
    waiting: list[tuple[int, Enrolment]]  # (place on the list, enrolment)
    candidates: list[Any]  # the people the reader may enrol
    can_enrol: bool
    runs: bool
    self_enrol: bool  # the reader may enrol themself (and is not enrolled yet)
    mine: Enrolment | None  # the reader's own enrolment
    withdrawable: set[int]


@register.simple_tag
def session_enrolments(user: Any, session: Session) -> SessionEnrolments:
    """Only enrolments the reader sees (both the person and the course); a place on the
    waiting list counts everyone waiting, which the session's capacity already tells."""
    seen = list(visible_to(user, Enrolment.objects.filter(session=session)
                           .exclude(status=Enrolment.Status.WITHDRAWN))
                .select_related("participant__organisation")
                .order_by("enrolled_at", "pk"))
    enrolled = [e for e in seen if e.status == Enrolment.Status.ENROLLED]
    waiting = [(enrolments.waiting_place(e) or 0, e) for e in seen
               if e.status == Enrolment.Status.WAITLISTED]
    open_ = session.cancelled_at is None
    can_enrol = open_ and enrolments.can_enrol(user, session)
    candidates: list[Any] = []
    if can_enrol:
        people = participants.visible_participants(user).exclude(
            enrolments__session=session, enrolments__status__in=[
                Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED])
        if not can_manage(user, session.course):
            people = people.filter(organisation_id=user.organisation_id)
        candidates = list(people.select_related("organisation")[:500])
    mine = Enrolment.objects.filter(session=session, participant__user=user).exclude(
        status=Enrolment.Status.WITHDRAWN).first() if user.is_authenticated else None
    return SessionEnrolments(
        enrolled=enrolled, waiting=waiting, candidates=candidates, can_enrol=can_enrol,
        runs=enrolments.runs(user, session),
        self_enrol=open_ and session.self_enrolment and mine is None
        and user.organisation_id is not None,
        mine=mine,
        withdrawable={e.pk for e in seen if enrolments.can_withdraw(user, e)})
