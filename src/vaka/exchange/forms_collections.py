"""The admin's form for a TAXII collection: its saved filter, readers and write rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation
from vaka.exchange.models import Collection
from vaka.intel.api.store import StixObjectFilter
from vaka.policy.markings import TLP
from vaka.web.forms import BootstrapMixin

FILTER_FIELDS = ("type", "owner", "country", "tlp", "label", "search")


class CollectionForm(BootstrapMixin, forms.ModelForm):
    """The saved filter is edited as fields and stored as the object list's parameters."""

    type = forms.CharField(label=_("Object type"), required=False,
                           help_text=_("e.g. indicator, malware, threat-actor"))
    owner = forms.ModelChoiceField(label=_("Owner"), required=False,
                                   queryset=Organisation.objects.all())
    country = forms.CharField(label=_("Owner country"), required=False, max_length=2)
    tlp = forms.ChoiceField(label="TLP", required=False, choices=[("", "—"), *TLP.choices])
    label = forms.CharField(label=_("Label"), required=False)
    search = forms.CharField(label=_("Words or value"), required=False)

    class Meta:
        model = Collection
        fields = ["title", "description", "alias", "readers", "can_write", "write_tlp",
                  "write_distribution"]
        widgets = {"readers": forms.CheckboxSelectMultiple,
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        saved = self.instance.filters or {}
        for name in FILTER_FIELDS:
            if name in saved:
                self.initial[name] = saved[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        filters = {}
        for name in FILTER_FIELDS:
            value = data.get(name)
            if isinstance(value, Organisation):
                value = value.pk
            if value not in (None, ""):
                filters[name] = str(value) if name != "owner" else value
        check = StixObjectFilter(data=filters)
        if not check.is_valid():
            for name, errors in check.errors.items():
                self.add_error(name if name in self.fields else None, errors)
        if data.get("write_distribution") == "communities":
            self.add_error("write_distribution", _(
                "Objects added through TAXII cannot name communities; choose another "
                "distribution."))
        self.instance.filters = filters
        return data
