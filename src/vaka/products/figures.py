"""The analytics figures, computed ahead: counts of the current intelligence objects per
marking class (:class:`~vaka.intel.models.FigureClass`: one owner, one set of markings, so
one audience), month, object type and crime type, by crime type, threat actor and ATT&CK
technique; and, for values more than one object carries, how many objects of each class
carry each. The dashboard (``products.analytics``) sums the rows of the classes the viewer
may see, so a page reads some thousands of rows instead of 1,000,000 objects.

``refresh`` rebuilds them whole: the database groups the objects (one ``GROUP BY`` over the
objects, one over the observable index), Python reads each distinct label set once to find
its crime types, actors and techniques, and the rows are replaced in one short transaction,
so a reader sees the old figures or the new, never a mix. ``refresh_if_due`` is called by
the scheduler's round (``vaka serve``'s scheduler, or Celery beat) and refreshes when the
figures are older than ``VAKA_ANALYTICS_REFRESH_MINUTES``.

Counted: objects not revoked, by their current markings (those the lists show), in the
month they were added to this instance (``created``). A threat actor is named by a MISP
galaxy tag (``misp-galaxy:threat-actor="APT1"``) or by being a ``threat-actor`` or
``intrusion-set`` object of that name; a technique by its galaxy tag
(``misp-galaxy:mitre-attack-pattern="Phishing - T1566"``) or by being an ``attack-pattern``
object, whose name is matched to the galaxy's ("Phishing" counts as "Phishing - T1566").
Each object counts once per key, whichever way it names it.
"""

import functools
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, DateField, F, Func, Value, When
from django.utils import timezone

from vaka.intel import bulk, crime_types, galaxies
from vaka.intel.ingest_turn import ingest_turn
from vaka.intel.models import (
    FigureClass,
    FigureRefresh,
    ObjectFigure,
    Observable,
    StixObject,
    ValueFigure,
)

ALL, CRIME_TYPE, THREAT_ACTOR, TECHNIQUE = "all", "crime_type", "threat_actor", "technique"
ACTOR_TYPES = ("threat-actor", "intrusion-set")
TECHNIQUE_TYPES = ("attack-pattern",)
_ACTOR_TAG = 'misp-galaxy:threat-actor="'
_TECHNIQUE_TAG = 'misp-galaxy:mitre-attack-pattern="'
KEY_LENGTH = ObjectFigure._meta.get_field("key").max_length
BATCH = 5000
WARM_DAYS = 30
QUICK_SECONDS = 2.0  # a refresh this quick runs again at the next round after a change
FIGURE_COLUMNS = ("figure_class_id", "month", "type", "crime_type", "dimension", "key", "count")
VALUE_COLUMNS = ("figure_class_id", "month", "type", "crime_type", "value_hash", "count")

ClassKey = tuple[int, str, str, int | None]  # owner, distribution, TLP, audience


@functools.cache
def _technique_names() -> dict[str, str]:
    """An ATT&CK technique's name, lower-cased, to the galaxy's "Name - T1234"."""
    names: dict[str, str] = {}
    for value in galaxies.cluster_values("mitre-attack-pattern"):
        name, dash, _id = value.rpartition(" - ")
        if dash:
            names.setdefault(name.lower(), value)
    return names


def _tagged(labels: Iterable[str], prefix: str) -> set[str]:
    return {label[len(prefix):-1][:KEY_LENGTH] for label in labels
            if label.startswith(prefix) and label.endswith('"') and len(label) > len(prefix) + 1}


@functools.lru_cache(maxsize=100_000)
def keys_of(label_text: str, type_: str, name: str) -> tuple[tuple[str, ...], ...]:
    """(crime types, threat actors, techniques) an object names, each sorted."""
    labels = [label for label in label_text.split("|") if label]
    actors = _tagged(labels, _ACTOR_TAG)
    techniques = _tagged(labels, _TECHNIQUE_TAG)
    name = name.strip()[:KEY_LENGTH]
    if name and type_ in ACTOR_TYPES:
        actors.add(name)
    if name and type_ in TECHNIQUE_TYPES:
        techniques.add(_technique_names().get(name.lower(), name))
    return tuple(crime_types.codes_in(labels)), tuple(sorted(actors)), tuple(sorted(techniques))


class Month(Func):
    """The first day of the month of a stored time, in UTC. On SQLite the text's first
    seven characters (Django stores UTC as "YYYY-MM-DD HH:MM:SS"): its ``TruncMonth`` is a
    Python function called once a row, a third of a refresh's time at 1,000,000 objects."""

    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"substr({sql}, 1, 7) || '-01'", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"date_trunc('month', {sql} AT TIME ZONE 'UTC')::date", params


def _month(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _object_groups() -> Iterator[tuple]:
    """(class, month, type, label_text, name of an actor or technique object, objects)."""
    named = Case(When(type__in=(*ACTOR_TYPES, *TECHNIQUE_TYPES), then=F("name")),
                 default=Value(""))
    rows = (StixObject.objects.filter(revoked=False).order_by()
            .annotate(m=Month("created"), subject=named)
            .values("owner_id", "distribution", "tlp", "audience_id", "m", "type",
                    "label_text", "subject")
            .annotate(n=Count("pk"))
            .values_list("owner_id", "distribution", "tlp", "audience_id", "m", "type",
                         "label_text", "subject", "n"))
    for owner, distribution, tlp, audience, month, type_, labels, subject, n in \
            rows.iterator(chunk_size=BATCH):
        yield (owner, distribution, tlp, audience), _month(month), type_, labels, subject, n


def _value_groups() -> Iterator[tuple]:
    """(class, month, type, label_text, value hash, objects) for every value the index
    holds more than once, outside the warninglists, on current objects."""
    # Values in the index more than once, counted from the index on the hash alone (with
    # the warninglist and revoked filters it read every row: 18 s at 1,000,000); a value
    # left with one object by those filters is stored with a count of one, never shown.
    shared = (Observable.objects.order_by().values("value_hash").annotate(rows=Count("*"))
              .filter(rows__gt=1).values("value_hash"))
    rows = (Observable.objects.filter(warninglists="", object__revoked=False,
                                      value_hash__in=shared).order_by()
            .annotate(m=Month("object__created"))
            .values("object__owner_id", "object__distribution", "object__tlp",
                    "object__audience_id", "m", "object__type", "object__label_text",
                    "value_hash")
            .annotate(n=Count("object_id", distinct=True))
            .values_list("object__owner_id", "object__distribution", "object__tlp",
                         "object__audience_id", "m", "object__type", "object__label_text",
                         "value_hash", "n"))
    for owner, distribution, tlp, audience, month, type_, labels, value, n in \
            rows.iterator(chunk_size=BATCH):
        yield (owner, distribution, tlp, audience), _month(month), type_, labels, value, n


def count() -> tuple[Counter, Counter, int]:
    """The figures as counters keyed like their rows (the class as its markings), and the
    number of objects counted. Reads only."""
    figures: Counter = Counter()
    counted = 0
    for cls, month, type_, labels, subject, n in _object_groups():
        crimes, actors, techniques = keys_of(labels, type_, subject)
        counted += n
        keyed = [(ALL, ""), *((CRIME_TYPE, c) for c in crimes),
                 *((THREAT_ACTOR, a) for a in actors), *((TECHNIQUE, t) for t in techniques)]
        for crime in ("", *crimes):
            for dimension, key in keyed:
                figures[cls, month, type_, crime, dimension, key] += n
    values: Counter = Counter()
    for cls, month, type_, labels, value, n in _value_groups():
        crimes = keys_of(labels, type_, "")[0]
        for crime in ("", *crimes):
            values[cls, month, type_, crime, value] += n
    return figures, values, counted


def _batches(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _state() -> FigureRefresh:
    FigureRefresh.objects.get_or_create(pk=1)
    return FigureRefresh.objects.select_for_update().get(pk=1)


def refresh() -> FigureRefresh:
    """Recompute every figure and replace the old ones in one transaction (two refreshes
    at once take turns on the state row, so neither adds to the other's rows). Counting
    reads outside the transaction; the write turn (SQLite's single writer) is held only
    while the rows are replaced."""
    started = time.monotonic()
    figures, values, counted = count()
    classes = sorted({key[0] for key in figures} | {key[0] for key in values},
                     key=lambda c: (c[0], c[1], c[2], c[3] or 0))
    with ingest_turn(), transaction.atomic():
        state = _state()
        with connection.cursor() as cursor:
            for model in (ValueFigure, ObjectFigure, FigureClass):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 - our own
        made = FigureClass.objects.bulk_create(
            [FigureClass(owner_id=o, distribution=d, tlp=t, audience_id=a)
             for o, d, t, a in classes], batch_size=BATCH)
        ids = {cls: row.pk for cls, row in zip(classes, made, strict=True)}
        day = connection.ops.adapt_datefield_value
        # Rows as the database stores them, not through the ORM's bulk_create: it prepares
        # each field of each row in Python, which took most of a large refresh.
        for batch in _batches((ids[cls], day(month), type_, crime, dimension, key, n)
                              for (cls, month, type_, crime, dimension, key), n
                              in figures.items()):
            bulk._insert(ObjectFigure._meta.db_table, FIGURE_COLUMNS, batch)
        for batch in _batches((ids[cls], day(month), type_, crime, value, n)
                              for (cls, month, type_, crime, value), n in values.items()):
            bulk._insert(ValueFigure._meta.db_table, VALUE_COLUMNS, batch)
        with connection.cursor() as cursor:
            # Statistics of the new rows, so the planner reads them through their
            # covering indexes (PostgreSQL otherwise plans against the old tables' counts).
            for model in (FigureClass, ObjectFigure, ValueFigure):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        state.finished = timezone.now()
        state.seconds = round(time.monotonic() - started, 3)
        state.counted = counted
        state.save()
    return state


def as_of() -> datetime | None:
    """When the figures were last computed, or None if they never were."""
    return FigureRefresh.objects.filter(pk=1).values_list("finished", flat=True).first()


def refresh_if_due(now: datetime | None = None) -> FigureRefresh | None:
    """Refresh when the figures are older than ``VAKA_ANALYTICS_REFRESH_MINUTES`` (0: never
    from the scheduler), or sooner, at the next round, when objects were added or changed
    since and the last refresh took under ``QUICK_SECONDS`` (a small store: its figures
    follow its ingests within a minute); the refresh made, or None."""
    minutes = settings.ANALYTICS_REFRESH_MINUTES
    if not minutes:
        return None
    last = FigureRefresh.objects.filter(pk=1, finished__isnull=False).values_list(
        "finished", "seconds").first()
    now = now or timezone.now()
    if last is not None and now - last[0] < timedelta(minutes=minutes) and not (
            last[1] < QUICK_SECONDS
            and StixObject.objects.filter(modified__gt=last[0]).exists()):
        return None
    state = refresh()
    warm_recent(now)
    return state


def warm_recent(now: datetime | None = None) -> int:
    """The dashboard's shared-value counts of everyone signed in within ``WARM_DAYS``,
    computed into the cache (``analytics.warm``); how many distinct audiences."""
    from vaka.directory.models import User
    from vaka.products import analytics

    since = (now or timezone.now()) - timedelta(days=WARM_DAYS)
    return analytics.warm(User.objects.filter(
        is_active=True, organisation__isnull=False, last_login__gte=since)
        .select_related("organisation").iterator())
