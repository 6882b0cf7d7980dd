"""The one filter of the inbox, for the page and the API alike."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.inbox.models import Notice
from vaka.web.filters import StrictFilterSet

STATES = [("unread", _("Unread")), ("read", _("Read")), ("all", _("All"))]
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=31)}
PERIOD_CHOICES = [("day", _("Last 24 hours")), ("week", _("Last 7 days")),
                  ("month", _("Last 31 days"))]


class NoticeFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(label=_("Kind"), choices=Notice.Kind.choices,
                                empty_label=_("All kinds"))
    state = filters.ChoiceFilter(label=_("State"), choices=STATES, method="filter_state",
                                 empty_label=_("All"))
    period = filters.ChoiceFilter(label=_("Period"), choices=PERIOD_CHOICES,
                                  method="filter_period", empty_label=_("Any time"))

    class Meta:
        model = Notice
        fields = ["kind"]

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # ``unread`` is the annotation of inbox.selectors.notices_for.
        if value == "unread":
            return queryset.filter(unread=True)
        if value == "read":
            return queryset.filter(unread=False)
        return queryset

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(last_at__gte=timezone.now() - PERIODS[value])
