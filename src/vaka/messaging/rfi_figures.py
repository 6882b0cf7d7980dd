"""How organisations answer requests for information, as one viewer may see it.

``figures_for(user, since=…, until=…)`` counts, per organisation, the RFIs it received
and the RFIs it sent: answered in time (by the deadline), answered late, still open (no
answer yet and not closed; ``overdue`` among them once the deadline has passed), closed
without an answer, and the median answer time in hours (from sending to the answer).

Only RFIs the viewer may see are counted: the rows are read through ``visible_to`` on
:class:`~vaka.messaging.models.MessageRecipient` (a part of its message, seen exactly where
the message is), so an RFI outside the viewer's compartment or markings gives no figure
at all, not even a count. As with read receipts (``selectors.receipts_for``), the sender's
organisation counts every recipient's answer and a recipient counts its own: one
recipient does not learn how another answered.

The median is computed here, in Python, over the answer times read once: the same on
SQLite and PostgreSQL (``percentile_cont`` is PostgreSQL's alone), and an instance holds
thousands of RFIs, not millions.
"""

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.csvcells import formula_safe
from vaka.directory.models import Organisation
from vaka.messaging.models import MessageRecipient, RequestForInformation
from vaka.policy.visibility import visible_to
from vaka.web.charts import Chart, Series

RECEIVED, SENT = "received", "sent"
SIDES = (RECEIVED, SENT)
# Stacked bars, in this order: what happened to each answer asked for.
OUTCOMES = ("in_time", "late", "open", "closed_unanswered")


@dataclass
class Side:
    """One organisation's RFIs on one side. ``rfis`` counts RFIs; the outcomes count the
    answers asked for (an RFI sent to three organisations asks for three; one received
    asks for one, so there they are the same)."""

    rfis: int = 0
    in_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0  # among ``open``: the deadline has passed
    closed_unanswered: int = 0
    hours: list[float] = field(default_factory=list, repr=False)

    @property
    def answered(self) -> int:
        return self.in_time + self.late

    @property
    def median_hours(self) -> float | None:
        """The median time from sending to the answer, in hours (one decimal); None with
        no answer."""
        return round(statistics.median(self.hours), 1) if self.hours else None


@dataclass
class OrganisationFigures:
    organisation_id: int
    name: str
    received: Side = field(default_factory=Side)
    sent: Side = field(default_factory=Side)


@dataclass
class RfiFigures:
    """Per organisation (by name), only what the viewer may see."""

    organisations: list[OrganisationFigures]

    def side(self, name: str) -> list[tuple[str, Side]]:
        """(organisation name, its figures) on ``name``'s side, those with any RFI there."""
        return [(o.name, getattr(o, name)) for o in self.organisations
                if getattr(o, name).rfis]


def _period(since: date | None, until: date | None) -> dict[str, datetime]:
    """Whole months, both included, as bounds on when the RFI was sent."""
    bounds = {}
    if since is not None:
        bounds["message__sent_at__gte"] = timezone.make_aware(
            datetime(since.year, since.month, 1), timezone.get_default_timezone())
    if until is not None:
        following = (until.replace(day=1) + timedelta(days=32)).replace(day=1)
        bounds["message__sent_at__lt"] = timezone.make_aware(
            datetime(following.year, following.month, 1), timezone.get_default_timezone())
    return bounds


def figures_for(user: Any, *, since: date | None = None, until: date | None = None,
                now: datetime | None = None) -> RfiFigures:
    """What ``user`` may see of how organisations answer RFIs sent from the month of
    ``since`` to the month of ``until`` (None: no bound). One query for the answers, one
    for the organisations' names."""
    now = now or timezone.now()
    org_id = getattr(user, "organisation_id", None)
    rows = (visible_to(user, MessageRecipient.objects.filter(message__rfi__isnull=False))
            .filter(Q(message__owner_id=org_id) | Q(organisation_id=org_id))
            .filter(**_period(since, until))
            .values_list("organisation_id", "message__owner_id", "message_id",
                         "message__sent_at", "answered_at", "message__rfi__deadline",
                         "message__rfi__status"))
    by_org: dict[int, dict[str, Side]] = defaultdict(lambda: {RECEIVED: Side(), SENT: Side()})
    sent_rfis: dict[int, set[int]] = defaultdict(set)
    for org_id, sender_id, message_id, sent_at, answered_at, deadline, status in rows:
        for side in (by_org[org_id][RECEIVED], by_org[sender_id][SENT]):
            if answered_at is not None:
                side.hours.append((answered_at - sent_at).total_seconds() / 3600)
                if answered_at <= deadline:
                    side.in_time += 1
                else:
                    side.late += 1
            elif status == RequestForInformation.Status.CLOSED:
                side.closed_unanswered += 1
            else:
                side.open += 1
                side.overdue += deadline < now
        by_org[org_id][RECEIVED].rfis += 1
        sent_rfis[sender_id].add(message_id)
    for sender_id, messages in sent_rfis.items():
        by_org[sender_id][SENT].rfis = len(messages)
    names = dict(Organisation.objects.filter(pk__in=list(by_org)).values_list("pk", "name"))
    organisations = sorted(
        (OrganisationFigures(pk, names.get(pk, ""), sides[RECEIVED], sides[SENT])
         for pk, sides in by_org.items()), key=lambda o: (o.name.casefold(), o.organisation_id))
    return RfiFigures(organisations)


def _outcome_names() -> dict[str, str]:
    return {"in_time": _("Answered in time"), "late": _("Answered late"),
            "open": _("Still open"), "closed_unanswered": _("Closed unanswered")}


def chart(figures: RfiFigures, side: str) -> Chart:
    """The stacked bars of ``side`` (``received`` or ``sent``): per organisation, what
    happened to each answer asked for."""
    rows = figures.side(side)
    names = _outcome_names()
    title = (_("Requests for information received, by organisation") if side == RECEIVED
             else _("Requests for information sent, by organisation"))
    return Chart(title=title, labels=tuple(name for name, _side in rows), kind="stacked",
                 unit=_("answers"), series=tuple(
                     Series(names[outcome], tuple(getattr(s, outcome) for _n, s in rows))
                     for outcome in OUTCOMES))


def to_csv(figures: RfiFigures, side: str) -> str:
    """Every figure of ``side`` for a spreadsheet: per organisation the RFIs, the
    outcomes, the overdue among the open and the median answer time in hours (empty when
    nothing was answered). The chart's CSV (``web.charts.to_csv``) holds numbers only, and
    a median of nothing is no number."""
    rows = figures.side(side)
    names = _outcome_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([formula_safe(text) for text in (
        _("organisation"), _("Requests"), *(names[o] for o in OUTCOMES), _("Overdue"),
        _("Median answer time (hours)"))])
    for name, s in rows:
        writer.writerow([formula_safe(name), s.rfis, *(getattr(s, o) for o in OUTCOMES),
                         s.overdue, "" if s.median_hours is None else s.median_hours])
    return buffer.getvalue()
