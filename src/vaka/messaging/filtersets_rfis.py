"""The RFIs' filter, defined once for the list page and the API: status (as shown: open
past its deadline is overdue), direction (received by or sent from the user's
organisation), overdue only, and words of the subject, question or case reference; a value
that is not one of the choices is refused naming the parameter."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.messaging.filtersets import RECEIVED, SENT
from vaka.messaging.models import MessageRecipient, RequestForInformation
from vaka.web.filters import StrictBooleanFilter, StrictFilterSet


class RfiFilter(StrictFilterSet):
    """Filters ``selectors_rfis.rfis_for(user)``; ``request.user`` decides the direction."""

    status = filters.ChoiceFilter(label=_("Status"), field_name="shown",
                                  choices=RequestForInformation.Status.choices,
                                  empty_label=_("Any status"))
    direction = filters.ChoiceFilter(label=_("Direction"), method="filter_direction",
                                     empty_label=_("Received and sent"),
                                     choices=[(RECEIVED, _("Received")), (SENT, _("Sent"))])
    overdue = StrictBooleanFilter(label=_("Overdue"), method="filter_overdue")
    q = filters.CharFilter(label=_("Search"), method="filter_text", max_length=200,
                           help_text=_("Words of the subject, the question or the case "
                                       "reference."))

    class Meta:
        model = RequestForInformation
        fields: list[str] = []

    def filter_direction(self, queryset: QuerySet[RequestForInformation], name: str,
                         value: str) -> QuerySet[RequestForInformation]:
        org_id = getattr(getattr(self.request, "user", None), "organisation_id", None)
        if value == SENT:
            return queryset.filter(message__owner_id=org_id)
        return queryset.filter(Exists(MessageRecipient.objects.filter(
            message=OuterRef("message"), organisation_id=org_id)))

    def filter_overdue(self, queryset: QuerySet[RequestForInformation], name: str,
                       value: bool | None) -> QuerySet[RequestForInformation]:
        if value is None:
            return queryset
        overdue = Q(shown=RequestForInformation.Status.OVERDUE)
        return queryset.filter(overdue if value else ~overdue)

    def filter_text(self, queryset: QuerySet[RequestForInformation], name: str, value: str
                    ) -> QuerySet[RequestForInformation]:
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(message__subject__icontains=word)
                                       | Q(message__body__icontains=word)
                                       | Q(case_reference__icontains=word))
        return queryset
