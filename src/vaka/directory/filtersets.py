"""The directory's filters, defined once: the API lists and the directory pages refuse the
same values the same way (a kind, role, country or organisation that does not exist)."""

from django_filters import rest_framework as filters

from vaka.directory.models import Country, Organisation, Programme, User
from vaka.web.filters import StrictFilterSet


class CountryFilter(StrictFilterSet):
    programmes__code = filters.ModelChoiceFilter(
        field_name="programmes", to_field_name="code", queryset=Programme.objects.all(),
        help_text="A programme's code, e.g. aspjoc.")

    class Meta:
        model = Country
        fields = ["programmes__code"]


class OrganisationFilter(StrictFilterSet):
    class Meta:
        model = Organisation
        fields = ["kind", "country", "is_active"]


class UserFilter(StrictFilterSet):
    class Meta:
        model = User
        fields = ["organisation", "role", "is_active"]
