"""People counted once a figure, for the training statistics
(:mod:`vaka.training.statistics`): by gender, country and organisation, and how many
have a row in each programme, topic and year — two ways over the same statistics rows,
which a test holds to the same counts.

* :func:`by_firsts`, where the viewer sees every row of each person they see: from the
  rows that are their person's first (``TrainedEnrolment.firsts``), with no grouping by
  person.
* :func:`by_person` otherwise: each person's courses and years as bits, grouped by person
  first.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from vaka.directory.models import Programme
from vaka.training import trained
from vaka.training.models import Course, Session, TrainedEnrolment
from vaka.training.trained import courses_by_topic

# Bits of one integer the people's sets of courses and years are kept in (``BIT_OR``).
BITS = 62


class BitOr(Aggregate):
    """The bitwise OR of a group's bits, each value one bit or 0: PostgreSQL's
    ``BIT_OR``; on SQLite, which has none, the sum of the distinct values (the same
    number when each is a single bit)."""

    function = "BIT_OR"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="SUM",
                           template="%(function)s(DISTINCT %(expressions)s)", **extra)


@dataclass(frozen=True)
class Groups:
    """What the people are counted by: the programmes (code, name), the courses of each
    programme and topic the viewer sees (``programme:<code>``, ``topic:<value>``) and the
    years."""

    programmes: list[tuple[str, str]]
    courses: dict[str, list[int]]
    topics: dict[str, list[int]]
    years: list[int]

    @classmethod
    def of(cls, courses: list[int]) -> "Groups":
        """The groups over ``courses`` (those the viewer sees)."""
        programmes = list(Programme.objects.order_by("name").values_list("code", "name"))
        seen = Course.objects.filter(pk__in=courses)
        topics = courses_by_topic(seen)
        by_programme: dict[str, list[int]] = {f"programme:{code}": [] for code, _name in
                                              [*programmes, (None, "")]}
        for pk, programme in seen.values_list("pk", "programme_id"):
            by_programme[f"programme:{programme}"].append(pk)
        span = Session.objects.aggregate(first=Min("starts"), last=Max("starts"))
        return cls(programmes, by_programme | {
            f"topic:{topic}": ids for topic, ids in topics.items()}, topics,
            list(range(span["first"].year, span["last"].year + 1)))


class Counted(NamedTuple):
    """The people by (gender, country, organisation); for each programme, topic and year
    (``Groups``, by name) how many people have a row in it; and, where the same statement
    found them, the sessions of the rows (those held)."""

    by_person: list[tuple[str, str, int, int]]
    counts: Counter[str]
    sessions: list[int] | None = None


PERSON = ("gender", "country_id", "organisation_id")


def by_firsts(rows: QuerySet[TrainedEnrolment], courses: list[int],
              groups: Groups) -> Counted:
    """Counted from the first rows (``TrainedEnrolment.firsts``), with no grouping by
    person: the people are the first rows of all by gender, country and organisation;
    those with a row in a year, a programme or a topic are the first rows in it, counted
    by year, programme and firsts (a few hundred groups). Rows are only counted.

    On PostgreSQL one statement reads the rows once for both, and for the sessions held
    (``GROUPING SETS``); SQLite, which has none, reads each in the order of an index."""
    topics = {topic: trained.topic_bit(topic) for topic in groups.topics}
    counts: Counter[str] = Counter()

    def count_firsts(year: int, programme: str | None, firsts: int, n: int) -> None:
        if firsts & trained.FIRST_IN_YEAR:
            counts[f"year:{year}"] += n
        if firsts & trained.FIRST_IN_PROGRAMME:
            counts[f"programme:{programme}"] += n
        for topic, bit in topics.items():
            if firsts & bit:
                counts[f"topic:{topic}"] += n

    if connection.vendor == "postgresql":
        return _firsts_and_sessions(rows, count_firsts, counts)
    people = rows.alias(first=F("firsts").bitand(trained.FIRST)).filter(first__gt=0) \
        .values(*PERSON).annotate(n=Count("*")).values_list(*PERSON, "n")
    for year, programme, firsts, n in rows.filter(firsts__gt=trained.FIRST).values(
            "year", "programme_id", "firsts").annotate(n=Count("*")).values_list(
            "year", "programme_id", "firsts", "n"):
        count_firsts(year, programme, firsts, n)
    return Counted(list(people), counts)


def _firsts_and_sessions(rows: QuerySet[TrainedEnrolment],
                         count_firsts: Callable[[int, str | None, int, int], None],
                         counts: Counter[str]) -> Counted:
    """``by_firsts`` and the sessions held, from one PostgreSQL statement grouping the
    rows three ways (``GROUPING SETS``); a row of one set has NULL in the others' columns,
    none of which is ever NULL in a row."""
    query = rows.query
    assert not any(query.alias_refcount[alias] for alias in list(query.alias_map)[1:]), \
        "the rows' filters read their own table only"
    where, params = query.get_compiler(connection=connection).compile(query.where)
    gender, country, org, year, programme, firsts, session = (
        connection.ops.quote_name(name) for name in (
            *PERSON, "year", "programme_id", "firsts", "session_id"))
    first = f"{firsts} & {trained.FIRST}"
    table = connection.ops.quote_name(TrainedEnrolment._meta.db_table)
    by_person, sessions = [], []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {gender}, {country}, {org}, {first}, {year}, {programme}, "  # noqa: S608
            f"{firsts}, {session}, COUNT(*) FROM {table} WHERE {where} GROUP BY GROUPING "
            f"SETS (({gender}, {country}, {org}, {first}), ({year}, {programme}, {firsts}), "
            f"({session}))", params)
        for gender_code, country_code, org_id, is_first, year_, programme_, firsts_, \
                session_id, n in cursor.fetchall():
            if gender_code is not None:
                if is_first:
                    by_person.append((gender_code, country_code, org_id, n))
            elif year_ is not None:
                count_firsts(year_, programme_, firsts_, n)
            else:
                sessions.append(session_id)
    return Counted(by_person, counts, sessions)


def by_person(rows: QuerySet[TrainedEnrolment], courses: list[int],
              groups: Groups) -> Counted:
    """Counted per person: the set of their courses and of their years as bits
    (``BIT_OR``, ``GROUP BY`` person inside), then per (gender, country, organisation)
    outside those whose set meets each programme, topic and year."""
    course_places, inner = _bit_sets("course", "course_id", courses)
    year_places, year_sets = _bit_sets("year", "year", groups.years)
    sql, params = rows.values("participant_id", *PERSON).annotate(
        **inner, **year_sets).query.sql_with_params()

    def meets(places: dict[int, tuple[str, int]], values: list[int]) -> str:
        masks: dict[str, int] = {}
        for value in values:
            if (place := places.get(value)) is not None:
                masks[place[0]] = masks.get(place[0], 0) | place[1]
        return " OR ".join(f"(y.{name} & {mask}) <> 0" for name, mask in
                           sorted(masks.items())) or "1 = 0"

    conditions = {name: meets(course_places, ids) for name, ids in groups.courses.items()}
    conditions |= {f"year:{year}": meets(year_places, [year]) for year in groups.years}
    sums = "".join(f", SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
                   for condition in conditions.values())
    group = ", ".join(f"y.{connection.ops.quote_name(name)}" for name in PERSON)
    by_person, people = [], Counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {group}, COUNT(*){sums} FROM ({sql}) y "  # noqa: S608
                       f"GROUP BY {group}", params)
        for gender, country, org, n, *counts in cursor.fetchall():
            by_person.append((gender, country, org, n))
            people.update({name: int(value or 0) for name, value in zip(
                conditions, counts, strict=True)})
    return Counted(by_person, people)


def _bit_sets(name: str, column: str, values: list[int]) -> tuple[
        dict[int, tuple[str, int]], dict[str, Any]]:
    """A person's set of ``values`` of ``column`` kept as bits: where each value is, as
    (the integer's name, its bit), and for each integer (``BITS`` values from the
    smallest) the ``BIT_OR`` making it. A row outside an integer's range gives it 0."""
    low = min(values)
    places = {value: (f"{name}{(value - low) // BITS}", 1 << ((value - low) % BITS))
              for value in values}
    integers = (max(values) - low) // BITS + 1
    aggregates = {}
    for k in range(integers):
        start = low + k * BITS
        bit = Cast(Value(1), BigIntegerField()).bitleftshift(
            Cast(F(column) - start, IntegerField()))  # PostgreSQL shifts a bigint by an int
        aggregates[f"{name}{k}"] = BitOr(bit if integers == 1 else Case(
            When(**{f"{column}__gte": start, f"{column}__lt": start + BITS}, then=bit),
            default=Value(0), output_field=BigIntegerField()))
    return places, aggregates
