"""Reading an operation's timeline and adding up its results — for its pages, the
analytics dashboard, activity reports and the after-action report.

Everything here starts from ``visible_to(user, …)`` on the rows it counts (an action or
a result is seen exactly where its operation is), so a figure never carries anything of
an operation the reader may not see — not even that it exists. Funds seized are added up
per currency, never across currencies.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from vaka.operations.models import Action, Operation, Result
from vaka.policy.visibility import visible_to
from vaka.web.charts import Chart, Series

CENTS = Decimal("0.01")
COUNTED = tuple(k for k in Result.Kind.values if k != Result.Kind.FUNDS_SEIZED)
# The charts of the analytics dashboard's operations panel, by their CSV name.
CHARTS = ("operation-results", "operation-results-by-country", "operation-funds")


@dataclass(frozen=True)
class Entry:
    """One action of a timeline, in the local time of where it happened."""

    action: Action
    local: datetime

    @property
    def offset(self) -> str:
        return utc_offset(self.local)


def utc_offset(moment: datetime) -> str:
    """``UTC+13:00``, ``UTC-10:00``, ``UTC+05:45``: the offset ``moment`` was at."""
    delta = moment.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def actions_for(user: Any, operation: Operation) -> QuerySet[Action]:
    """The operation's actions ``user`` may see, in the order they really happened."""
    return (visible_to(user, Action.objects.filter(operation=operation))
            .select_related("country", "organisation", "target", "recorded_by")
            .order_by("at", "pk"))


def timeline_for(user: Any, operation: Operation) -> list[Entry]:
    """The timeline: every action in UTC order, each in its own local time."""
    return [Entry(action, action.at.astimezone(ZoneInfo(action.time_zone)))
            for action in actions_for(user, operation)]


def results_for(user: Any, operation: Operation) -> QuerySet[Result]:
    return (visible_to(user, Result.objects.filter(operation=operation))
            .select_related("country", "organisation", "action", "recorded_by")
            .order_by("on", "kind", "pk"))


@dataclass
class Totals:
    """Counts per kind of result, and funds seized per currency."""

    counts: dict[str, int] = field(default_factory=dict)
    funds: dict[str, Decimal] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.counts.values()) and not self.funds

    def rows(self) -> list[tuple[str, int]]:
        """(label, count) of every counted kind, in the kinds' order."""
        labels = dict(Result.Kind.choices)
        return [(str(labels[kind]), self.counts.get(kind, 0)) for kind in COUNTED]

    def add(self, kind: str, currency: str, total: Decimal) -> None:
        if kind == Result.Kind.FUNDS_SEIZED:
            # Both databases give the same figure: SQLite sums decimals without their places.
            self.funds[currency] = (self.funds.get(currency, Decimal(0)) + total).quantize(
                CENTS)
            self.funds = dict(sorted(self.funds.items()))
        else:
            self.counts[kind] = self.counts.get(kind, 0) + int(total)

    def as_json(self) -> dict[str, Any]:
        return {"counts": {kind: self.counts.get(kind, 0) for kind in COUNTED},
                "funds": {code: str(amount) for code, amount in sorted(self.funds.items())}}


def _add_up(rows: QuerySet[Result]) -> Totals:
    totals = Totals()
    for kind, currency, total in (rows.order_by().values_list("kind", "currency")
                                  .annotate(total=Sum("quantity"))):
        totals.add(kind, currency, total)
    return totals


def totals_for(user: Any, operation: Operation) -> Totals:
    """The operation's results added up, as ``user`` may see them."""
    return _add_up(visible_to(user, Result.objects.filter(operation=operation)))


# --- roll-ups over every operation the viewer may see ---------------------------------------

@dataclass
class Rollup:
    """Results of every operation a user may see, with the dashboard's filters."""

    totals: Totals
    by_country: dict[str, Totals]  # country name -> totals
    operations: int  # operations with at least one result counted
    charts: dict[str, Chart]


def _last_day_of_month(moment: date) -> date:
    first_next = (moment.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)


def _filtered(user: Any, *, since: date | None = None, until: date | None = None,
              country: str | None = None, crime_type: str | None = None,
              tlp: str | None = None, whole_months: bool = True) -> QuerySet[Result]:
    rows = visible_to(user, Result.objects.all())
    if since:
        rows = rows.filter(on__gte=since.replace(day=1) if whole_months else since)
    if until:
        rows = rows.filter(on__lte=_last_day_of_month(until) if whole_months else until)
    if country:
        rows = rows.filter(country_id=country)
    if crime_type:
        # Codes are a JSON list; a quoted code matches one element exactly on SQLite and
        # PostgreSQL alike (as the products filter does).
        rows = rows.filter(operation__crime_types__icontains=f'"{crime_type}"')
    if tlp:
        rows = rows.filter(operation__tlp=tlp)
    return rows


def rollup_for(user: Any, *, since: date | None = None, until: date | None = None,
               country: str | None = None, crime_type: str | None = None,
               tlp: str | None = None, **_ignored: Any) -> Rollup:
    """Results of the operations ``user`` may see, from the month of ``since`` to the
    month of ``until`` (by the result's date), of ``country`` (where it was achieved), of
    operations of ``crime_type`` and marked ``tlp``; the analytics filter's other keys
    (an intelligence object's STIX type) do not apply to results."""
    rows = _filtered(user, since=since, until=until, country=country,
                     crime_type=crime_type, tlp=tlp)
    # One query: the sums per operation, country, kind and currency, added up here.
    totals, by_country, names, operations = Totals(), {}, {}, set()
    for operation_id, code, name, kind, currency, total in (
            rows.order_by().values_list("operation_id", "country_id", "country__name",
                                        "kind", "currency")
            .annotate(total=Sum("quantity"))):
        operations.add(operation_id)
        names[code] = name
        for found in (totals, by_country.setdefault(code, Totals())):
            found.add(kind, currency, total)
    ordered = {names[code]: by_country[code] for code in sorted(names, key=names.get)}
    return Rollup(totals, ordered, len(operations), _charts(totals, ordered))


def _charts(totals: Totals, by_country: dict[str, Totals]) -> dict[str, Chart]:
    labels = dict(Result.Kind.choices)
    count_labels = tuple(str(labels[kind]) for kind in COUNTED)
    return {
        "operation-results": Chart(
            title=_("Operation results"), labels=count_labels, kind="hbar",
            series=(Series(_("Total"), tuple(float(totals.counts.get(k, 0))
                                              for k in COUNTED)),)),
        "operation-results-by-country": Chart(
            title=_("Operation results by country"), labels=tuple(by_country), kind="hbar",
            series=tuple(Series(str(labels[k]), tuple(float(t.counts.get(k, 0))
                                                      for t in by_country.values()))
                         for k in COUNTED)),
        "operation-funds": Chart(
            title=_("Funds seized, by currency (never added across currencies)"),
            labels=tuple(totals.funds), kind="hbar",
            series=(Series(_("Amount"), tuple(float(v) for v in totals.funds.values())),)),
    }


def report_figures(user: Any, start: date, end: date) -> dict[str, Any]:
    """An activity report's operations figures (``products.reports.register``): the
    results dated ``start``–``end`` of the operations its writer may see."""
    rows = _filtered(user, since=start, until=end, whole_months=False)
    totals = _add_up(rows)
    return {"operation_results": {
        **totals.as_json(),
        "operations": rows.order_by().values("operation_id").distinct().count(),
        "rows": [[label, n] for label, n in totals.rows()],
    }}

