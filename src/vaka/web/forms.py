"""Form helpers shared by every app."""

from collections.abc import Iterable
from typing import Any

from django import forms


def bootstrap_widgets(fields: Iterable[forms.Field]) -> None:
    """Give each field's widget the Bootstrap 5 class its type needs (once, however often
    it is asked): a form's, or a filter set's (``web.filters.StrictFilterSet.form``)."""
    for field in fields:
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple
                      | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])


class BootstrapMixin:
    """Give every widget the Bootstrap 5 class its type needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self.fields.values())

    def apply_errors(self, error: Any) -> None:
        """Attach a service's ``ValidationError`` to the matching fields."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
