"""The products' filters, defined once: each list and its API read the same parameters,
and a value that does not parse is refused naming the parameter (a 400), never read as
"no filter"."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.intel.crime_types import CrimeType
from vaka.products.models import Product
from vaka.web.filters import StrictFilterSet


class ProductFilter(StrictFilterSet):
    """The products list's filter in the API (``/api/products/``): kind, status and crime
    type, each one of its codes or a 400 naming the parameter."""

    crime_type = filters.ChoiceFilter(choices=CrimeType.choices, method="with_crime_type",
                                      label=_("Crime type"))

    class Meta:
        model = Product
        fields = ["kind", "status", "crime_type"]

    def with_crime_type(self, queryset: QuerySet[Product], name: str, value: str
                        ) -> QuerySet[Product]:
        # The codes are stored as a JSON list; a quoted code matches one element exactly
        # on SQLite and PostgreSQL alike (JSON ``contains`` is not on SQLite).
        return queryset.filter(crime_types__icontains=f'"{value}"')
