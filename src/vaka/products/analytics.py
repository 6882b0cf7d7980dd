"""The analytics dashboard's figures, as one viewer may see them.

``figures_for(user, since=…, until=…, country=…, crime_type=…, tlp=…, type=…)`` sums the
figures computed ahead (``products.figures``) over the marking classes the policy lets the
user see (``visible_to`` on :class:`~vaka.intel.models.FigureClass`: every object of a class
has the same audience), so each figure counts exactly the objects the user may see, as of
the last refresh. The activity report calls it for a period to pre-fill its counts by
country, crime type and TLP (``Figures.by_country_code``, ``by_crime_type_code``,
``by_tlp_code``); keep its signature.

Most-correlated values and cross-border links come from the observable index the same way:
only holders the user may see are counted (never "another agency holds it" — that is the
look-up's hit/no-hit, asked value by value), a value is correlated when at least two
objects the user may see carry it, and a value is named only after it is found on a
current object the user may see now (a record re-marked since the refresh is not named).
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import caches
from django.db import connections
from django.db.models import DateField, F, Func, QuerySet
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _

from vaka.directory.models import Country
from vaka.intel import crime_types
from vaka.intel.filtersets import TYPE_LABELS
from vaka.intel.models import FigureClass, ObjectFigure, Observable, StixObject, ValueFigure
from vaka.policy.markings import TLP
from vaka.policy.visibility import visible_to
from vaka.products import figures
from vaka.web.charts import TLP_COLOURS, Chart, Series

TOP = 15  # bars in the threat-actor, technique, correlated-value and cross-border charts
NO_COUNTRY = ""
NAME_SLICE = 500  # holders of a value checked at a time before naming it
CACHE_SECONDS = 24 * 3600  # keyed by the refresh's time: a newer refresh is a new key


@dataclass(frozen=True)
class CorrelatedValue:
    kind: str
    value: str
    agencies: int
    countries: int
    objects: int


@dataclass
class Figures:
    """The dashboard's charts (``charts``, by name) and the plain counts behind them."""

    as_of: datetime | None
    total: int
    by_country_code: dict[str, int]  # ISO code ("" for owners without a country) → objects
    by_crime_type_code: dict[str, int]  # crime-type code → objects (an object may have two)
    by_tlp_code: dict[str, int]  # TLP value → objects
    correlated: list[CorrelatedValue]
    charts: dict[str, Chart] = field(default_factory=dict)


def _month(moment: date | datetime | None) -> date | None:
    if moment is None:
        return None
    moment = moment.date() if isinstance(moment, datetime) else moment
    return moment.replace(day=1)


def visible_classes(user: Any) -> QuerySet[FigureClass]:
    """The marking classes whose objects ``user`` may see."""
    return visible_to(user, FigureClass.objects.all())


class Unindexed(Func):
    """A column SQLite must not look up in an index (``+column``); itself elsewhere."""

    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"+{sql}", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return compiler.compile(self.get_source_expressions()[0])


@dataclass(frozen=True)
class _Where:
    since: date | None
    until: date | None
    country: str | None
    crime_type: str | None
    tlp: str | None
    type: str | None

    def classes(self, user: Any) -> QuerySet[FigureClass]:
        """The visible classes the owner's country and TLP filters keep."""
        classes = visible_classes(user)
        if self.country:
            classes = classes.filter(owner__country_id=self.country)
        if self.tlp:
            classes = classes.filter(tlp=self.tlp)
        return classes

    def rows(self, model: type, classes: Iterable[int]) -> QuerySet:
        """The figure rows of those classes (ids), by crime type (every object when none),
        in the period and of the type asked for.

        The period is not looked up in the index (``Unindexed``): SQLite 3.40 answered
        ``figure_class_id IN (…) AND month <= …`` over the covering index with rows
        outside the period (tests/products/test_analytics.py, the filters)."""
        rows = model.objects.filter(crime_type=self.crime_type or "",
                                    figure_class_id__in=sorted(classes))
        month = Unindexed(F("month"))
        if self.since is not None:
            rows = rows.filter(GreaterThanOrEqual(month, self.since))
        if self.until is not None:
            rows = rows.filter(LessThanOrEqual(month, self.until))
        if self.type:
            rows = rows.filter(type=self.type)
        return rows.order_by()


def _marks(classes: QuerySet[FigureClass]) -> dict[int, tuple[int, str, str]]:
    """Each class's owner, country and TLP, read once: the figure rows then need no join."""
    return {pk: (owner, country or NO_COUNTRY, tlp) for pk, owner, country, tlp
            in classes.values_list("pk", "owner_id", "owner__country_id", "tlp")}


def _months(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return months


def figures_for(user: Any, *, since: date | datetime | None = None,
                until: date | datetime | None = None, country: str | None = None,
                crime_type: str | None = None, tlp: str | None = None,
                type: str | None = None) -> Figures:
    """What ``user`` may see of the figures, filtered: objects added from the month of
    ``since`` to the month of ``until`` (whole months, both included; None: no bound), of
    owners in ``country`` (ISO code), of ``crime_type`` (a code), marked ``tlp`` (a TLP
    value), of STIX ``type``. Values are not checked here: the form does that."""
    where = _Where(_month(since), _month(until), country, crime_type, tlp, type)
    marks = _marks(where.classes(user))
    months: dict[tuple[date, str], int] = Counter()
    by_country: dict[str, int] = Counter()
    by_tlp: dict[str, int] = Counter()
    by_type: dict[str, int] = Counter()
    for cls, month, type_, n in (where.rows(ObjectFigure, marks)
                                 .filter(dimension=figures.ALL)
                                 .values_list("figure_class_id", "month", "type", "count")):
        _owner, country_code, tlp_code = marks[cls]
        months[_month(month), tlp_code] += n
        by_country[country_code] += n
        by_tlp[tlp_code] += n
        by_type[type_] += n
    by_key: dict[str, Counter] = defaultdict(Counter)
    for dimension, key, n in (where.rows(ObjectFigure, marks)
                              .filter(dimension__in=(figures.CRIME_TYPE, figures.THREAT_ACTOR,
                                                     figures.TECHNIQUE))
                              .values_list("dimension", "key", "count")):
        by_key[dimension][key] += n
    as_of = figures.as_of()
    correlated, links = _correlations(user, where, marks, as_of)
    result = Figures(
        as_of=as_of, total=sum(by_tlp.values()), by_country_code=dict(by_country),
        by_crime_type_code=dict(by_key[figures.CRIME_TYPE]), by_tlp_code=dict(by_tlp),
        correlated=correlated)
    result.charts = _charts(result, months, by_type, by_key, links)
    return result


def _correlations(user: Any, where: _Where, marks: dict[int, tuple[int, str, str]],
                  as_of: datetime | None) -> tuple[list[CorrelatedValue], Counter]:
    """The most-correlated values (named only once found on an object the user may see)
    and, per pair of countries, how many values agencies of both hold — all counted over
    the holders the user may see.

    The counts depend only on the classes the user may see and the filters, so they are
    kept in the cache for everyone with the same classes until the next refresh
    (``warm`` computes them for recent users right after it): summing a 1,000,000-object
    store's shared values took most of a page's time. Values are named afresh each time."""
    key = "vaka:analytics:" + hashlib.sha256(repr((
        as_of, where, sorted(marks))).encode()).hexdigest()
    summary = caches["default"].get(key)
    if summary is None:
        summary = _shared_values(where, marks)
        caches["default"].set(key, summary, CACHE_SECONDS)
    ranked, links = summary
    correlated = []
    for value, owners, countries, objects in ranked:
        found = _named(user, value)
        if found is not None:
            correlated.append(CorrelatedValue(found[0], found[1], owners, countries, objects))
            if len(correlated) == TOP:
                break
    return correlated, links


def _named(user: Any, value: int) -> tuple[str, str] | None:
    """(kind, value) of the value with this hash, if a current object the user may see
    carries it now. The holders are read from the value's index first, a slice at a time,
    then checked by id: asked as one join, PostgreSQL walked the objects instead."""
    holders = Observable.objects.filter(value_hash=value, warninglists="").order_by("pk")
    current = visible_to(user, StixObject.objects.filter(revoked=False))
    start = 0
    while True:
        chunk = list(holders.values_list("object_id", "kind", "value")[start:start + NAME_SLICE])
        seen = set(current.filter(pk__in=[row[0] for row in chunk]).values_list("pk", flat=True))
        for object_id, kind, text in chunk:
            if object_id in seen:
                return kind, text
        if len(chunk) < NAME_SLICE:
            return None
        start += NAME_SLICE


def _shared_values(where: _Where, marks: dict[int, tuple[int, str, str]]
                   ) -> tuple[list[tuple[int, int, int, int]], Counter]:
    """The values ranked by agencies then objects (value hash, agencies, countries,
    objects; a few more than shown, should some be re-marked since the refresh), and the
    links between countries."""
    # A value's objects and the classes holding it; read with a plain cursor, as the rows
    # are many (one per class, month and type a shared value is seen in).
    held: dict[int, list] = {}
    if not marks:
        return [], Counter()
    query = where.rows(ValueFigure, marks).values_list("value_hash", "figure_class_id",
                                                         "count").query
    sql, params = query.sql_with_params()
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        for value, cls, n in cursor.fetchall():
            entry = held.get(value)
            if entry is None:
                held[value] = [n, {cls}]
            else:
                entry[0] += n
                entry[1].add(cls)
    owner_of = {cls: mark[0] for cls, mark in marks.items()}
    country_of = {cls: mark[1] for cls, mark in marks.items()}
    held_in: Counter = Counter()  # each set of countries: how many values it holds
    counts: list[tuple[int, int, int, int]] = []
    for value, (n, held_by) in held.items():
        if n < 2:
            continue  # not correlated among what the user may see
        countries = tuple(sorted({country_of[cls] for cls in held_by} - {NO_COUNTRY}))
        held_in[countries] += 1
        counts.append((value, len({owner_of[cls] for cls in held_by}), len(countries), n))
    links: Counter = Counter()
    for countries, values in held_in.items():
        for i, first in enumerate(countries):
            for second in countries[i + 1:]:
                links[first, second] += values
    counts.sort(key=lambda c: (-c[1], -c[3], c[0]))
    return counts[:3 * TOP], links


def warm(users: Any) -> int:
    """Compute the unfiltered figures of ``users`` into the cache (the scheduler does it
    for recent users after a refresh), so their first visit is as quick as the next.
    How many distinct sets of classes were computed."""
    done: set[tuple[int, ...]] = set()
    where = _Where(None, None, None, None, None, None)
    for user in users:
        marks = _marks(where.classes(user))
        if tuple(sorted(marks)) not in done:
            done.add(tuple(sorted(marks)))
            _correlations(user, where, marks, figures.as_of())
    return len(done)


def _names(codes: list[str]) -> dict[str, str]:
    named = dict(Country.objects.filter(code__in=codes).values_list("code", "name"))
    return {code: named.get(code, code) if code else _("No country") for code in codes}


def _bars(title: str, counts: dict[str, int], label: Any, *, kind: str = "hbar",
          top: int | None = None, series: str = "") -> Chart:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(label(item[0]))))
    if top is not None:
        ordered = ordered[:top]
    return Chart(title, tuple(str(label(key)) for key, _n in ordered),
                 (Series(series or _("Objects"), tuple(n for _key, n in ordered)),),
                 kind=kind, unit=_("objects"))


def _charts(result: Figures, months: dict[tuple[date, str], int], by_type: dict[str, int],
            by_key: dict[str, Counter], links: Counter) -> dict[str, Chart]:
    # From the first month with objects to the last: a period reaching far back draws no
    # decades of empty bars.
    seen = [month for month, _tlp in months]
    axis = _months(min(seen), max(seen)) if seen else []
    tlps = [value for value in TLP.values if value in result.by_tlp_code]
    names = _names(list(result.by_country_code) + [c for pair in links for c in pair])
    tlp_labels = dict(TLP.choices)
    return {
        "months": Chart(_("Objects added per month, by TLP"),
                        tuple(f"{m:%Y-%m}" for m in axis),
                        tuple(Series(str(tlp_labels[t]), tuple(months.get((m, t), 0)
                                                                for m in axis))
                              for t in tlps),
                        kind="stacked", unit=_("objects"),
                        colours=tuple(TLP_COLOURS[t] for t in tlps)),
        "countries": _bars(_("By owner's country"), result.by_country_code, names.get),
        "crime-types": _bars(_("By crime type"), result.by_crime_type_code,
                             crime_types.label_of),
        "threat-actors": _bars(_("By threat actor"), by_key[figures.THREAT_ACTOR], str,
                               top=TOP),
        "techniques": _bars(_("By ATT&CK technique"), by_key[figures.TECHNIQUE], str,
                            top=TOP),
        "tlp": Chart(_("By TLP"), tuple(str(tlp_labels[t]) for t in tlps),
                     (Series(_("Objects"), tuple(result.by_tlp_code[t] for t in tlps)),),
                     kind="bar", unit=_("objects")),
        "types": _bars(_("By object type"), by_type,
                       lambda t: str(TYPE_LABELS.get(t, t))),
        "correlated": Chart(
            _("Most-correlated values"),
            tuple(f"{c.kind}: {c.value}" for c in result.correlated),
            (Series(_("Agencies"), tuple(c.agencies for c in result.correlated)),
             Series(_("Countries"), tuple(c.countries for c in result.correlated)),
             Series(_("Objects"), tuple(c.objects for c in result.correlated))),
            kind="hbar"),
        "cross-border": _bars(_("Values held in two countries"),
                              {pair: n for pair, n in links.items()},
                              lambda pair: " – ".join(sorted(names[c] for c in pair)),
                              top=TOP, series=_("Shared values")),
    }


CHARTS = ("months", "countries", "crime-types", "threat-actors", "techniques", "tlp",
          "types", "correlated", "cross-border")
