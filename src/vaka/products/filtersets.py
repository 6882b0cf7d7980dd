"""The products' filters, defined once: each list and its API read the same parameters, and
so do the analytics dashboard's page and every chart's CSV; a value that does not parse is
refused naming the parameter (a 400), never read as "no filter"."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from vaka.directory.models import Country
from vaka.intel.crime_types import CrimeType
from vaka.intel.filtersets import TYPE_LABELS
from vaka.policy.markings import TLP
from vaka.products.models import Product
from vaka.web.filters import StrictFilterSet
from vaka.web.forms import BootstrapMixin

MONTH = "%Y-%m"


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self) -> None:
        super().__init__(format=MONTH)


class AnalyticsFilter(BootstrapMixin, forms.Form):
    """Period (from and to month, both included), owner's country, crime type, TLP and
    object type; ``figures_for(user, **form.filters())``."""

    since = forms.DateField(label=_("From month"), required=False, input_formats=[MONTH],
                            widget=MonthInput(), error_messages={
                                "invalid": _("Give a month as YYYY-MM, e.g. 2026-01.")})
    until = forms.DateField(label=_("To month"), required=False, input_formats=[MONTH],
                            widget=MonthInput(), error_messages={
                                "invalid": _("Give a month as YYYY-MM, e.g. 2026-12.")})
    country = forms.ChoiceField(label=_("Country"), required=False)
    crime_type = forms.ChoiceField(label=_("Crime type"), required=False,
                                   choices=[("", "—"), *CrimeType.choices])
    tlp = forms.ChoiceField(label="TLP", required=False, choices=[
        ("", "—"), *((value, label.removeprefix("TLP:")) for value, label in TLP.choices)])
    type = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", "—"), *TYPE_LABELS.items()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *Country.objects.values_list(
            "code", "name")]
        for name in ("crime_type", "tlp", "type"):
            field = self.fields[name]
            known = ", ".join(str(key) for key, _label in field.choices if key != "")
            # %%(value)s: filled in by the field with the value that was sent.
            field.error_messages["invalid_choice"] = _(
                "“%%(value)s” is not one of: %(known)s.") % {"known": known}
        self.fields["country"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not the ISO code of a country in the directory (two capital "
            "letters, e.g. FJ).")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError({"until": _("The period ends before it starts.")})
        return data

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of ``analytics.figures_for``; call after ``is_valid``."""
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.fields}

    def query(self) -> str:
        """The filters as sent, for the CSV links (only the ones given)."""
        from django.http import QueryDict

        kept = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "") if self.is_bound else ""
            if value:
                kept[name] = value
        return kept.urlencode()


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
