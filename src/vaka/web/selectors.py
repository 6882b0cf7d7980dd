"""What the dashboard shows an analyst first, read through the visibility policy.

New hits on their organisation's records, new intelligence from partners since their last
visit (by TLP and by type), their own submissions with problems and their unread notices.
Every count is cheap: it is the lists' own capped count (``web.pagination.capped_count``,
``VAKA_LIST_COUNT_CAP``), and each comes with the query string of the list that shows
exactly those rows.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from vaka.inbox.models import Notice
from vaka.inbox.presentation import Shown, describe
from vaka.inbox.selectors import notices_for
from vaka.intel.filtersets import TYPE_LABELS
from vaka.intel.models import Submission
from vaka.intel.selectors import objects_for, submissions_for
from vaka.policy.markings import TLP
from vaka.web.pagination import capped_count, count_cap

FIRST_VISIT = timedelta(days=7)  # what "new" means before a user's first visit
LATEST = 5


@dataclass
class Count:
    """A count that stops at the lists' cap, and the list showing its rows."""

    n: int
    exact: bool
    url: str
    label: str = ""
    key: str = ""  # the filter value (a TLP, a type), e.g. for a badge's colour


@dataclass
class Dashboard:
    since: datetime
    first_visit: bool
    new_hits: Count
    unread: Count
    latest_notices: list[Shown]
    partner_intel: Count
    partner_by_tlp: list[Count] = field(default_factory=list)
    partner_by_type: list[Count] = field(default_factory=list)
    problem_submissions: Count | None = None
    latest_problems: list[Submission] = field(default_factory=list)




def _count(queryset: QuerySet, url: str, label: str = "") -> Count:
    n, exact = capped_count(queryset)
    return Count(n, exact, url, label)


def _notices(user: Any) -> QuerySet[Notice]:
    """The user's notices; a user of no organisation has none (and no ``unread`` column)."""
    if user.organisation_id is None:
        return Notice.objects.none().annotate(unread=Value(False))
    return notices_for(user)


def _url(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def dashboard_for(user: Any, last_visit: datetime | None) -> Dashboard:
    """The dashboard of ``user`` whose previous visit was ``last_visit`` (None: never)."""
    since = last_visit or timezone.now() - FIRST_VISIT
    notices = _notices(user)
    unread_hits = notices.filter(kind=Notice.Kind.HIT, unread=True)
    unread = notices.filter(unread=True)
    dashboard = Dashboard(
        since=since, first_visit=last_visit is None,
        new_hits=_count(unread_hits, _url("inbox:list", kind=Notice.Kind.HIT, state="unread")),
        unread=_count(unread, _url("inbox:list", state="unread")),
        latest_notices=describe(list(unread[:LATEST])),
        partner_intel=Count(0, True, ""))
    _partner_intel(dashboard, user, since)
    _problems(dashboard, user)
    return dashboard


def _partner_intel(dashboard: Dashboard, user: Any, since: datetime) -> None:
    """Objects of other organisations the user may see, added since ``since``: one capped
    read of (TLP, type) pairs, grouped here."""
    params: dict[str, Any] = {"added_after": since.isoformat()}
    objects = objects_for(user).filter(created__gte=since)
    if user.organisation_id is not None:
        objects = objects.exclude(owner=user.organisation_id)
        params["not_owner"] = user.organisation_id
    cap = count_cap()
    rows = list(objects.order_by("-created").values_list("tlp", "type")[:cap + 1])
    exact = len(rows) <= cap
    rows = rows[:cap]
    dashboard.partner_intel = Count(len(rows), exact, _url("intel:objects", **params))
    by_tlp = Counter(tlp for tlp, _type in rows)
    dashboard.partner_by_tlp = [
        Count(by_tlp[tlp], exact, _url("intel:objects", **params, tlp=tlp), label, tlp)
        for tlp, label in TLP.choices if by_tlp[tlp]]
    by_type = Counter(kind for _tlp, kind in rows)
    dashboard.partner_by_type = [
        Count(n, exact, _url("intel:objects", **params, type=kind), TYPE_LABELS.get(kind, kind),
              kind)
        for kind, n in by_type.most_common(6)]


def _problems(dashboard: Dashboard, user: Any) -> None:
    """Submissions with problems: the count is of the inbox's notices of them (the list it
    links to), the latest listed are the user's own, rejected or stored in part."""
    dashboard.problem_submissions = _count(
        _notices(user).filter(kind=Notice.Kind.SUBMISSION_PROBLEM),
        _url("inbox:list", kind=Notice.Kind.SUBMISSION_PROBLEM))
    dashboard.latest_problems = list(submissions_for(user).filter(
        user=user.pk, status__in=(Submission.Status.REJECTED, Submission.Status.PARTIAL))
        .order_by("-received")[:LATEST])
