"""Forms of the participants' and enrolments' pages: they parse; the services validate."""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country, Organisation
from vaka.training.models import Gender, Participant
from vaka.web.forms import BootstrapMixin


class ParticipantFilter(BootstrapMixin, forms.Form):
    """The participants list's filters; a value it does not know is an error on its field."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    organisation = forms.ModelChoiceField(Organisation.objects.order_by("name"),
                                          label=_("Organisation"), required=False)
    country = forms.ModelChoiceField(Country.objects.order_by("name"), label=_("Country"),
                                     required=False)
    gender = forms.ChoiceField(label=_("Gender"), required=False,
                               choices=[("", "—"), *Gender.choices])

    def apply(self, people: QuerySet[Participant]) -> QuerySet[Participant]:
        """``people`` narrowed by the valid filters (the page's and the API's)."""
        data = self.cleaned_data
        if data["organisation"]:
            people = people.filter(organisation=data["organisation"])
        if data["country"]:
            people = people.filter(country=data["country"])
        if data["gender"]:
            people = people.filter(gender=data["gender"])
        for word in (data["q"] or "").split():
            people = people.filter(Q(given_name__icontains=word)
                                   | Q(family_name__icontains=word)
                                   | Q(email__icontains=word) | Q(rank__icontains=word))
        return people


class ParticipantForm(BootstrapMixin, forms.ModelForm):
    session = forms.IntegerField(
        label=_("Enrol in session (number)"), required=False, widget=forms.HiddenInput)

    class Meta:
        model = Participant
        fields = ["given_name", "family_name", "email", "organisation", "country", "gender",
                  "rank", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["country"].queryset = Country.objects.order_by("name")

    def details(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def apply_errors(self, error: Any) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields and name != "session" else None,
                               messages)
        else:
            self.add_error(None, error.messages)


class ScoresForm(BootstrapMixin, forms.Form):
    pre_score = forms.CharField(label=_("Pre-test (%)"), required=False, max_length=10)
    post_score = forms.CharField(label=_("Post-test (%)"), required=False, max_length=10)
