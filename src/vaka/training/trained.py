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


# A save changes an enrolment's row only through these fields: those copied (``COLUMNS``)
# and those that decide whether it has one (``counted``). A test holds them to COLUMNS.
WATCHED = {
    Enrolment: frozenset({"participant", "session", "status", "completion", "pre_score",
                          "post_score"}),
    Session: frozenset({"course", "starts", "ends", "cancelled_at"}),
    Course: frozenset({"programme"}),
    Participant: frozenset({"gender", "country", "organisation"}),
}
# The enrolments a saved record's rows are of.
_SCOPE = {Enrolment: "pk", Session: "session_id", Course: "session__course_id",
          Participant: "participant_id"}


def _saved(sender: Any, instance: Any, created: bool = False,
           update_fields: Any = None, **_kwargs: Any) -> None:
    if created and sender is not Enrolment:  # nobody is enrolled in it yet
        return
    if update_fields is not None and not {
            sender._meta.get_field(name).name for name in update_fields} & WATCHED[sender]:
        return
    refresh(Enrolment.objects.filter(**{_SCOPE[sender]: instance.pk}))


def connect() -> None:
    """Keep the rows in step with every save (called once, by the app)."""
    for model in WATCHED:
        post_save.connect(_saved, sender=model, dispatch_uid=f"trained:{model.__name__}")
