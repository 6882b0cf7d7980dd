"""Learners' progress as xAPI 1.0.3 statements: exported as JSON and sent to a learning
record store (LRS) when ``VAKA_XAPI_LRS_URL`` is set.

Statements are built from what is stored, never kept as the truth:

* **attended** a session day (``Attendance`` marked present);
* **experienced** a lesson (``LessonProgress``);
* **passed** / **failed** a quiz attempt, or **answered** it when the quiz has no pass
  mark (a submitted ``Attempt``: score, success, completion, duration);
* **completed** / **passed** / **failed** a course (an ``Enrolment``'s completion).

The actor is the participant's e-mail (``mbox``) when known, else an ``account`` on this
instance (``homePage`` = ``VAKA_BASE_URL``, ``name`` = the participant's id, which stays
put: a merged duplicate speaks as the record it was merged into). Activity ids are IRIs
under ``VAKA_BASE_URL``. A statement's id is a UUID 5 of the instance, the record and the
verb, so building it again gives the same id, and an LRS given it twice keeps one.

Who sees what: the export reads each kind of record through ``visible_to``, so a
statement reaches only people who see both the person and the course.

Sending: a write that changes progress calls :func:`queue` (the services' hook); after its
transaction commits, the statements are put in the outbox (``XapiOutbox``), once per
statement id. The scheduler's round calls :func:`send_due`, which POSTs them in batches to
``<LRS>/statements`` through the outbound rule (``exchange.outbound``); a failure is kept
with its reason and retried later with the project's back-off (``vaka.backoff``).
"""

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from vaka.backoff import retry_delay
from vaka.directory.models import User
from vaka.exchange import outbound
from vaka.ids import parse_id
from vaka.policy.visibility import visible_to
from vaka.training.models import (
    Attempt,
    Attendance,
    Completion,
    Course,
    Enrolment,
    LessonProgress,
    Participant,
    Session,
    XapiOutbox,
)

log = logging.getLogger(__name__)

VERSION = "1.0.3"
VERBS = "http://adlnet.gov/expapi/verbs/"
ACTIVITIES = "http://adlnet.gov/expapi/activities/"
# The namespace of statement ids (uuid5): fixed, so ids never change between releases.
NAMESPACE = uuid.UUID("6b1d5a4e-9d1c-5b7a-8f0e-3c2a1d4e5f60")
BATCH = 50  # statements per POST
SEND_LIMIT = 2000  # statements one round sends at most
TIMEOUT = (10, 60)  # seconds to connect, between two reads

Statement = dict[str, Any]


def _base() -> str:
    return settings.BASE_URL.rstrip("/")


def _iri(kind: str, key: object) -> str:
    return f"{_base()}/training/xapi/activities/{kind}/{key}"


def _when(moment: dt.datetime | dt.date) -> str:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time.min, tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(seconds: float) -> str:
    """An ISO 8601 duration, e.g. ``PT1H2M3.5S`` (xAPI's ``result.duration``)."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if secs or text == "PT":
        text += f"{round(secs, 2):g}S"
    return text


def statement_id(kind: str, pk: object, verb: str) -> uuid.UUID:
    """The deterministic id of the statement that ``verb`` says of record ``kind:pk``."""
    return uuid.uuid5(NAMESPACE, f"{_base()}|{kind}|{pk}|{verb}")


def actor(person: Participant) -> Statement:
    """The participant as an xAPI Agent: ``mbox`` when their e-mail is known."""
    email = person.email or (person.user.email if person.user_id else "")
    agent: Statement = {"objectType": "Agent", "name": person.name}
    if email:
        agent["mbox"] = f"mailto:{email.strip().lower()}"
    else:
        agent["account"] = {"homePage": _base(),
                            "name": str(person.merged_into_id or person.pk)}
    return agent


def _verb(word: str) -> Statement:
    return {"id": VERBS + word, "display": {"en-US": word}}


def _activity(kind: str, key: object, name: str, activity_type: str) -> Statement:
    return {"objectType": "Activity", "id": _iri(kind, key),
            "definition": {"name": {"und": name}, "type": ACTIVITIES + activity_type}}


def _course(course: Course) -> Statement:
    return _activity("course", course.code, course.title, "course")


def _session(session: Session) -> Statement:
    return _activity("session", session.reference, f"{session.reference} {session.course}",
                     "meeting")


def _registration(enrolment_pk: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{_base()}|registration|{enrolment_pk}"))


def _score(percent: Decimal | float) -> Statement:
    raw = float(percent)
    return {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}


def _statement(kind: str, pk: object, verb: str, person: Participant, obj: Statement,
               timestamp: dt.datetime | dt.date, *, result: Statement | None = None,
               context: Statement | None = None) -> Statement:
    statement: Statement = {
        "id": str(statement_id(kind, pk, verb)), "actor": actor(person), "verb": _verb(verb),
        "object": obj, "timestamp": _when(timestamp)}
    if result:
        statement["result"] = result
    statement["context"] = {"platform": settings.SITE_NAME, "language": "en",
                            **(context or {})}
    return statement


# --- one kind of record each ---------------------------------------------------------------

def attended(row: Attendance) -> Statement:
    session = row.enrolment.session
    return _statement(
        "attendance", row.pk, "attended", row.enrolment.participant, _session(session),
        row.day, context={"registration": _registration(row.enrolment_id),
                          "contextActivities": {"parent": [_course(session.course)]}})


def experienced(row: LessonProgress) -> Statement:
    lesson = row.lesson
    return _statement(
        "lesson", row.pk, "experienced", row.participant,
        _activity("lesson", lesson.pk, lesson.title, "lesson"), row.completed_at,
        result={"completion": True},
        context={"contextActivities": {"grouping": [_course(lesson.module.course)]}})


def attempted(row: Attempt) -> Statement:
    quiz = row.quiz
    verb = "answered" if row.passed is None else "passed" if row.passed else "failed"
    result: Statement = {"completion": True}
    if row.score is not None:
        result["score"] = _score(row.score)
    if row.passed is not None:
        result["success"] = bool(row.passed)
    end = row.submitted_at or row.started_at
    result["duration"] = duration((end - row.started_at).total_seconds())
    return _statement(
        "attempt", row.pk, verb, row.participant,
        _activity("quiz", quiz.pk, quiz.title, "assessment"), end, result=result,
        context={"registration": str(row.pk),
                 "contextActivities": {"grouping": [_course(quiz.module.course)]},
                 "extensions": {_iri("extension", "attempt"): row.number}})


_COMPLETION_VERBS = {Completion.COMPLETE: "completed", Completion.PASS: "passed",
                     Completion.FAIL: "failed"}


def finished(row: Enrolment) -> Statement:
    verb = _COMPLETION_VERBS[Completion(row.completion)]
    result: Statement = {"completion": row.completion != Completion.FAIL}
    if row.completion != Completion.COMPLETE:
        result["success"] = row.completion == Completion.PASS
    if row.post_score is not None:
        result["score"] = _score(row.post_score)
    return _statement(
        "enrolment", row.pk, verb, row.participant, _course(row.session.course),
        row.completed_at or row.enrolled_at, result=result,
        context={"registration": _registration(row.pk),
                 "contextActivities": {"grouping": [_session(row.session)]}})


# --- which rows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """What an export is narrowed to (each optional)."""

    course: int | None = None
    session: int | None = None
    participant: int | None = None
    since: dt.datetime | None = None

    @classmethod
    def parse(cls, data: Any) -> "Filters":
        """From a query string; a bad value raises ``ValidationError`` naming the field."""
        errors: dict[str, list[str]] = {}
        ids: dict[str, int | None] = {}
        for name in ("course", "session", "participant"):
            raw = (data.get(name) or "").strip()
            ids[name] = parse_id(raw) if raw else None
            if raw and ids[name] is None:
                errors[name] = [_("“%(value)s” is not an id.") % {"value": raw[:40]}]
        since = None
        if raw := (data.get("since") or "").strip():
            try:
                since = parse_datetime(raw)
                if since is None and (day := parse_date(raw)) is not None:
                    since = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            except ValueError:
                since = None
            if since is None:
                errors["since"] = [_("“%(value)s” is not a date or time (e.g. 2026-11-02 or "
                                     "2026-11-02T08:00:00Z).") % {"value": raw[:40]}]
            elif timezone.is_naive(since):
                since = timezone.make_aware(since, dt.UTC)
        if errors:
            raise ValidationError(errors)
        return cls(since=since, **ids)


# For each kind: the builder, its rows, the paths to course, session and participant, its
# time, and what the builder reads.
_KINDS: tuple[tuple[Any, type[Model], str, str | None, str, str, tuple[str, ...]], ...] = (
    (attended, Attendance, "enrolment__session__course", "enrolment__session",
     "enrolment__participant", "day",
     ("enrolment__participant__user", "enrolment__session__course")),
    (experienced, LessonProgress, "lesson__module__course", None, "participant",
     "completed_at", ("participant__user", "lesson__module__course")),
    (attempted, Attempt, "quiz__module__course", None, "participant", "submitted_at",
     ("participant__user", "quiz__module__course")),
    (finished, Enrolment, "session__course", "session", "participant", "completed_at",
     ("participant__user", "session__course")),
)


def _narrowed(rows: QuerySet, filters: Filters, course: str, session: str | None,
              person: str, when: str) -> QuerySet | None:
    if filters.course is not None:
        rows = rows.filter(**{f"{course}_id": filters.course})
    if filters.session is not None:
        if session is None:  # online activity belongs to no session: its enrolled people
            rows = rows.filter(Q(**{f"{person}__enrolments__session_id": filters.session}),
                               **{f"{course}__sessions": filters.session}).distinct()
        else:
            rows = rows.filter(**{f"{session}_id": filters.session})
    if filters.participant is not None:
        rows = rows.filter(**{f"{person}_id": filters.participant})
    if filters.since is not None:
        since: Any = filters.since.date() if when == "day" else filters.since
        rows = rows.filter(**{f"{when}__gte": since})
    return rows


def _stored(model: type[Model]) -> QuerySet:
    if model is Attendance:
        return Attendance.objects.filter(present=True)
    if model is Attempt:
        return Attempt.objects.filter(state=Attempt.State.SUBMITTED)
    if model is Enrolment:
        return Enrolment.objects.exclude(completion=Completion.INCOMPLETE)
    return model.objects.all()


def statements_for(user: User, filters: Filters = Filters()) -> Iterator[Statement]:
    """Every statement ``user`` may see (both the person and the course), narrowed by
    ``filters``, kind by kind in time order."""
    for build, model, course, session, person, when, related in _KINDS:
        rows = _narrowed(visible_to(user, _stored(model)), filters, course, session,
                         person, when)
        for row in rows.select_related(*related).order_by(when, "pk").iterator(2000):
            yield build(row)


# --- the outbox ---------------------------------------------------------------------------

def statements_of(records: Iterable[Model | QuerySet]) -> list[Statement]:
    """The statements the stored ``records`` (rows, or querysets of them) make now (none
    for an absent day, an attempt in progress or an incomplete enrolment)."""
    out = []
    for build, model, *_rest in _KINDS:
        pks: list[Any] = []
        for item in records:
            if isinstance(item, QuerySet) and item.model is model:
                pks += item.values_list("pk", flat=True)
            elif isinstance(item, model):
                pks.append(item.pk)
        if pks:
            out += [build(row) for row in _stored(model).filter(pk__in=pks)
                    .select_related(*_rest[-1])]
    return out


def queue(*records: Model | QuerySet) -> None:
    """The services' hook: once the current transaction commits, put the statements of
    ``records`` (attendance, lesson progress, attempts, enrolments; rows or querysets,
    read only then) in the outbox. Nothing when no LRS is configured."""
    if not settings.XAPI_LRS_URL or not records:
        return
    transaction.on_commit(lambda: enqueue(statements_of(records)))


def enqueue(statements: list[Statement]) -> int:
    """Put ``statements`` in the outbox; one already there (same id) is not queued again."""
    rows = [XapiOutbox(statement_id=uuid.UUID(s["id"]), statement=s) for s in statements]
    before = XapiOutbox.objects.count()
    XapiOutbox.objects.bulk_create(rows, ignore_conflicts=True)
    return XapiOutbox.objects.count() - before


def _post(session: requests.Session, batch: list[XapiOutbox]) -> str:
    """POST ``batch`` to the LRS; ``""`` when it took them, else why not."""
    url = f"{settings.XAPI_LRS_URL}/statements"
    try:
        response = session.post(
            url, json=[row.statement for row in batch], timeout=TIMEOUT,
            auth=(settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD)
            if settings.XAPI_LRS_USERNAME else None,
            headers={"X-Experience-API-Version": VERSION})
    except requests.RequestException as error:
        return outbound.failure_reason(error, url)
    if response.status_code in (200, 204):
        return ""
    return f"{outbound.status_reason(response.status_code, url)} {response.text[:120]}"


def send_due(now: dt.datetime | None = None, *, limit: int = SEND_LIMIT) -> dict[str, int]:
    """Send the queued statements whose time has come, ``BATCH`` per request. A batch the
    LRS refuses, or that does not get there, is kept with the reason and tried again after
    ``retry_delay``; never lost, never sent twice once taken."""
    if not settings.XAPI_LRS_URL:
        return {}
    now = now or timezone.now()
    sent = failed = 0
    due = list(XapiOutbox.objects.filter(sent_at=None, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk")[:limit])
    session = outbound.guard(requests.Session())
    for start in range(0, len(due), BATCH):
        # Claimed by moving the next attempt on: a second sender skips what it lost.
        batch = [row for row in due[start:start + BATCH] if XapiOutbox.objects.filter(
            pk=row.pk, attempts=row.attempts, sent_at=None).update(
            attempts=row.attempts + 1, next_attempt_at=now + retry_delay(row.attempts + 1))]
        if not batch:
            continue
        error = _post(session, batch)
        ids = [row.pk for row in batch]
        if error:
            XapiOutbox.objects.filter(pk__in=ids).update(last_error=error[:300])
            failed += len(batch)
            log.warning("xAPI: %d statements not sent: %s", len(batch), error)
        else:
            XapiOutbox.objects.filter(pk__in=ids).update(sent_at=timezone.now(),
                                                         last_error="")
            sent += len(batch)
    return {"sent": sent, "failed": failed}

