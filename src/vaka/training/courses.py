"""Writing courses and their sessions: the catalogue's one write path.

A course is a shareable record: its markings (through the one markings input,
``policy.inputs``) decide who finds it in the catalogue and who sees its lessons, quizzes
and sessions. Who may write: a user who can train (``Capability.TRAIN``: trainers,
organisation admins, platform admins) of the course's owner organisation who can see it
(:func:`can_manage`). Every write validates what it is given (one ``ValidationError``
keyed by field), writes in one transaction and appends its audit entry.

An archived course leaves the catalogue's default view but stays readable where it was;
it takes no new sessions. A cancelled session stays on record and no longer changes.

Trainers are participants (``training.models.Participant``): people trained by the
programme can go on to train. A trainer who has a user account must be inside the
course's markings — a trainer who could never open the course is refused, naming why
(``policy.services.why_not_reached``), as an operation refuses such a participant.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Programme, User
from vaka.directory.roles import Capability
from vaka.policy import audit
from vaka.policy.markings import TLP
from vaka.policy.services import (
    Markings,
    clean_markings,
    create_shareable,
    update_shareable,
    why_not_reached,
)
from vaka.policy.visibility import can_see, reaches, visible_to
from vaka.training.models import (
    Course,
    Delivery,
    GenderMarker,
    Level,
    Participant,
    Session,
    Topic,
)

CODE_LENGTH = Course._meta.get_field("code").max_length
TITLE_LENGTH = Course._meta.get_field("title").max_length
DONOR_LENGTH = Course._meta.get_field("donor").max_length
PROJECT_CODE_LENGTH = Course._meta.get_field("project_code").max_length
PLACE_LENGTH = Session._meta.get_field("place").max_length
INTERFACE_LANGUAGES = [code for code, _name in settings.LANGUAGES]
REFERENCE_PREFIX = "TRN"


@dataclass
class CourseDetails:
    """A course's editable fields: the one definition the form, the API, the import and the
    demo fill. ``topics`` are ``Topic`` codes, ``languages`` ISO 639-1 codes, ``programme``
    a programme's code."""

    code: str
    title: str
    summary: str = ""
    topics: list[str] = field(default_factory=list)
    level: str = Level.INTRODUCTORY
    languages: list[str] = field(default_factory=list)
    delivery: str = Delivery.IN_PERSON
    programme: str | None = None
    donor: str = ""
    project_code: str = ""
    human_rights_gender: bool = False
    gender_marker: int = GenderMarker.NOT_TARGETED
    duration_hours: int | None = None
    min_attendance: int = 80
    pass_mark: int | None = None
    require_quizzes: bool = False

    @classmethod
    def of(cls, course: Course) -> "CourseDetails":
        return cls(**{name: getattr(course, name) for name in COURSE_FIELDS if
                      name != "programme"}, programme=course.programme_id)


COURSE_FIELDS = tuple(CourseDetails.__dataclass_fields__)


@dataclass
class SessionDetails:
    """A session's editable fields (its trainers are set by :func:`set_trainers`);
    ``country`` an ISO 3166-1 code."""

    starts: date | None
    ends: date | None
    online: bool = False
    place: str = ""
    country: str | None = None
    capacity: int = 25
    self_enrolment: bool = False

    @classmethod
    def of(cls, session: Session) -> "SessionDetails":
        return cls(**{name: getattr(session, name) for name in SESSION_FIELDS
                      if name != "country"},
                   country=session.country.code if session.country else None)


SESSION_FIELDS = tuple(SessionDetails.__dataclass_fields__)


# --- who may write ---------------------------------------------------------------------------

def can_manage(user: Any, course: Course) -> bool:
    """Users who can train, of the course's owner organisation, who can see it."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id
                and user.organisation_id == course.owner_id
                and user.can(Capability.TRAIN) and can_see(user, course))


def check_manager(user: Any, course: Course) -> None:
    """Refuse anyone who may not manage ``course`` (:func:`can_manage`): the one check
    and wording of every change to a course and its sessions, lessons and quizzes."""
    if not can_manage(user, course):
        raise PermissionDenied(_("Only a trainer of the organisation that runs this course "
                                 "changes it, its sessions, lessons and quizzes."))


# --- validation ------------------------------------------------------------------------------

def language_known(code: str) -> bool:
    """An interface language of this instance, or any ISO 639-1 language (Samoan "sm",
    Tongan "to", Bislama "bi", Fijian "fj", …)."""
    return code in INTERFACE_LANGUAGES or (
        len(code) == 2 and code.isalpha() and code.islower()
        and pycountry.languages.get(alpha_2=code) is not None)


def _percent(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100


def _clean_course(details: CourseDetails, course: Course | None
                  ) -> tuple[dict[str, list[str]], Programme | None]:
    """What is wrong with ``details``, keyed by field (normalised in place), and the
    programme."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in ("code", "title", "summary", "donor", "project_code"):
        value = str(getattr(details, name) or "").strip()
        setattr(details, name, value)
        if "\x00" in value:
            fail(name, _("The text holds a NUL character."))
    for name, length in (("code", CODE_LENGTH), ("title", TITLE_LENGTH),
                         ("donor", DONOR_LENGTH), ("project_code", PROJECT_CODE_LENGTH)):
        value = getattr(details, name)
        if len(value) > length:
            fail(name, _("It is %(n)d characters long; at most %(max)d fit.")
                 % {"n": len(value), "max": length})
    details.code = details.code.lower()
    if not details.code:
        fail("code", _("A course needs a short code, e.g. “cyber-101”."))
    elif "code" not in errors:
        try:
            validate_slug(details.code)
        except ValidationError:
            fail("code", _("“%s” is not a code: use letters, digits, hyphens and "
                           "underscores only.") % details.code)
        else:
            taken = Course.objects.filter(code=details.code)
            if course is not None:
                taken = taken.exclude(pk=course.pk)
            if taken.exists():
                fail("code", _("Another course already has the code “%s”.") % details.code)
    if not details.title:
        fail("title", _("A course needs a title."))
    topics = [str(t) for t in details.topics]
    unknown = [t for t in topics if t not in Topic.values]
    if unknown:
        fail("topics", _("Unknown topic(s): %(codes)s (known: %(known)s).")
             % {"codes": ", ".join(unknown), "known": ", ".join(Topic.values)})
    details.topics = [t for t in Topic.values if t in topics]
    languages = [str(code).strip().lower() for code in details.languages]
    unknown = [code for code in languages if not language_known(code)]
    if unknown:
        fail("languages", _("“%s” is not an ISO 639-1 language code (e.g. en, fr, sm).")
             % ", ".join(unknown))
    details.languages = list(dict.fromkeys(c for c in languages if c not in unknown))
    if details.level not in Level.values:
        fail("level", _("Unknown level “%(value)s” (known: %(known)s).")
             % {"value": details.level, "known": ", ".join(Level.values)})
    if details.delivery not in Delivery.values:
        fail("delivery", _("Unknown delivery “%(value)s” (known: %(known)s).")
             % {"value": details.delivery, "known": ", ".join(Delivery.values)})
    if details.gender_marker not in GenderMarker.values:
        fail("gender_marker", _("The gender marker is 0, 1 or 2 (OECD-DAC)."))
    if not _percent(details.min_attendance):
        fail("min_attendance", _("Give a share of days between 0 and 100."))
    if details.pass_mark is not None and not _percent(details.pass_mark):
        fail("pass_mark", _("Give a pass mark between 0 and 100, or none."))
    if details.duration_hours is not None and not (
            isinstance(details.duration_hours, int) and details.duration_hours >= 1):
        fail("duration_hours", _("Give a whole number of hours, at least 1, or none."))
    programme = None
    if details.programme:
        programme = Programme.objects.filter(pk=details.programme).first()
        if programme is None:
            fail("programme", _("No programme has the code “%s”.") % details.programme)
    details.programme = programme.pk if programme else None
    return errors, programme


def _validate(errors: dict[str, list[str]], owner: Any, creator: User | None,
              markings: Markings) -> None:
    """One ``ValidationError`` with what is wrong with the details and the markings."""
    try:
        clean_markings(owner, creator, markings)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def _fill(course: Course, details: CourseDetails, programme: Programme | None) -> list[str]:
    """Copy ``details`` onto ``course``; the names of the fields that changed."""
    changed = [name for name in COURSE_FIELDS if name != "programme"
               and getattr(course, name) != getattr(details, name)]
    if course.programme_id != (programme.pk if programme else None):
        changed.append("programme")
    for name in COURSE_FIELDS:
        if name != "programme":
            setattr(course, name, getattr(details, name))
    course.programme = programme
    return changed


# --- courses ---------------------------------------------------------------------------------

@transaction.atomic
def create_course(user: User, details: CourseDetails, markings: Markings, *,
                  request: Any = None) -> Course:
    """A new course run by ``user``'s organisation (its owner); users who can train only."""
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if not user.can(Capability.TRAIN):
        raise PermissionDenied(_("Only a trainer creates courses."))
    errors, programme = _clean_course(details, None)
    _validate(errors, user.organisation, user, markings)
    course = Course()
    _fill(course, details, programme)
    return create_shareable(course, user=user, markings=markings, request=request)


@transaction.atomic
def update_course(user: User, course: Course, details: CourseDetails, markings: Markings, *,
                  request: Any = None) -> Course:
    """Change a course's details and markings. Its sessions' trainers must stay inside the
    new markings."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    check_manager(user, course)
    errors, programme = _clean_course(details, course)
    _validate(errors, course.owner, course.created_by or user, markings)
    changed = _fill(course, details, programme)
    update_shareable(course, user=user, markings=markings, changed=changed, request=request)
    trainers = Participant.objects.filter(
        sessions_trained__course=course, user__isnull=False).distinct()
    problems = _unreached(course, trainers)
    if problems:
        raise ValidationError({"distribution": [
            _("A trainer of its sessions would lose the course: %s") % problem
            for problem in problems]})
    return course


@transaction.atomic
def archive_course(user: User, course: Course, *, archived: bool = True,
                   request: Any = None) -> Course:
    """Archive a course (it leaves the catalogue's default view, stays readable and takes
    no new sessions), or with ``archived=False`` bring it back."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    check_manager(user, course)
    if (course.archived_at is not None) == archived:
        return course
    course.archived_at = timezone.now() if archived else None
    course.save(update_fields=["archived_at"])
    audit.record(audit.Action.UPDATE, actor=user, target=course, request=request,
                 detail={"changed": ["archived_at"], "archived": archived})
    return course


# --- sessions --------------------------------------------------------------------------------

def _clean_session(details: SessionDetails) -> tuple[dict[str, list[str]], Country | None]:
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    details.place = str(details.place or "").strip()
    if "\x00" in details.place:
        fail("place", _("The text holds a NUL character."))
    elif len(details.place) > PLACE_LENGTH:
        fail("place", _("It is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(details.place), "max": PLACE_LENGTH})
    if details.starts is None:
        fail("starts", _("Give the day the session starts."))
    if details.ends is None:
        fail("ends", _("Give the day the session ends."))
    if details.starts and details.ends and details.ends < details.starts:
        fail("ends", _("The session ends (%(ends)s) before it starts (%(starts)s).")
             % {"ends": details.ends.isoformat(), "starts": details.starts.isoformat()})
    if (not isinstance(details.capacity, int) or isinstance(details.capacity, bool)
            or details.capacity < 1):
        fail("capacity", _("A session has room for at least one participant."))
    country = None
    if details.country:
        code = str(details.country).strip().upper()
        country = Country.objects.filter(code=code).first() if "\x00" not in code else None
        if country is None:
            fail("country", _("Unknown country code “%s”.") % code)
    details.country = country.code if country else None
    return errors, country


def _check_course_open(course: Course) -> None:
    if course.archived_at is not None:
        raise ValidationError(_("%(course)s was archived on %(date)s; it takes no new "
                                "sessions.") % {"course": course,
                                                 "date": course.archived_at.date().isoformat()})


def _check_not_cancelled(session: Session) -> None:
    if session.cancelled_at is not None:
        raise ValidationError(_("%(reference)s was cancelled on %(date)s; it no longer "
                                "changes.") % {"reference": session.reference,
                                                "date": session.cancelled_at.date().isoformat()})


def _next_reference(year: int) -> str:
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    # The longest, then greatest: "TRN-2026-10000" comes after "TRN-2026-9999".
    last = (Session.objects.filter(reference__startswith=prefix)
            .order_by(Length("reference").desc(), "-reference")
            .values_list("reference", flat=True).first())
    suffix = last[len(prefix):] if last else "0"
    number = int(suffix) + 1 if suffix.isdigit() else (
        Session.objects.filter(reference__startswith=prefix).count() + 1)
    return f"{prefix}{number:04d}"


def _fill_session(session: Session, details: SessionDetails, country: Country | None
                  ) -> list[str]:
    changed = [name for name in SESSION_FIELDS if name != "country"
               and getattr(session, name) != getattr(details, name)]
    if session.country_id != (country.pk if country else None):
        changed.append("country")
    for name in SESSION_FIELDS:
        if name != "country":
            setattr(session, name, getattr(details, name))
    session.country = country
    return changed


@transaction.atomic
def create_session(user: User, course: Course, details: SessionDetails, *,
                   request: Any = None) -> Session:
    """A new session of ``course``, numbered ``TRN-<year it starts>-<nnnn>``."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    check_manager(user, course)
    _check_course_open(course)
    errors, country = _clean_session(details)
    if errors:
        raise ValidationError(errors)
    session = Session(course=course, created_by=user)
    _fill_session(session, details, country)
    for _attempt in range(5):
        session.reference = _next_reference(details.starts.year)
        try:
            with transaction.atomic():
                session.save()
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("Could not number the session; try again."))
    audit.record(audit.Action.CREATE, actor=user, target=session, request=request,
                 detail={"course": course.pk, "reference": session.reference})
    return session


def _for_change(user: User, session: Session) -> Session:
    session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
    check_manager(user, session.course)
    _check_not_cancelled(session)
    return session


@transaction.atomic
def update_session(user: User, session: Session, details: SessionDetails, *,
                   request: Any = None) -> Session:
    """Change a session's dates, place, country, capacity or self-enrolment."""
    session = _for_change(user, session)
    errors, country = _clean_session(details)
    if errors:
        raise ValidationError(errors)
    changed = _fill_session(session, details, country)
    session.save()
    audit.record(audit.Action.UPDATE, actor=user, target=session, request=request,
                 detail={"changed": changed})
    return session


@transaction.atomic
def cancel_session(user: User, session: Session, *, reason: str = "",
                   request: Any = None) -> Session:
    """Cancel a session: it stays on record (with its enrolments) and no longer changes."""
    session = _for_change(user, session)
    session.cancelled_at = timezone.now()
    session.save(update_fields=["cancelled_at"])
    audit.record(audit.Action.UPDATE, actor=user, target=session, request=request,
                 detail={"changed": ["cancelled_at"], "cancelled": True,
                         "reason": str(reason)[:300]})
    return session


def _unreached(course: Course, people: Iterable[Participant]) -> list[str]:
    """Why each person with a user account is outside ``course``'s (saved) markings."""
    problems = []
    m: Markings | None = None
    for person in people:
        account = person.user
        # A deactivated account signs in no more: the person trains as one without any.
        if account is None or not account.is_active or can_see(account, course):
            continue
        m = m or Markings.of(course)
        org = account.organisation
        if org is not None and reaches(course, org) and course.tlp == TLP.RED:
            problems.append(_("TLP:RED: %(person)s is not a named recipient.")
                            % {"person": person})
        elif org is not None:
            problems.append(why_not_reached(course.owner, m, org))
        else:
            problems.append(_("%(person)s's account belongs to no organisation.")
                            % {"person": person})
    return problems


@transaction.atomic
def set_trainers(user: User, session: Session, participants: Iterable[Participant | int], *,
                 request: Any = None) -> Session:
    """Make ``participants`` (people the user can see) the session's trainers. A trainer
    with a user account the course's markings do not reach is refused, naming why."""
    session = _for_change(user, session)
    ids = {p.pk if isinstance(p, Participant) else int(p) for p in participants}
    found = {p.pk: p for p in visible_to(user, Participant.objects.filter(pk__in=ids))
             .select_related("user__organisation")}
    errors: list[str] = []
    missing = sorted(ids - set(found))
    if missing:
        errors.append(_("No participant you can see has the id(s) %s.")
                      % ", ".join(map(str, missing)))
    merged = [p for p in found.values() if p.merged_into_id is not None]
    errors += [_("%s was merged into another record; choose that one.") % p for p in merged]
    errors += _unreached(session.course, found.values())
    if errors:
        raise ValidationError({"trainers": errors})
    before = set(session.trainers.values_list("pk", flat=True))
    session.trainers.set(found.values())
    audit.record(audit.Action.UPDATE, actor=user, target=session, request=request,
                 detail={"changed": ["trainers"], "added": sorted(ids - before),
                         "removed": sorted(before - ids)})
    return session
