"""Enrolment, the waiting list, attendance, pre/post tests and completion.

Who may do what (the decisions, in one place):

* **Enrol.** A manager of the course (``training.courses.can_manage``: a trainer of the
  organisation that runs it) enrols anyone they see; an organisation admin enrols people
  of their own organisation into sessions they see. A user enrols themself where the
  session is open to self-enrolment. Beyond capacity the enrolment goes to the waiting
  list, and :func:`outcome` says so and at which place.
* **Withdraw.** The person themself, an admin of their organisation, or a manager of the
  course. Withdrawing an enrolled person moves the first on the waiting list in, and
  their organisation is told (an inbox notice carrying the course's markings).
* **Attendance, test scores, completion.** Whoever runs the session: a manager of the
  course or one of the session's trainers (a trainer trained by the programme may
  deliver another organisation's course). Overriding the completion the course's rules
  give is a manager's decision, and audited as such.

Completion (:func:`evaluate`) follows the course's rules: the share of the session's days
attended (online sessions: not asked), every quiz passed when the course requires it, and
with a pass mark the post-test decides pass or fail once the session's last day has come.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.roles import Capability
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.policy import audit
from vaka.policy.visibility import can_see, reaches
from vaka.training import certificates, requirements, xapi
from vaka.training.courses import can_manage
from vaka.training.models import (
    Attempt,
    Attendance,
    Completion,
    Enrolment,
    Participant,
    Quiz,
    Session,
)
from vaka.training.participants import participant_for

Status = Enrolment.Status


def _seen(user: Any, record: Any) -> None:
    if not can_see(user, record):
        raise type(record).DoesNotExist


def runs(user: Any, session: Session) -> bool:
    """A manager of the course, or one of the session's trainers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return can_manage(user, session.course) or session.trainers.filter(user=user).exists()


def can_enrol(user: Any, session: Session, participant: Participant | None = None) -> bool:
    """Whether ``user`` may enrol ``participant`` (anyone, when not given) in
    ``session``."""
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return False
    if can_manage(user, session.course):
        return True
    return user.can(Capability.MANAGE_ORG_USERS) and (
        participant is None or participant.organisation_id == user.organisation_id)


def waiting_place(enrolment: Enrolment) -> int | None:
    """Place on the session's waiting list (1 = next in), or None when not waiting."""
    if enrolment.status != Status.WAITLISTED:
        return None
    return Enrolment.objects.filter(session_id=enrolment.session_id,
                                    status=Status.WAITLISTED).filter(
        enrolled_at__lt=enrolment.enrolled_at).count() + Enrolment.objects.filter(
        session_id=enrolment.session_id, status=Status.WAITLISTED,
        enrolled_at=enrolment.enrolled_at, pk__lt=enrolment.pk).count() + 1


def outcome(enrolment: Enrolment) -> str:
    """What an enrolment came to, in words for the person who made it."""
    names = {"name": enrolment.participant.name, "session": enrolment.session.reference}
    if enrolment.status == Status.WAITLISTED:
        return _("%(session)s is full (%(capacity)d places): %(name)s is on the waiting list, "
                 "number %(place)d.") % {**names, "capacity": enrolment.session.capacity,
                                          "place": waiting_place(enrolment)}
    return _("%(name)s is enrolled in %(session)s.") % names


def _check_open(session: Session) -> None:
    if session.cancelled_at is not None:
        raise ValidationError(_("Session %(reference)s was cancelled; nobody enrols in it.")
                              % {"reference": session.reference})


def _enrol(user: Any, session: Session, participant: Participant, source: str) -> Enrolment:
    """Enrol (or re-enrol a withdrawn) ``participant``: enrolled while there is room, else
    waitlisted. The session row is locked so that two enrolments never take one place."""
    _check_open(session)
    if participant.merged_into_id:
        raise ValidationError({"participant": [_(
            "This record was merged into another; enrol that one.")]})
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).first()
        enrolment = Enrolment.objects.filter(session=session, participant=participant).first()
        if enrolment is not None and enrolment.status != Status.WITHDRAWN:
            already = (_("%(name)s is already on the waiting list of %(session)s.")
                       if enrolment.status == Status.WAITLISTED else
                       _("%(name)s is already enrolled in %(session)s."))
            raise ValidationError({"participant": [already % {
                "name": participant.name, "session": session.reference}]})
        taken = Enrolment.objects.filter(session=session, status=Status.ENROLLED).count()
        status = Status.ENROLLED if taken < session.capacity else Status.WAITLISTED
        again = enrolment is not None
        if enrolment is None:
            enrolment = Enrolment(session=session, participant=participant)
        enrolment.status = status
        enrolment.enrolled_at = timezone.now()
        enrolment.enrolled_by = user
        enrolment.source = source
        enrolment.save()
        audit.record(audit.Action.ENROL, actor=user, target=enrolment,
                     detail={"status": status, "session": session.reference,
                             "participant": participant.pk, "again": again,
                             "source": source})
    requirements.forget(user)
    enrolment.message = outcome(enrolment)  # type: ignore[attr-defined]
    return enrolment


def enrol(user: Any, session: Session, participant: Participant, *,
          source: str = "") -> Enrolment:
    """Enrol ``participant`` in ``session`` (see the module docstring for who may). Over
    capacity the enrolment is waitlisted; ``outcome(enrolment)`` (also set as
    ``enrolment.message``) says so. A withdrawn person is enrolled again."""
    _seen(user, session)
    _seen(user, participant)
    if not can_enrol(user, session, participant):
        raise PermissionDenied(_("Only a trainer of the organisation that runs this course, "
                                 "or an admin of the person's organisation, enrols them."))
    return _enrol(user, session, participant, source)


def enrol_new(user: Any, session: Session, participant: Participant, *,
              source: str = "") -> Enrolment:
    """Enrol a person ``user`` has just created (``participants.create_participant``),
    whom they may not see until enrolled: only in a session of a course they manage.
    ``source`` as for :func:`enrol` (``"moodle"`` for the import)."""
    _seen(user, session)
    if not can_manage(user, session.course):
        raise ValidationError({"session": [_(
            "Choose a session of a course you run.")]})
    return _enrol(user, session, participant, source)


def self_enrol(user: Any, session: Session) -> Enrolment:
    """The signed-in user enrols themself where the session is open to self-enrolment."""
    _seen(user, session)
    if not session.self_enrolment:
        raise PermissionDenied(_("Session %(reference)s is not open to self-enrolment; ask "
                                 "your organisation's admin.")
                               % {"reference": session.reference})
    if session.ends < timezone.localdate():
        raise ValidationError(_("Session %(reference)s has ended.")
                              % {"reference": session.reference})
    return _enrol(user, session, participant_for(user), "self")


def can_withdraw(user: Any, enrolment: Enrolment) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    person = enrolment.participant
    return (person.user_id == user.pk
            or (user.can(Capability.MANAGE_ORG_USERS)
                and person.organisation_id == user.organisation_id)
            or can_manage(user, enrolment.session.course))


def withdraw(user: Any, enrolment: Enrolment) -> Enrolment | None:
    """Withdraw ``enrolment``; when it held a place, the first on the waiting list takes
    it and their organisation is told. Returns the enrolment promoted, if any."""
    _seen(user, enrolment)
    if not can_withdraw(user, enrolment):
        raise PermissionDenied(_("Only the person, an admin of their organisation or a "
                                 "trainer of the course withdraws an enrolment."))
    if enrolment.status == Status.WITHDRAWN:
        raise ValidationError(_("This enrolment was already withdrawn."))
    session = enrolment.session
    promoted = None
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).first()
        held = enrolment.status == Status.ENROLLED
        enrolment.status = Status.WITHDRAWN
        enrolment.save(update_fields=["status"])
        audit.record(audit.Action.WITHDRAW, actor=user, target=enrolment,
                     detail={"session": session.reference,
                             "participant": enrolment.participant_id})
        taken = Enrolment.objects.filter(session=session, status=Status.ENROLLED).count()
        if held and taken < session.capacity and session.cancelled_at is None:
            promoted = (Enrolment.objects.filter(session=session, status=Status.WAITLISTED)
                        .select_related("participant").order_by("enrolled_at", "pk").first())
        if promoted is not None:
            promoted.status = Status.ENROLLED
            promoted.save(update_fields=["status"])
            audit.record(audit.Action.ENROL, actor=user, target=promoted,
                         detail={"status": Status.ENROLLED, "session": session.reference,
                                 "participant": promoted.participant_id,
                                 "from_waiting_list": True})
            _tell_promoted(promoted)
    return promoted


def _tell_promoted(enrolment: Enrolment) -> None:
    """The promoted person's organisation is told, within the course's audience: the
    notice names the person (whom their organisation sees) and the session (whose course
    reaches it; otherwise nobody is told)."""
    session = enrolment.session
    course = session.course
    organisation = enrolment.participant.organisation
    if not reaches(course, organisation):
        return
    notify(kind=Notice.Kind.ENROLMENT, owner_id=organisation.pk,
           group_key=f"enrolment:{enrolment.pk}", tlp=course.tlp,
           audience_id=course.audience_id, target_name="training:participant",
           target_args=[enrolment.participant_id],
           params={"name": enrolment.participant.name, "reference": session.reference,
                   "course": course.title, "starts": session.starts.isoformat()})


def _check_runs(user: Any, session: Session) -> None:
    if not runs(user, session):
        raise PermissionDenied(_("Only the session's trainers or a trainer of the "
                                 "organisation that runs the course records this."))


def session_days(session: Session) -> list[dt.date]:
    return [session.starts + dt.timedelta(days=n)
            for n in range((session.ends - session.starts).days + 1)]


def record_attendance(user: Any, session: Session, day: dt.date,
                      present_ids: Iterable[int]) -> int:
    """Who of the enrolled people ``user`` sees attended ``day`` (enrolment ids in
    ``present_ids``; the others are recorded absent). Returns how many are present."""
    _seen(user, session)
    _check_runs(user, session)
    if not isinstance(day, dt.date) or not session.starts <= day <= session.ends:
        raise ValidationError({"day": [_("%(day)s is not a day of session %(reference)s "
                                         "(%(starts)s to %(ends)s).")
                                       % {"day": day, "reference": session.reference,
                                          "starts": session.starts, "ends": session.ends}]})
    from vaka.policy.visibility import visible_to

    enrolled = {e.pk: e for e in visible_to(user, Enrolment.objects.filter(
        session=session, status=Status.ENROLLED))}
    try:
        present = {int(pk) for pk in present_ids}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"present": [_("Attendance names enrolments by number.")]}
                              ) from exc
    strangers = sorted(present - set(enrolled))
    if strangers:
        raise ValidationError({"present": [_(
            "Not enrolled in %(reference)s: %(ids)s. Only enrolled people attend.")
            % {"reference": session.reference, "ids": ", ".join(map(str, strangers))}]})
    with transaction.atomic():
        for pk, enrolment in enrolled.items():
            Attendance.objects.update_or_create(
                enrolment=enrolment, day=day,
                defaults={"present": pk in present, "recorded_by": user})
        audit.record(audit.Action.ATTENDANCE, actor=user, target=session,
                     detail={"day": day.isoformat(), "present": sorted(present),
                             "absent": sorted(set(enrolled) - present)})
        xapi.queue(Attendance.objects.filter(enrolment__in=present, day=day))
    return len(present)


def _score(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        errors[field] = [_("“%(value)s” is not a number.") % {"value": value}]
        return None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        errors[field] = [_("A score is a percentage from 0 to 100 (given %(value)s).")
                         % {"value": value}]
        return None
    return score.quantize(Decimal("0.01"))


def record_scores(user: Any, enrolment: Enrolment, *, pre: Any = None,
                  post: Any = None) -> Enrolment:
    """The pre-test and post-test scores (percentages, 0 to 100; empty clears one)."""
    _seen(user, enrolment)
    _check_runs(user, enrolment.session)
    if enrolment.status != Status.ENROLLED:
        raise ValidationError(_("Only an enrolled person has test scores."))
    errors: dict[str, list[str]] = {}
    scores = {"pre_score": _score(pre, "pre_score", errors),
              "post_score": _score(post, "post_score", errors)}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, value in scores.items():
            setattr(enrolment, name, value)
        enrolment.save(update_fields=list(scores))
        audit.record(audit.Action.TEST_SCORES, actor=user, target=enrolment,
                     detail={name: None if v is None else str(v)
                             for name, v in scores.items()})
    return enrolment


def attendance_share(enrolment: Enrolment) -> float:
    """The share of the session's days the person attended, in per cent."""
    days = len(session_days(enrolment.session))
    present = enrolment.attendance.filter(present=True).count()
    return 100.0 * present / days if days else 0.0


def evaluate(enrolment: Enrolment, *, today: dt.date | None = None) -> Completion:
    """The completion the course's rules give (see the module docstring)."""
    session, course = enrolment.session, enrolment.session.course
    if enrolment.status != Status.ENROLLED:
        return Completion.INCOMPLETE
    if not session.online and attendance_share(enrolment) < course.min_attendance:
        return Completion.INCOMPLETE
    if course.require_quizzes:
        quizzes = Quiz.objects.filter(module__course=course).values("pk")
        passed = Attempt.objects.filter(participant=enrolment.participant_id, quiz__in=quizzes,
                                        passed=True).values("quiz").distinct().count()
        if passed < quizzes.count():
            return Completion.INCOMPLETE
    if course.pass_mark is not None:
        if session.ends > (today or timezone.localdate()) or enrolment.post_score is None:
            return Completion.INCOMPLETE
        return Completion.PASS if enrolment.post_score >= course.pass_mark else Completion.FAIL
    return Completion.COMPLETE


def set_completion(user: Any, enrolment: Enrolment,
                   completion: Completion | str | None = None) -> Enrolment:
    """Set the completion: the course's rules' (``None``), or a manager's override. A
    completion (complete or passed) issues the certificate."""
    _seen(user, enrolment)
    _check_runs(user, enrolment.session)
    evaluated = evaluate(enrolment)
    if completion is None:
        completion = evaluated
    elif completion not in Completion.values:
        raise ValidationError({"completion": [_("Unknown completion “%(value)s”.")
                                              % {"value": completion}]})
    completion = Completion(completion)
    override = completion != evaluated
    if override and not can_manage(user, enrolment.session.course):
        raise PermissionDenied(_("Only a trainer of the organisation that runs the course "
                                 "overrides what its completion rules give (%(rules)s).")
                               % {"rules": evaluated.label})
    if override and enrolment.status != Status.ENROLLED:
        raise ValidationError(_("Only an enrolled person completes a course."))
    with transaction.atomic():
        enrolment.completion = completion
        enrolment.completed_at = (None if completion == Completion.INCOMPLETE
                                  else enrolment.completed_at or timezone.now())
        enrolment.save(update_fields=["completion", "completed_at"])
        audit.record(audit.Action.COMPLETION, actor=user, target=enrolment,
                     detail={"completion": completion, "evaluated": evaluated,
                             "override": override})
        xapi.queue(enrolment)
        if completion in requirements.DONE:
            certificates.issue(enrolment, user=user)
    requirements.forget(user)
    if enrolment.participant.user is not None:
        requirements.forget(enrolment.participant.user)
    return enrolment

