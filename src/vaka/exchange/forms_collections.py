"""The admin's form for a TAXII collection: its saved filter, readers and write rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation
from vaka.exchange.models import Collection
from vaka.intel.filtersets import StixObjectFilter
from vaka.intel.models import StixObject
from vaka.web.forms import BootstrapMixin

FILTER_FIELDS = ("type", "owner", "country", "tlp", "pap", "label", "search")


class CollectionForm(BootstrapMixin, forms.ModelForm):
    """The saved filter is edited with the object list's own filter fields
    (``intel.filtersets``) and stored as its parameters."""

    class Meta:
        model = Collection
        fields = ["title", "description", "alias", "readers", "can_write", "write_tlp",
                  "write_distribution"]
        widgets = {"readers": forms.CheckboxSelectMultiple,
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = StixObjectFilter(queryset=StixObject.objects.none()).form.fields
        for name in FILTER_FIELDS:
            self.fields[name] = offered[name]
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
