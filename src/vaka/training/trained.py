"""The statistics' rows (:class:`~vaka.training.models.TrainedEnrolment`), kept in step
with the enrolments, sessions, courses and people they copy.

A row is written for each enrolment that counts as trained but for the date (enrolled, in
a session not cancelled). Besides what it copies, a row says which of its person's rows it
is the first of (``firsts``, bits): their first of all, their first in its year, in its
programme and in each of its course's topics, "first" meaning the earliest session (then
the enrolment's number). A person is then counted once a figure by counting first rows,
with no grouping by person — wherever the reader sees all of that person's rows (see
:mod:`vaka.training.statistics`). Ordering by the session's start keeps this true on any
day: if a person's first row in a year has not started yet, none of their rows in that
year has.

Every save of an enrolment, a session, a course or a person rewrites the rows of the
people it touches, inside the same transaction (the signal receivers below, connected by
the app), so no service can forget them; the few writes that bypass ``save()`` (a
``QuerySet.update``, a ``bulk_create``) call :func:`refresh` themselves.
``vaka training_statistics`` rebuilds them whole, or checks them.
"""

from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When, Window
from django.db.models.functions import ExtractYear, RowNumber
from django.db.models.signals import post_delete, post_save

from vaka.training.models import (
    Course,
    Enrolment,
    Participant,
    Session,
    Topic,
    TrainedEnrolment,
)

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

# The bits of ``firsts``: the row is its person's first of all, first in its year, first
# in its programme, and (``topic_bit``) first in each topic of its course.
FIRST = 1
FIRST_IN_YEAR = 2
FIRST_IN_PROGRAMME = 4


def topic_bit(topic: str) -> int:
    """The bit of ``firsts`` saying a row is its person's first in ``topic`` (a Topic
    value): in the order of ``Topic``, after the three above."""
    return 8 << Topic.values.index(topic)


def courses_by_topic(courses: QuerySet[Course]) -> dict[str, list[int]]:
    """Each topic (in ``Topic`` order) with the ``courses`` tagged with it. Topics are a
    JSON list; courses are few, so they are read here rather than unnested by each
    database in its own way."""
    tagged: dict[str, list[int]] = {}
    for pk, topics in courses.values_list("pk", "topics"):
        for topic in topics or []:
            tagged.setdefault(topic, []).append(pk)
    return {topic: tagged[topic] for topic in Topic.values if topic in tagged}


def counted(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Those of ``enrolments`` that have a row."""
    return enrolments.filter(status=Enrolment.Status.ENROLLED,
                             session__cancelled_at__isnull=True)


def _source(enrolments: QuerySet[Enrolment]) -> tuple[str, list[Any]]:
    """The rows of ``enrolments`` — which must hold every counted enrolment of each of
    their people, the firsts being among a person's rows — as SQL: the ``COLUMNS`` then
    ``firsts``, each first asked of a ``ROW_NUMBER()`` over the person's rows (with those
    in the year, the programme, the topic) in the order of their sessions' start."""
    order = [F("session__starts").asc(), F("pk").asc()]

    def first_among(*partition: Any) -> Window:
        return Window(RowNumber(), partition_by=[F("participant_id"), *partition],
                      order_by=order)

    windows = {"w_all": (first_among(), FIRST, None),
               "w_year": (first_among(ExtractYear("session__starts")), FIRST_IN_YEAR, None),
               "w_programme": (first_among(F("session__course__programme_id")),
                               FIRST_IN_PROGRAMME, None)}
    for topic, ids in courses_by_topic(Course.objects.all()).items():
        tagged = Q(session__course_id__in=ids)
        windows[f"w_{topic}"] = (first_among(Case(When(tagged, then=Value(1)),
                                                  default=Value(0))), topic_bit(topic), ids)
    # Aliased (c0, c1, …): an annotation may not take the name of an enrolment's field.
    columns = {f"c{n}": expression for n, expression in enumerate(COLUMNS.values())}
    sql, params = counted(enrolments).order_by().values(**columns).annotate(
        **{name: window for name, (window, _bit, _ids) in windows.items()}) \
        .query.sql_with_params()
    course = f"c{list(COLUMNS).index('course_id')}"
    terms, term_params = [], []
    for name, (_window, bit, ids) in windows.items():
        tagged = "" if ids is None else (f"s.{course} IN ({', '.join(['%s'] * len(ids))}) "
                                         "AND ")
        terms.append(f"CASE WHEN {tagged}s.{name} = 1 THEN {bit} ELSE 0 END")
        term_params += ids or []
    selected = ", ".join(f"s.{name}" for name in columns)
    return (f"SELECT {selected}, {' + '.join(terms)} FROM ({sql}) s",  # noqa: S608
            [*term_params, *params])


def refresh(enrolments: QuerySet[Enrolment] | None = None) -> None:
    """Rewrite the rows of ``enrolments`` and of every other enrolment of their people
    (whose firsts may change with them) from what they copy — all rows when None: one
    ``DELETE`` and one ``INSERT … SELECT``, however many there are."""
    everyone = Enrolment.objects.all()
    if enrolments is None:
        stale, source = TrainedEnrolment.objects.all(), everyone
    else:
        # People an enrolment moved away from (a merge) keep rows whose firsts change.
        left = list(TrainedEnrolment.objects.filter(enrolment_id__in=enrolments.values(
            "pk")).exclude(participant_id=F("enrolment__participant_id")).values_list(
            "participant_id", flat=True).distinct())
        people = (Q(participant_id__in=enrolments.values("participant_id"))
                  | Q(participant_id__in=left))
        stale = TrainedEnrolment.objects.filter(
            people | Q(enrolment_id__in=enrolments.values("pk")))
        source = everyone.filter(people)
    sql, params = _source(source)
    table = connection.ops.quote_name(TrainedEnrolment._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in [*COLUMNS, "firsts"])
    with transaction.atomic():
        stale.delete()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def rebuild() -> int:
    """Rewrite every row; how many there are."""
    refresh()
    return TrainedEnrolment.objects.count()


def differences() -> int:
    """How many enrolments' rows differ from what they copy (missing, stale or left
    over): 0 when the rows are in step."""
    stored = {row[0]: row for row in TrainedEnrolment.objects.values_list(
        *COLUMNS, "firsts")}
    sql, params = _source(Enrolment.objects.all())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = {row[0]: _typed(row) for row in cursor.fetchall()}
    return sum(stored.get(pk) != expected.get(pk) for pk in stored.keys() | expected.keys())


def _typed(row: tuple) -> tuple:
    """A row read by raw SQL as the model reads it (SQLite gives dates and decimals as
    text and numbers)."""
    fields = [TrainedEnrolment._meta.get_field(name) for name in [*COLUMNS, "firsts"]]
    return tuple(value if value is None else field.to_python(value)
                 for field, value in zip(fields, row, strict=True))


# A save changes an enrolment's row only through these fields: those copied (``COLUMNS``),
# those that decide whether it has one (``counted``) and a course's topics (``firsts``). A
# test holds them to COLUMNS.
WATCHED = {
    Enrolment: frozenset({"participant", "session", "status", "completion", "pre_score",
                          "post_score"}),
    Session: frozenset({"course", "starts", "ends", "cancelled_at"}),
    Course: frozenset({"programme", "topics"}),
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


def _deleted(sender: Any, instance: Enrolment, **_kwargs: Any) -> None:
    # Its row goes with it (CASCADE); the person's other rows may become firsts.
    refresh(Enrolment.objects.filter(participant_id=instance.participant_id))


def connect() -> None:
    """Keep the rows in step with every save (called once, by the app)."""
    for model in WATCHED:
        post_save.connect(_saved, sender=model, dispatch_uid=f"trained:{model.__name__}")
    post_delete.connect(_deleted, sender=Enrolment, dispatch_uid="trained:deleted")
