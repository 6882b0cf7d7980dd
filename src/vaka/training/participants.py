"""Participants: one record per person trained or training, a user or a police officer
who never signs in. Every write here checks who may make it, validates (one
``ValidationError`` keyed by field), writes in one transaction and is audited.

Who may write (the decisions, in one place):

* **Create.** An organisation admin (``Capability.MANAGE_ORG_USERS``) creates people of
  their own organisation. A trainer (``Capability.TRAIN``) creates people of any
  organisation; a person of *another* organisation is enrolled in one of the trainer's
  sessions in the same step (``session=``), in one transaction — else the trainer would
  lose sight of the record they just made (a participant reaches their organisation,
  their sessions' trainers and their programmes' coordinators only).
* **Edit.** Whoever sees the person and is an organisation admin of the person's
  organisation, or holds ``Capability.TRAIN`` (a trainer correcting a name on their list).
* **Merge.** Whoever sees both records and either is an organisation admin of the
  organisation both belong to, or holds ``Capability.TRAIN`` (a trainer or coordinator
  who sees both, typically after a Moodle import). Records of two organisations are merged
  only by a trainer: an organisation admin never moves a person out of another
  organisation's sight. Merged records (``merged_into`` set) leave every list and are
  never enrolled again.
"""

from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Organisation
from vaka.directory.roles import Capability
from vaka.names import fold
from vaka.policy import audit
from vaka.policy.visibility import can_see, visible_to
from vaka.training import trained as trained_rows
from vaka.training.models import (
    Attempt,
    Enrolment,
    Gender,
    LessonProgress,
    Participant,
    Session,
)

EDITABLE = ("given_name", "family_name", "email", "organisation", "country", "gender",
            "rank", "role")


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def active(queryset: Any) -> Any:
    """Leave out merged records."""
    return queryset.filter(merged_into__isnull=True)


def visible_participants(user: Any) -> Any:
    """The participants ``user`` may see, merged records left out."""
    return active(visible_to(user, Participant.objects.all()))


def _seen(user: Any, record: Any) -> None:
    """An outsider learns nothing of a record, not even that it exists."""
    if not can_see(user, record):
        raise type(record).DoesNotExist


def _clean(fields: dict[str, Any], current: Participant | None = None) -> dict[str, Any]:
    """The fields, trimmed and checked; every problem reported against its field."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError(_("Unknown participant fields: %(names)s.")
                              % {"names": ", ".join(unknown)})
    errors: dict[str, list[str]] = {}
    values = {name: getattr(current, name) for name in EDITABLE} if current else {}
    values.update(fields)
    cleaned: dict[str, Any] = {}
    for name in ("given_name", "family_name", "email", "rank", "role"):
        value = values.get(name) or ""
        if not isinstance(value, str):
            value = str(value)
        value = " ".join(value.split())
        limit = Participant._meta.get_field(name).max_length
        if len(value) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
        cleaned[name] = value
    for name in ("given_name", "family_name"):
        if not cleaned[name] and name not in errors:
            errors[name] = [_("This field is required.")]
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("“%(value)s” is not an e-mail address.")
                               % {"value": cleaned["email"]}]
    gender = values.get("gender") or Gender.NOT_STATED
    if gender not in Gender.values:
        errors["gender"] = [_("Unknown gender “%(value)s” (known: %(known)s).")
                            % {"value": gender, "known": ", ".join(Gender.values)}]
    cleaned["gender"] = gender
    for name, model in (("organisation", Organisation), ("country", Country)):
        value = values.get(name)
        if value is None or value == "":
            errors[name] = [_("This field is required.")]
        elif not isinstance(value, model):
            found = model.objects.filter(pk=value).first() if str(value).isdigit() else None
            if found is None:
                errors[name] = [_("Unknown %(what)s “%(value)s”.")
                                % {"what": model._meta.verbose_name, "value": value}]
            value = found
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def can_create(user: Any, organisation: Organisation | None = None) -> bool:
    """Whether ``user`` may create people (of ``organisation``, when given)."""
    if not (getattr(user, "is_authenticated", False) and user.organisation_id):
        return False
    if user.can(Capability.TRAIN):
        return True
    return user.can(Capability.MANAGE_ORG_USERS) and (
        organisation is None or organisation.pk == user.organisation_id)


def create_participant(user: Any, *, session: Session | None = None, source: str = "",
                       **fields: Any) -> Participant:
    """A new person record. A trainer creating a person of another organisation gives the
    ``session`` (one they run) to enrol them in, in the same transaction; ``source`` is
    that enrolment's (``"moodle"`` for the import)."""
    cleaned = _clean(fields)
    organisation = cleaned["organisation"]
    if not can_create(user, organisation):
        raise PermissionDenied(_("Only an organisation admin (for their own organisation) "
                                 "or a trainer adds participants."))
    own = organisation.pk == user.organisation_id
    if not own and session is None:
        raise ValidationError({"session": [_(
            "A person of another organisation is enrolled in one of your sessions as "
            "they are added; otherwise you could not see them afterwards.")]})
    with transaction.atomic():
        person = Participant.objects.create(created_by=user, **cleaned)
        audit.record(audit.Action.CREATE, actor=user, target=person,
                     detail={"organisation": organisation.pk})
        if session is not None:
            from vaka.training.enrolments import enrol_new

            enrol_new(user, session, person, source=source)
    return person


def update_participant(user: Any, participant: Participant, **fields: Any) -> Participant:
    """Change a person's record (names, e-mail, organisation, country, gender, rank,
    role)."""
    _seen(user, participant)
    if not can_edit(user, participant):
        raise PermissionDenied(_("Only an admin of the person's organisation or a trainer "
                                 "changes a participant."))
    if participant.merged_into_id:
        raise ValidationError(_("This record was merged into another; change that one."))
    cleaned = _clean(fields, participant)
    if (cleaned["organisation"].pk != participant.organisation_id
            and not user.can(Capability.TRAIN)):
        raise ValidationError({"organisation": [_(
            "Only a trainer moves a person to another organisation.")]})
    changed = {name: str(getattr(value, "pk", value)) for name, value in cleaned.items()
               if getattr(participant, name) != value}
    if not changed:
        return participant
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(participant, name, value)
        participant.save()
        audit.record(audit.Action.UPDATE, actor=user, target=participant,
                     detail={"fields": sorted(changed)})
    return participant


def can_edit(user: Any, participant: Participant) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return False
    if user.can(Capability.TRAIN):
        return True
    return (user.can(Capability.MANAGE_ORG_USERS)
            and participant.organisation_id == user.organisation_id)


def participant_for(user_account: Any) -> Participant:
    """The person record of a signed-in user, created from their account when they have
    none (names, e-mail, organisation and its country). An unlinked record of the same
    organisation with the same e-mail (an officer entered before they had an account) is
    linked instead, when there is exactly one."""
    existing = Participant.objects.filter(user=user_account).first()
    if existing is not None:
        return existing
    organisation = user_account.organisation
    if organisation is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if organisation.country_id is None:
        raise ValidationError(_("Your organisation has no country; an admin sets it first."))
    with transaction.atomic():
        email = normalise_email(user_account.email or "")
        if email:
            same = list(active(Participant.objects.select_for_update().filter(
                user__isnull=True, organisation=organisation, email__iexact=email))[:2])
            if len(same) == 1:
                person = same[0]
                person.user = user_account
                person.save(update_fields=["user"])
                audit.record(audit.Action.UPDATE, actor=user_account, target=person,
                             detail={"fields": ["user"]})
                return person
        person = Participant.objects.create(
            user=user_account, given_name=user_account.first_name or user_account.username,
            family_name=user_account.last_name or "", email=user_account.email or "",
            organisation=organisation, country_id=organisation.country_id,
            created_by=user_account)
        audit.record(audit.Action.CREATE, actor=user_account, target=person,
                     detail={"organisation": organisation.pk, "from_account": True})
    return person


def find_duplicates(user: Any) -> list[tuple[Participant, Participant, str]]:
    """Pairs of participants ``user`` sees that look like one person: the same e-mail, or
    the same name in the same organisation (both compared normalised). Each pair once,
    the older record first, with the reason ("email" or "name")."""
    people = list(visible_participants(user).select_related("organisation", "country")
                  .order_by("pk"))
    groups: dict[tuple, list[Participant]] = defaultdict(list)
    for person in people:
        if person.email:
            groups[("email", normalise_email(person.email))].append(person)
        name = fold(f"{person.given_name} {person.family_name}", accents=False)
        groups[("name", name, person.organisation_id)].append(person)
    pairs: dict[tuple[int, int], tuple[Participant, Participant, str]] = {}
    for key, members in groups.items():
        for i, first in enumerate(members):
            for second in members[i + 1:]:
                pairs.setdefault((first.pk, second.pk), (first, second, key[0]))
    return [pairs[key] for key in sorted(pairs)]


def can_merge(user: Any, keep: Participant, duplicate: Participant) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return False
    if user.can(Capability.TRAIN):
        return True
    return (user.can(Capability.MANAGE_ORG_USERS)
            and keep.organisation_id == duplicate.organisation_id == user.organisation_id)


def merge_participants(user: Any, keep: Participant, duplicate: Participant) -> Participant:
    """Fold ``duplicate`` into ``keep``: its enrolments, quiz attempts, lessons read,
    sessions trained and user account move to ``keep``; ``duplicate`` stays, marked
    ``merged_into``, out of every list.

    Both enrolled in one session: when one of the two enrolments is withdrawn and holds no
    certificate it is dropped (the other stands); otherwise the merge is refused, naming
    the sessions. Refused too: two user accounts (a person has one), a record already
    merged, a record merged into itself."""
    _seen(user, keep)
    _seen(user, duplicate)
    if not can_merge(user, keep, duplicate):
        raise PermissionDenied(_("Only a trainer, or an admin of the organisation both "
                                 "people belong to, merges participants."))
    if keep.pk == duplicate.pk:
        raise ValidationError(_("A record cannot be merged into itself."))
    with transaction.atomic():
        keep, duplicate = (Participant.objects.select_for_update().get(pk=keep.pk),
                           Participant.objects.select_for_update().get(pk=duplicate.pk))
        if keep.merged_into_id or duplicate.merged_into_id:
            raise ValidationError(_("One of these records was already merged into another."))
        if keep.user_id and duplicate.user_id:
            raise ValidationError(_("Both records belong to user accounts (%(a)s, %(b)s); "
                                    "a person has one account, so these are two people or "
                                    "an account must be closed first.")
                                  % {"a": keep.user.username, "b": duplicate.user.username})
        dropped = _settle_shared_sessions(keep, duplicate)
        moved = {"enrolments": Enrolment.objects.filter(participant=duplicate)
                 .update(participant=keep)}
        trained_rows.refresh(Enrolment.objects.filter(participant=keep))  # not a save()
        moved["attempts"] = _move_attempts(keep, duplicate)
        already = LessonProgress.objects.filter(participant=keep).values("lesson_id")
        LessonProgress.objects.filter(participant=duplicate, lesson_id__in=already).delete()
        moved["lessons"] = LessonProgress.objects.filter(participant=duplicate).update(
            participant=keep)
        trained = list(duplicate.sessions_trained.all())
        keep.sessions_trained.add(*trained)
        duplicate.sessions_trained.clear()
        moved["sessions_trained"] = len(trained)
        if duplicate.user_id:
            account = duplicate.user
            duplicate.user = None
            duplicate.merged_into = keep
            duplicate.save(update_fields=["user", "merged_into"])
            keep.user = account
            keep.save(update_fields=["user"])
            moved["user"] = account.pk
        else:
            duplicate.merged_into = keep
            duplicate.save(update_fields=["merged_into"])
        audit.record(audit.Action.PARTICIPANTS_MERGE, actor=user, target=keep,
                     detail={"duplicate": duplicate.pk, "moved": moved,
                             "dropped_enrolments": dropped})
    return keep


def _settle_shared_sessions(keep: Participant, duplicate: Participant) -> list[int]:
    """Both enrolled in one session: drop the withdrawn one of the pair (without a
    certificate) or refuse. Returns the enrolments dropped."""
    mine = {e.session_id: e for e in Enrolment.objects.filter(participant=keep)}
    clashes = [(mine[e.session_id], e) for e in
               Enrolment.objects.filter(participant=duplicate).select_related("session")
               if e.session_id in mine]
    dropped, refused = [], []
    for kept, other in clashes:
        withdrawn = [e for e in (other, kept) if e.status == Enrolment.Status.WITHDRAWN
                     and not hasattr(e, "certificate")]
        if withdrawn:
            dropped.append(withdrawn[0])
        else:
            refused.append(other.session.reference)
    if refused:
        raise ValidationError(_("Both people are enrolled in %(sessions)s. Withdraw one of "
                                "the two enrolments in each first, then merge.")
                              % {"sessions": ", ".join(sorted(refused))})
    for enrolment in dropped:
        enrolment.delete()
    return [e.pk for e in dropped]


def _move_attempts(keep: Participant, duplicate: Participant) -> int:
    """The duplicate's quiz attempts, numbered after the kept record's own."""
    last = dict(Attempt.objects.filter(participant=keep).values("quiz_id")
                .annotate(last=Max("number")).values_list("quiz_id", "last"))
    moved = 0
    for attempt in Attempt.objects.filter(participant=duplicate).order_by("quiz_id", "number"):
        last[attempt.quiz_id] = last.get(attempt.quiz_id, 0) + 1
        attempt.participant = keep
        attempt.number = last[attempt.quiz_id]
        attempt.save(update_fields=["participant", "number"])
        moved += 1
    return moved
