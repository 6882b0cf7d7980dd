"""The operations list's filter, defined once for the page and (later) the API: phase,
crime type, country, lead organisation and text; a value that does not parse is refused
naming the parameter (a 400), never read as "no filter"."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.directory.models import Country, Organisation
from vaka.intel.crime_types import CrimeType
from vaka.operations.models import Operation, Phase
from vaka.web.filters import StrictBooleanFilter, StrictFilterSet


class OperationFilter(StrictFilterSet):
    q = filters.CharFilter(method="with_text", label=_("Search"),
                           help_text=_("Reference, code name or objective."))
    phase = filters.ChoiceFilter(choices=Phase.choices, label=_("Phase"))
    crime_type = filters.ChoiceFilter(choices=CrimeType.choices, method="with_crime_type",
                                      label=_("Crime type"))
    country = filters.ModelChoiceFilter(field_name="countries", to_field_name="code",
                                        queryset=Country.objects.all(), label=_("Country"))
    lead = filters.ModelChoiceFilter(queryset=Organisation.objects.filter(
        is_active=True, origin__isnull=True), label=_("Lead organisation"))
    closed = StrictBooleanFilter(field_name="closed_at", lookup_expr="isnull", exclude=True,
                                 label=_("Closed"))

    class Meta:
        model = Operation
        fields = ["q", "phase", "crime_type", "country", "lead", "closed"]

    def with_text(self, queryset: QuerySet[Operation], name: str, value: str
                  ) -> QuerySet[Operation]:
        text = value.strip().replace("\x00", "")
        if not text:
            return queryset
        return queryset.filter(Q(reference__icontains=text) | Q(code_name__icontains=text)
                               | Q(objective__icontains=text))

    def with_crime_type(self, queryset: QuerySet[Operation], name: str, value: str
                        ) -> QuerySet[Operation]:
        # Codes are a JSON list; a quoted code matches one element on SQLite and PostgreSQL.
        return queryset.filter(crime_types__icontains=f'"{value}"')
