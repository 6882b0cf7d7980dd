"""Forms of the correcting pages: re-mark (the one markings input) and edit."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.intel.models import StixObject
from vaka.policy.forms import MarkingFields
from vaka.web.forms import BootstrapMixin


class RemarkForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """New markings for a record and all its versions."""

    widen = forms.BooleanField(
        label=_("I mean to widen who may see it"), required=False,
        help_text=_("Needed when the new markings reach anyone the current ones do not: "
                    "every earlier version becomes visible to them too."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices_for(user)


# What a browser's date-time picker sends and shows.
LOCAL_INPUT = {"format": "%Y-%m-%dT%H:%M", "attrs": {"type": "datetime-local", "dir": "ltr"}}


class EditForm(BootstrapMixin, forms.Form):
    """What an owner may change of a STIX object; saving makes a new version."""

    name = forms.CharField(label=_("Name"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}))
    labels = forms.CharField(label=_("Labels"), required=False,
                             help_text=_("Separated by commas."))
    valid_from = forms.DateTimeField(label=_("Valid from (UTC)"), required=False,
                                     widget=forms.DateTimeInput(**LOCAL_INPUT))
    valid_until = forms.DateTimeField(label=_("Valid until (UTC)"), required=False,
                                      widget=forms.DateTimeInput(**LOCAL_INPUT))

    @classmethod
    def initial_for(cls, obj: StixObject) -> dict[str, Any]:
        return {"name": obj.data.get("name", ""), "description": obj.data.get("description", ""),
                "labels": ", ".join(obj.labels), "valid_from": obj.valid_from,
                "valid_until": obj.valid_until}

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["labels"] = [label.strip() for label in data["labels"].split(",")
                          if label.strip()]
        return {name: value for name, value in data.items()
                if value != self.initial.get(name) and not (
                    name == "labels" and ", ".join(value) == self.initial.get(name))}
