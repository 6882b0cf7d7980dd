"""The statistics' rows (:class:`~vaka.training.models.TrainedEnrolment`), kept in step
with the enrolments, sessions, courses and people they copy.

A row is written for each enrolment that counts as trained but for the date (enrolled, in
a session not cancelled). Every save of an enrolment, a session, a course or a person
rewrites the rows it touches, inside the same transaction (the signal receivers below,
connected by the app), so no service can forget them; the few writes that bypass
``save()`` (a ``QuerySet.update``, a ``bulk_create``) call :func:`refresh` themselves.
``vaka training_statistics`` rebuilds them whole, or checks them.
"""

from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import ExtractYear
from django.db.models.signals import post_save

from vaka.training.models import Course, Enrolment, Participant, Session, TrainedEnrolment

# A row's columns, each read from the enrolment at this path.
COLUMNS = {
    "enrolment_id": F("pk"),
    "participant_id": F("participant_id"),
    "session_id": F("session_id"),
    "course_id": F("session__course_id"),
    "programme_id": F("session__course__programme_id"),
    "starts": F("session__starts"),
    "ends": F("session__ends"),
    "year": ExtractYear("session__starts"),
    "completion": F("completion"),
    "pre_score": F("pre_score"),
    "post_score": F("post_score"),
    "gender": F("participant__gender"),
    "country_id": F("participant__country_id"),
    "organisation_id": F("participant__organisation_id"),
}


def counted(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Those of ``enrolments`` that have a row."""
    return enrolments.filter(status=Enrolment.Status.ENROLLED,
                             session__cancelled_at__isnull=True)


def _source(enrolments: QuerySet[Enrolment]) -> QuerySet:
    # Aliased (c0, c1, …): an annotation may not take the name of an enrolment's field.
    return counted(enrolments).order_by().values(
        **{f"c{n}": expression for n, expression in enumerate(COLUMNS.values())})


def refresh(enrolments: QuerySet[Enrolment]) -> None:
    """Rewrite the rows of ``enrolments`` from what they copy: one ``DELETE`` and one
    ``INSERT … SELECT``, however many there are."""
    sql, params = _source(enrolments).query.sql_with_params()
    table = connection.ops.quote_name(TrainedEnrolment._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in COLUMNS)
    with transaction.atomic():
        TrainedEnrolment.objects.filter(enrolment_id__in=enrolments.values("pk")).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def rebuild() -> int:
    """Rewrite every row; how many there are."""
    refresh(Enrolment.objects.all())
    return TrainedEnrolment.objects.count()


def differences() -> int:
    """How many enrolments' rows differ from what they copy (missing, stale or left
    over): 0 when the rows are in step."""
    stored = {row[0]: row for row in TrainedEnrolment.objects.values_list(*COLUMNS)}
    expected = {row[0]: row for row in (tuple(values.values()) for values in
                                        _source(Enrolment.objects.all()))}
    return sum(stored.get(pk) != expected.get(pk) for pk in stored.keys() | expected.keys())


def _enrolment_saved(instance: Enrolment, **_kwargs: Any) -> None:
    refresh(Enrolment.objects.filter(pk=instance.pk))


def _session_saved(instance: Session, **_kwargs: Any) -> None:
    refresh(Enrolment.objects.filter(session_id=instance.pk))


def _course_saved(instance: Course, created: bool = False, **_kwargs: Any) -> None:
    if not created:  # a new course has no enrolments yet
        refresh(Enrolment.objects.filter(session__course_id=instance.pk))


def _participant_saved(instance: Participant, created: bool = False,
                       **_kwargs: Any) -> None:
    if not created:
        refresh(Enrolment.objects.filter(participant_id=instance.pk))


def connect() -> None:
    """Keep the rows in step with every save (called once, by the app)."""
    for model, receiver in ((Enrolment, _enrolment_saved), (Session, _session_saved),
                            (Course, _course_saved), (Participant, _participant_saved)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"trained:{model.__name__}")
