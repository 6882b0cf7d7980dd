"""Access that depends on training: an organisation admin requires a course's completion
before the organisation's users receive a capability ("contribute" only after "Handling
codes and TLP"). The role system asks :func:`gate` (``vaka.directory.roles.GATES``) each
time it checks a capability; setting and lifting a requirement are audited.

What the gate knows is cached on the user object, so it holds for one request: a course
completed (or a requirement set or lifted) takes effect on the user's next request. A
capability the gate holds back is noted on the user object too (:func:`refused`); the page
then says which course to complete first (``training/_held.html``, below every page's
content), and :class:`HeldCapabilityMiddleware` audits it (``CAPABILITY_HELD``) once per
user, capability and day, after the view and outside its transaction — so a refusal
that rolls the view's change back stays on record.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from vaka.directory.roles import CAPABILITIES, CAPABILITY_LABELS, Capability
from vaka.policy import audit
from vaka.policy.models import AuditEntry
from vaka.policy.visibility import can_see, reaches, visible_to
from vaka.training.models import Completion, Course, Requirement

# The capabilities a requirement may hold back. Seeing (VIEW) is never held back: a user
# must be able to reach the course, and the platform's own administration is not an
# organisation's to restrict.
GATED = (Capability.CONTRIBUTE, Capability.PUBLISH, Capability.COORDINATE,
         Capability.TRAIN, Capability.BROKER)
GATED_CHOICES = [(c.value, CAPABILITY_LABELS[c]) for c in GATED]

_CACHE = "_training_gate"
_REFUSED = "_training_refused"
_AUDITED = "_training_refused_audited"
DONE = (Completion.COMPLETE, Completion.PASS)


def missing_courses(user: Any, capability: Capability) -> list[Any]:
    """The required courses ``user`` has not completed for ``capability`` (cached on the
    user object for the request)."""
    if capability not in GATED or getattr(user, "organisation_id", None) is None:
        return []
    cache = getattr(user, _CACHE, None)
    if cache is None:
        cache = _load(user)
        setattr(user, _CACHE, cache)
    return cache.get(capability, [])


def _load(user: Any) -> dict[str, list[Any]]:
    required = list(Requirement.objects.filter(organisation_id=user.organisation_id)
                    .select_related("course"))
    if not required:
        return {}
    from vaka.training.models import Enrolment

    done = set(Enrolment.objects.filter(
        participant__user=user, completion__in=DONE,
        session__course__in=[r.course_id for r in required],
    ).values_list("session__course_id", flat=True))
    missing: dict[str, list[Any]] = {}
    for requirement in required:
        if requirement.course_id not in done:
            missing.setdefault(requirement.capability, []).append(requirement.course)
    return missing


def gate(user: Any, capability: Capability) -> bool:
    """The role system's gate: ``capability`` is allowed unless a required course is not
    yet completed. A refusal is noted on the user object (:func:`refused`)."""
    missing = missing_courses(user, capability)
    if missing:
        noted = getattr(user, _REFUSED, None)
        if noted is None:
            noted = {}
            setattr(user, _REFUSED, noted)
        noted[Capability(capability)] = missing
    return not missing


def forget(user: Any) -> None:
    """Drop the cached answer (after a completion or a requirement changes)."""
    for name in (_CACHE, _REFUSED):
        if hasattr(user, name):
            delattr(user, name)


def refused(user: Any) -> dict[Capability, list[Any]]:
    """The capabilities the gate held back from ``user`` so far in this request (its role
    grants them; a course is missing), each with the courses to complete first."""
    return dict(getattr(user, _REFUSED, None) or {})


def held(user: Any) -> list[tuple[Capability, Any, list[Any]]]:
    """Every capability ``user``'s role grants that training holds back, labelled, with the
    courses to complete first (the profile page)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    granted = CAPABILITIES.get(user.role, frozenset())
    return [(c, CAPABILITY_LABELS[c], missing_courses(user, c)) for c in GATED
            if c in granted and missing_courses(user, c)]


def audit_refusals(user: Any, *, request: HttpRequest | None = None) -> int:
    """Audit each capability held back from ``user`` in this request (``CAPABILITY_HELD``),
    unless it was already today; how many entries were written."""
    noted = refused(user)
    done = getattr(user, _AUDITED, set())
    fresh = [c for c in noted if c not in done]
    if not fresh:
        return 0
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    already = set(AuditEntry.objects.filter(
        action=audit.Action.CAPABILITY_HELD, actor_id=user.pk, at__gte=start,
    ).values_list("detail__capability", flat=True))
    written = 0
    for capability in fresh:
        if capability.value not in already:
            audit.record(audit.Action.CAPABILITY_HELD, actor=user, request=request, detail={
                "capability": capability.value,
                "courses": [course.code for course in noted[capability]]})
            written += 1
    setattr(user, _AUDITED, done | set(fresh))
    return written


class HeldCapabilityMiddleware:
    """After each request, audit what the training gate held back from its user. A user
    nobody asked for (the lazy ``request.user`` never read) is not loaded."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject):
            user = None if user._wrapped is empty else user._wrapped
        if user is not None and getattr(user, _REFUSED, None):
            audit_refusals(user, request=request)
        return response


class Held:
    """The templates' ``capabilities_held``: read when the page shows it (after the page's
    content, which asked its capabilities), not when the context is made."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def _items(self) -> list[tuple[Any, list[Any]]]:
        if not getattr(self.user, "is_authenticated", False):
            return []
        return [(CAPABILITY_LABELS[c], courses) for c, courses in refused(self.user).items()]

    def __iter__(self) -> Any:
        return iter(self._items())

    def __bool__(self) -> bool:
        return bool(self._items())


def context(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``capabilities_held`` (:class:`Held`)."""
    return {"capabilities_held": Held(getattr(request, "user", None))}


# --- setting and lifting requirements (organisation admins) -------------------------------

def can_require(user: Any, organisation: Any) -> bool:
    """Organisation admins, for their own organisation only."""
    return bool(getattr(user, "is_authenticated", False) and organisation is not None
                and user.organisation_id == organisation.pk
                and user.can(Capability.MANAGE_ORG_USERS))


def _check(user: Any, organisation: Any) -> None:
    if not can_require(user, organisation):
        raise PermissionDenied(_("Only an admin of the organisation sets or lifts its "
                                 "training requirements."))


def requirements_of(organisation: Any) -> Any:
    return Requirement.objects.filter(organisation=organisation).select_related("course")


def courses_for_requirements(user: Any) -> Any:
    """The courses an admin may require: those they see that are not archived."""
    return visible_to(user, Course.objects.filter(archived_at__isnull=True))


@transaction.atomic
def require(user: Any, organisation: Any, capability: str, course: Course, *,
            request: Any = None) -> Requirement:
    """Require ``course``'s completion before ``organisation``'s users receive
    ``capability``. The course must reach the organisation (its users can take it); the
    same requirement twice is one."""
    _check(user, organisation)
    errors: dict[str, list[str]] = {}
    if capability not in {c.value for c in GATED}:
        errors["capability"] = [_("“%(value)s” is not a capability training may hold back; "
                                  "choose one of: %(choices)s.") % {
            "value": capability, "choices": ", ".join(str(label)
                                                      for _v, label in GATED_CHOICES)}]
    if course is None or not can_see(user, course):
        errors["course"] = [_("Choose a course you can see.")]
    elif course.archived_at is not None:
        errors["course"] = [_("This course is archived: it takes no new requirements.")]
    elif not reaches(course, organisation):
        errors["course"] = [_("Your organisation's users cannot see this course, so they "
                              "could never complete it.")]
    if errors:
        raise ValidationError(errors)
    requirement, created = Requirement.objects.get_or_create(
        organisation=organisation, capability=capability, course=course,
        defaults={"created_by": user})
    if created:
        audit.record(audit.Action.REQUIREMENT_SET, actor=user, target=requirement,
                     request=request, detail={"capability": capability,
                                              "course": course.code})
    forget(user)
    return requirement


@transaction.atomic
def lift(user: Any, requirement: Requirement, *, request: Any = None) -> None:
    """Lift a requirement: the capability no longer waits for that course."""
    _check(user, requirement.organisation)
    audit.record(audit.Action.REQUIREMENT_LIFT, actor=user, target=requirement,
                 request=request, detail={"capability": requirement.capability,
                                          "course": requirement.course.code})
    requirement.delete()
    forget(user)
