"""Strict filters for every list: a value that does not parse is a 400 naming the
parameter, never "no filter" (a yes/no filter given ``maybe`` included)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from vaka.web.forms import bootstrap_widgets

TRUE, FALSE = ("true", "1"), ("false", "0")


class StrictBooleanField(forms.NullBooleanField):
    """true/1, false/0 or nothing; anything else is an error (not silently "no filter")."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, "", "unknown"):  # "unknown": NullBooleanSelect's empty choice
            return None
        if value is True or str(value).lower() in TRUE:
            return True
        if value is False or str(value).lower() in FALSE:
            return False
        raise ValidationError(_("Use true or false."), code="invalid")

    def validate(self, value: Any) -> None:
        return None


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not DRF's BooleanWidget: it reads anything unknown as "no filter".
        kwargs.setdefault("widget", forms.Select(choices=[("", "—"), ("true", _("Yes")),
                                                          ("false", _("No"))]))
        super().__init__(*args, **kwargs)


class StrictFilterSet(filters.FilterSet):
    """The base of every filter set: boolean fields filter strictly, and a value that is not
    one of the choices, or an id that names no record, is refused naming the value and what
    it should have been. The form's widgets carry the Bootstrap classes of every form
    (``web.forms.bootstrap_widgets``), so a list's filter row lines up whatever its form."""

    FILTER_DEFAULTS = {**FILTER_FOR_DBFIELD_DEFAULTS,
                       models.BooleanField: {"filter_class": StrictBooleanFilter}}

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            bootstrap_widgets(super().form.fields.values())
            for field in self._form.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    thing = field.queryset.model._meta.verbose_name
                    # %%(value)s: filled in by the field with the value that was sent.
                    field.error_messages = {**field.error_messages, "invalid_choice": _(
                        "There is no %(thing)s with the id “%%(value)s”.") % {"thing": thing}}
                elif isinstance(field, forms.ChoiceField):
                    known = ", ".join(str(key) for key, _label in field.choices if key != "")
                    field.error_messages = {**field.error_messages, "invalid_choice": _(
                        "“%%(value)s” is not one of: %(known)s.") % {"known": known}}
        return self._form


class StrictFilterBackend(filters.DjangoFilterBackend):
    """The API's filter backend: views declaring only ``filterset_fields`` get strict sets."""

    filterset_base = StrictFilterSet


class StrictOrderingFilter(OrderingFilter):
    """DRF's ``ordering``, refusing a field the list cannot be sorted by (a 400 naming it
    and the fields it can) instead of quietly answering in the default order."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if params:
            valid = [name for name, _label in self.get_valid_fields(
                queryset, view, {"request": request})]
            for term in (part.strip() for part in params.split(",")):
                if term and term.lstrip("-") not in valid:
                    raise exceptions.ValidationError({self.ordering_param: [
                        _("This list cannot be sorted by “%(name)s”. Sort by one of: "
                          "%(known)s.") % {"name": term.lstrip("-"),
                                           "known": ", ".join(valid) or "—"}]})
        return super().get_ordering(request, queryset, view)
