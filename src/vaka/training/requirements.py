"""Access that depends on training: an organisation admin requires a course's completion
before the organisation's users receive a capability ("contribute" only after "Handling
codes and TLP"). The role system asks :func:`gate` (``vaka.directory.roles.GATES``) each
time it checks a capability; setting and lifting a requirement are audited."""

from typing import Any

from vaka.directory.roles import Capability
from vaka.training.models import Completion, Requirement

# The capabilities a requirement may hold back. Seeing (VIEW) is never held back: a user
# must be able to reach the course, and the platform's own administration is not an
# organisation's to restrict.
GATED = (Capability.CONTRIBUTE, Capability.PUBLISH, Capability.COORDINATE,
         Capability.TRAIN, Capability.BROKER)

_CACHE = "_training_gate"
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
    yet completed."""
    return not missing_courses(user, capability)


def forget(user: Any) -> None:
    """Drop the cached answer (after a completion or a requirement changes)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
