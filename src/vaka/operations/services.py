"""Writing operations: open, edit, participants, phase and close.

Targets are written in ``operations.targets``, taskings in ``operations.tasks``. Every
write here checks who may make it (:func:`check_coordinator`), validates what it is given
(one ``ValidationError`` keyed by field), writes in one transaction, appends its audit
entry and tells the organisations concerned through the inbox (the notice carries the
operation's markings, so it reaches no one the operation does not).

Who may write: a user with ``Capability.COORDINATE`` (coordinators, organisation admins,
platform admins) of a participating organisation who can see the operation. Roles never
widen: a platform admin whose organisation is not a participant cannot even find it.

Markings: an operation is marked like any shareable record, through the one markings
input (``policy.inputs``). When none are given it is TLP:AMBER to every member, narrowed
to its participants as recipient organisations; and whenever its TLP is AMBER or
AMBER+STRICT with no recipient organisations chosen, the participants are its recipient
organisations. Adding a participant adds it to an AMBER operation's recipient
organisations, removing one removes it. A participant the markings leave out (a
distribution or community that misses it, TLP:RED with nobody there named) is refused,
naming why: it would take part in an operation it could never open. The compartment keeps
everyone else out whatever the markings say.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Organisation, User
from vaka.directory.roles import Capability
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.intel.crime_types import CrimeType
from vaka.operations.models import Operation, Phase
from vaka.operations.notices import reached
from vaka.policy import audit
from vaka.policy.markings import TLP, Distribution
from vaka.policy.models import Compartment
from vaka.policy.services import (
    Markings,
    apply_markings,
    clean_markings,
    markings_detail,
    new_compartment,
    set_compartment,
    why_not_reached,
)
from vaka.policy.visibility import can_see, reaches

CODE_NAME_LENGTH = Operation._meta.get_field("code_name").max_length
AMBERS = (TLP.AMBER, TLP.AMBER_STRICT)


@dataclass
class OperationDetails:
    """What a coordinator gives for an operation (the same for the form, the API and the
    demo). ``lead`` and ``participants`` are organisation ids; ``countries`` ISO codes."""

    code_name: str
    objective: str
    lead: int | None = None
    participants: list[int] = field(default_factory=list)
    crime_types: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    starts: date | None = None
    ends: date | None = None
    phase: str = Phase.COLLECT
    lessons: str = ""


FIELDS = ("code_name", "objective", "crime_types", "starts", "ends", "lessons")


# --- who may write ---------------------------------------------------------------------------

def participant_ids(operation: Operation) -> set[int]:
    return set(operation.compartment.organisations.values_list("pk", flat=True))


def can_coordinate(user: Any, operation: Operation) -> bool:
    """Coordinators of a participating organisation who can see the operation."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id
                and user.can(Capability.COORDINATE)
                and user.organisation_id in participant_ids(operation)
                and can_see(user, operation))


def check_coordinator(user: Any, operation: Operation) -> None:
    if not can_coordinate(user, operation):
        raise PermissionDenied(_("Only a coordinator of a participating organisation "
                                 "changes this operation."))


def _check_open(operation: Operation) -> None:
    if operation.closed_at is not None:
        raise ValidationError(_("%(reference)s was closed on %(date)s; it no longer changes.")
                              % {"reference": operation.reference,
                                 "date": operation.closed_at.date().isoformat()})


def for_change(operation: Operation, user: Any) -> Operation:
    """The operation row locked for the change, after the coordinator check."""
    operation = Operation.objects.select_for_update().select_related(
        "compartment").get(pk=operation.pk)
    check_coordinator(user, operation)
    _check_open(operation)
    return operation


# --- validation ------------------------------------------------------------------------------

def _organisations(ids: list[int]) -> tuple[list[Organisation], list[int]]:
    """The active local organisations among ``ids``, and the ids that name none."""
    wanted = {int(pk) for pk in ids}
    found = list(Organisation.objects.filter(pk__in=wanted, is_active=True,
                                             origin__isnull=True))
    return found, sorted(wanted - {o.pk for o in found})


def _clean(details: OperationDetails) -> tuple[dict[str, list[str]], Organisation | None,
                                               list[Country]]:
    """What is wrong with ``details``, keyed by field (normalised in place), the lead
    organisation and the countries."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    details.code_name, details.objective = details.code_name.strip(), details.objective.strip()
    for name in ("code_name", "objective", "lessons"):
        if "\x00" in getattr(details, name):
            fail(name, _("The text holds a NUL character."))
    if not details.code_name:
        fail("code_name", _("An operation needs a code name."))
    elif len(details.code_name) > CODE_NAME_LENGTH:
        fail("code_name", _("The code name is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(details.code_name), "max": CODE_NAME_LENGTH})
    if not details.objective:
        fail("objective", _("Say what the operation sets out to do."))
    unknown = [c for c in details.crime_types if c not in CrimeType.values]
    if unknown:
        fail("crime_types", _("Unknown crime type(s): %s.") % ", ".join(map(str, unknown)))
    details.crime_types = [c for c in CrimeType.values if c in details.crime_types]
    codes = [str(c).strip().upper() for c in details.countries]
    countries = list(Country.objects.filter(code__in=[c for c in codes if "\x00" not in c]))
    unknown = [c for c in codes if c not in {country.code for country in countries}]
    if unknown:
        fail("countries", _("Unknown country code(s): %s.") % ", ".join(unknown))
    details.countries = sorted({country.code for country in countries})
    if details.starts and details.ends and details.ends < details.starts:
        fail("ends", _("The operation ends (%(ends)s) before it starts (%(starts)s).")
             % {"ends": details.ends.isoformat(), "starts": details.starts.isoformat()})
    if details.phase not in Phase.values:
        fail("phase", _("Unknown phase “%(phase)s” (known: %(known)s).")
             % {"phase": details.phase, "known": ", ".join(Phase.values)})
    lead = None
    if details.lead is None:
        fail("lead", _("Choose the lead organisation."))
    else:
        found, missing = _organisations([details.lead])
        lead = found[0] if found else None
        if missing:
            fail("lead", _("No active organisation has the id %s.") % details.lead)
    return errors, lead, countries


def _participants(ids: list[int], errors: dict[str, list[str]]) -> list[Organisation]:
    found, missing = _organisations(ids)
    if missing:
        errors.setdefault("participants", []).append(
            _("No active organisation has the id(s) %s.") % ", ".join(map(str, missing)))
    return found


def _markings(owner: Organisation, creator: User | None, markings: Markings | None,
              participants: list[Organisation], errors: dict[str, list[str]]
              ) -> Markings | None:
    """The operation's markings checked; the participants are the recipient organisations
    of an AMBER operation that names none (see the module docstring)."""
    m = markings or Markings(distribution=Distribution.MEMBERS)
    if m.tlp in AMBERS and not m.recipient_organisations:
        m.recipient_organisations = list(participants)
    try:
        return clean_markings(owner, creator, m)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


def _check_reached(operation: Operation, org_ids: set[int] | dict[int, Any]) -> None:
    """Every participant is inside the (saved) operation's markings: one they leave out
    would take part in an operation it can never open. Refused naming each conflict;
    the caller's transaction undoes the change."""
    missing = [org for org in Organisation.objects.filter(pk__in=set(org_ids)).order_by("name")
               if not reaches(operation, org)]
    if missing:
        m = Markings.of(operation)
        raise ValidationError({"participants": [
            why_not_reached(operation.owner, m, org) for org in missing]})


def _next_reference(year: int) -> str:
    prefix = f"OP-{year}-"
    last = (Operation.objects.filter(reference__startswith=prefix)
            .order_by("-reference").values_list("reference", flat=True).first())
    number = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _tell_participants(operation: Operation, org_ids: set[int], *, by: User) -> None:
    """An OPERATION notice to each of ``org_ids`` (but the writer's own organisation)
    that the operation reaches."""
    for org_id in reached(operation, org_ids - {by.organisation_id}):
        notify(kind=Notice.Kind.OPERATION, owner_id=org_id,
               group_key=f"operation:{operation.pk}:joined", tlp=operation.tlp,
               audience_id=operation.audience_id, target_name="operations:operation",
               target_args=[operation.pk],
               params={"reference": operation.reference,
                       "code_name": operation.code_name[:100]})


# --- operations ------------------------------------------------------------------------------

@transaction.atomic
def open_operation(*, user: User, details: OperationDetails, markings: Markings | None = None,
                   request: Any = None) -> Operation:
    """A new operation opened by ``user``'s organisation (its owner), numbered
    ``OP-<year>-<nnnn>``. The owner and the lead are always participants; the other
    participants are told through their inbox."""
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if not user.can(Capability.COORDINATE):
        raise PermissionDenied(_("Only a coordinator opens an operation."))
    errors, lead, countries = _clean(details)
    participants = _participants(details.participants, errors)
    by_pk = {o.pk: o for o in [user.organisation, *participants, *([lead] if lead else [])]}
    m = _markings(user.organisation, user, markings, list(by_pk.values()), errors)
    if errors:
        raise ValidationError(errors)
    operation = Operation(owner=user.organisation, created_by=user, lead=lead,
                          phase=details.phase,
                          compartment=new_compartment(Compartment.Kind.OPERATION, by_pk))
    for name in FIELDS:
        setattr(operation, name, getattr(details, name))
    apply_markings(operation, m)
    for _attempt in range(5):
        operation.reference = _next_reference(timezone.now().year)
        try:
            with transaction.atomic():
                operation.save()
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("Could not number the operation; try again."))
    operation.countries.set(countries)
    _check_reached(operation, by_pk)
    audit.record(audit.Action.CREATE, actor=user, target=operation, request=request,
                 detail={"participants": sorted(by_pk), "lead": lead.pk,
                         **markings_detail(m)})
    _tell_participants(operation, set(by_pk), by=user)
    return operation


@transaction.atomic
def update_operation(operation: Operation, *, user: User, details: OperationDetails,
                     markings: Markings, request: Any = None) -> Operation:
    """Change an operation's details and markings (not its participants or phase: see
    :func:`change_participants` and :func:`set_phase`). The lead must be a participant."""
    operation = for_change(operation, user)
    details.phase = operation.phase
    errors, lead, countries = _clean(details)
    members = participant_ids(operation)
    if lead is not None and lead.pk not in members:
        errors.setdefault("lead", []).append(
            _("%s is not a participant: add it to the participants first.") % lead)
    participants = list(Organisation.objects.filter(pk__in=members))
    m = _markings(operation.owner, operation.created_by or user, markings, participants,
                  errors)
    if errors:
        raise ValidationError(errors)
    before = markings_detail(Markings.of(operation))
    changed = [name for name in FIELDS if getattr(operation, name) != getattr(details, name)]
    if operation.lead_id != lead.pk:
        changed.append("lead")
    if sorted(operation.countries.values_list("code", flat=True)) != details.countries:
        changed.append("countries")
        operation.countries.set(countries)
    for name in FIELDS:
        setattr(operation, name, getattr(details, name))
    operation.lead = lead
    apply_markings(operation, m)
    operation.modified = timezone.now()
    operation.save()
    _check_reached(operation, members)
    after = markings_detail(m)
    audit.record(audit.Action.REMARK if after != before else audit.Action.UPDATE,
                 actor=user, target=operation, request=request,
                 detail={"changed": changed, **after})
    return operation


@transaction.atomic
def change_participants(operation: Operation, *, user: User, participants: list[int],
                        request: Any = None) -> Operation:
    """Make ``participants`` (organisation ids) the operation's participants. Removing
    the lead or the owner is refused; newly added organisations are told through their
    inbox; an AMBER operation's recipient organisations follow (module docstring)."""
    operation = for_change(operation, user)
    errors: dict[str, list[str]] = {}
    wanted = {o.pk: o for o in _participants(participants, errors)}
    before = participant_ids(operation)
    for keep, message in ((operation.owner, _("%s opened the operation and stays in it.")),
                          (operation.lead, _("%s leads the operation and stays in it: "
                                             "choose another lead first."))):
        if keep.pk not in wanted:
            errors.setdefault("participants", []).append(message % keep)
    added, removed = set(wanted) - before, before - set(wanted)
    m = Markings.of(operation)
    if m.tlp in AMBERS:
        m.recipient_organisations = [
            o for o in {*m.recipient_organisations, *(wanted[pk] for pk in added)}
            if o.pk not in removed]
    marking_errors: dict[str, list[str]] = {}
    m = _markings(operation.owner, operation.created_by or user, m, list(wanted.values()),
                  marking_errors)
    for messages in marking_errors.values():  # a new participant the markings cannot reach
        errors.setdefault("participants", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not added and not removed:
        return operation
    set_compartment(operation.compartment, wanted)
    apply_markings(operation, m)
    operation.modified = timezone.now()
    operation.save()
    _check_reached(operation, wanted)
    audit.record(audit.Action.PARTICIPANTS_CHANGE, actor=user, target=operation,
                 request=request, detail={"added": sorted(added), "removed": sorted(removed),
                                          "participants": sorted(wanted),
                                          **markings_detail(m)})
    _tell_participants(operation, added, by=user)
    return operation


@transaction.atomic
def set_phase(operation: Operation, *, user: User, phase: str,
              request: Any = None) -> Operation:
    """Move the operation to ``phase`` (collect and analyse → prioritise → act →
    evaluate; any order, the cycle may go back)."""
    operation = for_change(operation, user)
    if phase not in Phase.values:
        raise ValidationError({"phase": [_("Unknown phase “%(phase)s” (known: %(known)s).")
                                         % {"phase": phase, "known": ", ".join(Phase.values)}]})
    if phase == operation.phase:
        return operation
    audit.record(audit.Action.OPERATION_PHASE, actor=user, target=operation, request=request,
                 detail={"from": operation.phase, "to": phase})
    operation.phase, operation.modified = phase, timezone.now()
    operation.save(update_fields=["phase", "modified"])
    return operation


@transaction.atomic
def close_operation(operation: Operation, *, user: User, lessons: str | None = None,
                    request: Any = None) -> Operation:
    """Close the operation (optionally with its lessons learned): from now on nothing
    of it changes."""
    operation = for_change(operation, user)
    if lessons is not None:
        if "\x00" in lessons:
            raise ValidationError({"lessons": [_("The text holds a NUL character.")]})
        operation.lessons = lessons.strip()
    operation.closed_at = operation.modified = timezone.now()
    operation.save(update_fields=["closed_at", "modified", "lessons"])
    audit.record(audit.Action.OPERATION_CLOSE, actor=user, target=operation, request=request,
                 detail={"phase": operation.phase})
    return operation
