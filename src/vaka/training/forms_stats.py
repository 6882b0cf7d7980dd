"""The statistics' filter, defined once: the page, each chart's CSV and the donor report
(PDF and XLSX) read the same parameters; a value that does not parse is refused naming the
parameter (a 400), never read as "no filter"."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country, Organisation, Programme
from vaka.training.models import Topic
from vaka.training.statistics import Filters
from vaka.web.forms import BootstrapMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class StatisticsFilter(BootstrapMixin, forms.Form):
    """Programme, period (the sessions' first day, from and to, both included), the
    participants' country and organisation, and the course's topic."""

    programme = forms.ChoiceField(label=_("Programme"), required=False)
    since = forms.DateField(label=_("From"), required=False, input_formats=["%Y-%m-%d"],
                            widget=DateInput(), error_messages={
                                "invalid": _("Give a date as YYYY-MM-DD, e.g. 2026-01-01.")})
    until = forms.DateField(label=_("To"), required=False, input_formats=["%Y-%m-%d"],
                            widget=DateInput(), error_messages={
                                "invalid": _("Give a date as YYYY-MM-DD, e.g. 2026-12-31.")})
    country = forms.ChoiceField(label=_("Country"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False,
                              choices=[("", "—"), *Topic.choices])
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False,
                                          coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", "—"), *Programme.objects.values_list(
            "code", "name")]
        self.fields["country"].choices = [("", "—"), *Country.objects.values_list(
            "code", "name")]
        self.fields["organisation"].choices = [
            ("", "—"), *((str(pk), name) for pk, name in Organisation.objects.order_by(
                "name").values_list("pk", "name"))]
        for name in ("programme", "country", "topic", "organisation"):
            field = self.fields[name]
            # %%(value)s: filled in by the field with the value that was sent.
            field.error_messages["invalid_choice"] = _(
                "“%%(value)s” is not one of the choices of %(field)s.") % {
                    "field": field.label}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError({"until": _("The period ends before it starts.")})
        return data

    def filters(self) -> Filters:
        """The filters for ``statistics.training_figures``; call after ``is_valid``."""
        data = getattr(self, "cleaned_data", {})
        return Filters(**{name: data.get(name) or None for name in self.fields})

    def query(self) -> str:
        """The filters as sent, for the links to the CSVs and the report (only those given)."""
        kept = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name, "") if self.is_bound else ""
            if value:
                kept[name] = value
        return kept.urlencode()

    def problems(self) -> str:
        """Every error, one line each: ``parameter: message``."""
        return "\n".join(f"{name}: {' '.join(errors)}" for name, errors
                         in self.errors.items()) + "\n"
