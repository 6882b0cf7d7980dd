"""The admin's forms for a TAXII collection: its saved filter and readers, and the markings
of the objects added to it."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation
from vaka.exchange.models import Collection
from vaka.intel.filtersets import StixObjectFilter
from vaka.intel.models import StixObject
from vaka.policy.forms import MarkingFields
from vaka.web.forms import BootstrapMixin

FILTER_FIELDS = ("type", "owner", "country", "tlp", "pap", "label", "search")


class CollectionForm(BootstrapMixin, forms.ModelForm):
    """The saved filter is edited with the object list's own filter fields
    (``intel.filtersets``) and stored as its parameters."""

    class Meta:
        model = Collection
        fields = ["title", "description", "alias", "readers", "can_write"]
        widgets = {"readers": forms.CheckboxSelectMultiple,
                   "description": forms.Textarea(attrs={"rows": 3, "dir": "auto"})}

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
        self.instance.filters = filters
        return data


class WriteMarkingsForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """The markings of objects added through TAXII (``policy.inputs``), shown beside the
    collection's form. Its fields are prefixed ``write-``: the saved filter has its own
    ``tlp`` and ``pap``."""

    prefix = "write"

    def __init__(self, *args: Any, collection: Collection | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices_for(None)
        self.fields["recipients"].help_text = _(
            "TLP:RED reaches these people only (and whoever adds the object): name at least "
            "one.")
        if collection is not None:
            self.initial_markings(collection.markings())
