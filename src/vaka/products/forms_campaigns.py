"""Forms of awareness campaigns and their reach; the services check everything again."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Country
from vaka.policy.forms import MarkingsForm
from vaka.products.campaigns import MAX_PEOPLE, CampaignDetails
from vaka.products.models import Campaign, Reach
from vaka.web.forms import BootstrapMixin


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(MarkingsForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=settings.LANGUAGES, required=False,
        widget=forms.CheckboxSelectMultiple)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Campaign.Channel.choices, required=False,
        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Campaign
        fields = ["name", "audience_text", "languages", "channels", "starts", "ends",
                  *MarkingsForm.MARKING_FIELDS]
        widgets = {"starts": DateInput(format="%Y-%m-%d"),
                   "ends": DateInput(format="%Y-%m-%d"),
                   "name": forms.TextInput(attrs={"dir": "auto"}),
                   "audience_text": forms.TextInput(attrs={"dir": "auto"})}

    def details(self) -> CampaignDetails:
        data = self.cleaned_data
        return CampaignDetails(name=data["name"], audience_text=data["audience_text"],
                               languages=list(data["languages"]),
                               channels=list(data["channels"]),
                               starts=data["starts"], ends=data["ends"])


class ReachForm(BootstrapMixin, forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Campaign.Channel.choices)
    people = forms.IntegerField(label=_("People reached"), min_value=1, max_value=MAX_PEOPLE)
    on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False,
                           max_length=Reach._meta.get_field("note").max_length,
                           widget=forms.TextInput(attrs={"dir": "auto"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *Country.objects.values_list(
            "code", "name")]
