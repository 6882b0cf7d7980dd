"""The desk's broker view of hit/no-hit: every hit, who holds the value and who asked.

Only a broker (``policy.brokering.is_broker``) reads it; for anyone else the list is empty
and its page and API answer 404, as if it did not exist. A row names the value that came
up, the agency holding it, the agency and person who asked, when and how — never the
holding record's name, description, markings or id. Every read is written to the audit log.
"""

from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.directory.models import Organisation
from vaka.intel.models import HitNotification
from vaka.intel.parsing.observables import KINDS
from vaka.policy import audit
from vaka.policy.brokering import is_broker
from vaka.web.filters import StrictFilterSet


def hits_for_broker(user: Any) -> QuerySet[HitNotification]:
    """Every hit on this instance for a desk broker, newest first; nothing for anyone else.

    Rows carry ``holder_id`` and ``holder_name`` (the record's owner) instead of the record."""
    if not is_broker(user):
        return HitNotification.objects.none()
    return (HitNotification.objects.select_related(
        "asked_by", "asked_by_organisation", "asked_by_organisation__country")
        .annotate(holder_id=F("object__owner_id"), holder_name=F("object__owner__name"),
                  holder_country=F("object__owner__country_id"))
        .order_by("-at", "-pk"))


def require_broker(user: Any) -> None:
    """404 for everyone but a desk broker: the broker view does not exist for them."""
    if not is_broker(user):
        raise Http404


def audit_view(user: Any, *, request: Any, channel: str, filters_used: dict[str, str],
               shown: int) -> None:
    """One audit entry per read of the broker list: who, through which channel, with which
    filters, and how many rows were on the page."""
    audit.record(audit.Action.BROKER_VIEW, actor=user, request=request,
                 detail={"channel": channel, "filters": filters_used, "shown": shown})


def _organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(origin__isnull=True).order_by("name")


class BrokerHitFilter(StrictFilterSet):
    """The broker list's filters, the same for the page and the API."""

    holder = filters.ModelChoiceFilter(label=_("Held by"), queryset=_organisations(),
                                       field_name="object__owner")
    asked_by_organisation = filters.ModelChoiceFilter(label=_("Asked by"),
                                                      queryset=_organisations())
    channel = filters.ChoiceFilter(label=_("How"), choices=HitNotification.Channel.choices)
    kind = filters.ChoiceFilter(label=_("Type"), choices=[(k, k) for k in KINDS])
    value = filters.CharFilter(label=_("Value contains"), lookup_expr="icontains")
    since = filters.DateFilter(label=_("From"), method="filter_since",
                               widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = HitNotification
        fields: list[str] = []

    def filter_since(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(at__gte=start)

