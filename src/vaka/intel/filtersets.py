"""The object filter, defined once: the web list, ``GET /api/objects/``, TAXII collections,
exports and export links all filter STIX objects with ``StixObjectFilter`` and the same
parameter names, so a value is accepted, refused or read the same way everywhere.

Values are exact: ``tlp=GREEN``, ``type=Indicator``, ``country=fj`` or an unknown PAP are
refused with an error naming the parameter (400 in the API, the form error on the page),
never read as "nothing matches".
"""

import re
from typing import Any

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from stix2.v21 import OBJ_MAP, OBJ_MAP_OBSERVABLE

from vaka.directory.models import Organisation
from vaka.intel import selectors
from vaka.intel.models import StixObject
from vaka.policy.markings import PAP, TLP, Distribution
from vaka.web.filters import StrictBooleanFilter, StrictFilterSet

STIX_TYPES = frozenset(OBJ_MAP) | frozenset(OBJ_MAP_OBSERVABLE)
CUSTOM_TYPE = re.compile(r"x-[a-z0-9][a-z0-9-]{0,250}")
TRUE, FALSE = ("true", "1"), ("false", "0")
# The types the object list offers as a filter, and what pages call each: the value sent
# stays the STIX type, the reader sees a translated name.
TYPE_LABELS = {
    "indicator": _("Indicator"), "vulnerability": _("Vulnerability"),
    "malware": _("Malware"), "threat-actor": _("Threat actor"),
    "intrusion-set": _("Intrusion set"), "attack-pattern": _("Attack pattern"),
    "campaign": _("Campaign"), "report": _("Report"), "grouping": _("Grouping"),
    "relationship": _("Relationship"), "identity": _("Identity"),
    "ipv4-addr": _("IPv4 address"), "domain-name": _("Domain name"),
    "url": _("URL"), "file": _("File"), "note": _("Note"),
}


def stix_type(value: str) -> None:
    if value not in STIX_TYPES and not CUSTOM_TYPE.fullmatch(value):
        # The value goes in as a parameter: django-filter formats the message once more, and a
        # "%" in the value would break that (a 500 instead of a 400).
        raise ValidationError(_("“%(value)s” is not a STIX 2.1 object type (they are lower "
                                "case, e.g. indicator, domain-name)."), params={"value": value})


def country_code(value: str) -> None:
    if not (len(value) == 2 and value.isupper() and pycountry.countries.get(alpha_2=value)):
        raise ValidationError(_("“%(value)s” is not an ISO 3166-1 country code (two capital "
                                "letters, e.g. FJ)."), params={"value": value})


class StixObjectFilter(StrictFilterSet):
    search = filters.CharFilter(method="filter_search", label=_("Search"), help_text=_(
        "Words of the name or description (prefixes match), an indicator value (defanged "
        "or not) or a STIX id."))
    type = filters.CharFilter(label=_("Type"), validators=[stix_type])
    owner = filters.ModelChoiceFilter(label=_("Owner"), queryset=Organisation.objects.all())
    # "From partners": everything but one's own organisation's (the dashboard links here).
    not_owner = filters.ModelChoiceFilter(label=_("Owner is not"), field_name="owner",
                                          exclude=True, queryset=Organisation.objects.all())
    country = filters.CharFilter(method="filter_country", label=_("Country"),
                                 validators=[country_code],
                                 help_text=_("ISO code of the owner's country, e.g. FJ."))
    # The field is labelled TLP / PAP: the options drop the prefix so that
    # "AMBER+STRICT" fits a narrow filter column.
    tlp = filters.ChoiceFilter(label="TLP", choices=[
        (value, label.removeprefix("TLP:")) for value, label in TLP.choices])
    pap = filters.ChoiceFilter(label="PAP", choices=[
        (value, label.removeprefix("PAP:")) for value, label in PAP.choices])
    distribution = filters.ChoiceFilter(label=_("Distribution"), choices=Distribution.choices)
    label = filters.CharFilter(method="filter_label", label=_("Label"))
    modified_after = filters.IsoDateTimeFilter(field_name="stix_modified", lookup_expr="gte")
    modified_before = filters.IsoDateTimeFilter(field_name="stix_modified", lookup_expr="lt")
    # When the record reached this instance (not its STIX time): "new since my last visit".
    added_after = filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    # Whole days in the current time zone, as the page's date inputs give them.
    since = filters.DateFilter(field_name="stix_modified", lookup_expr="date__gte",
                               label=_("Modified from"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    until = filters.DateFilter(field_name="stix_modified", lookup_expr="date__lte",
                               label=_("Modified to"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    has_correlations = StrictBooleanFilter(method="filter_correlations",
                                           label=_("Has correlations"))
    # Read by ``filtered_objects`` (it chooses the base queryset); here only checked.
    include_revoked = StrictBooleanFilter(method="filter_noop", label=_("Include revoked"))

    class Meta:
        model = StixObject
        fields: list[str] = []

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(owner__country_id=value)

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(label_text__contains=f"|{value}|")

    def filter_correlations(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return selectors.with_correlations(queryset) if value else queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search_objects(queryset, value)

    def filter_noop(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset


def described_filters(params: dict[str, Any] | None) -> list[tuple[Any, Any]]:
    """A saved filter (e.g. a TAXII collection's) as the reader should see it: each
    parameter's label and its value's name where it has one (type, markings, owner)."""
    described = []
    for name, value in (params or {}).items():
        spec = StixObjectFilter.base_filters.get(name)
        shown: Any = value
        if name == "type":
            shown = TYPE_LABELS.get(value, value)
        elif name == "owner":
            shown = Organisation.objects.filter(pk=value).first() or value
        elif spec is not None and spec.extra.get("choices"):
            shown = dict(spec.extra["choices"]).get(value, value)
        described.append((spec.label if spec is not None and spec.label else name, shown))
    return described


def as_query(params: QueryDict | dict[str, Any] | None) -> QueryDict:
    if isinstance(params, QueryDict):
        return params
    query = QueryDict(mutable=True)
    query.update({key: str(value) for key, value in (params or {}).items()})
    return query


def wants_revoked(params: QueryDict | dict[str, Any] | None) -> bool:
    return str(as_query(params).get("include_revoked", "")).lower() in TRUE


def filtered_objects(user: Any, params: QueryDict | dict[str, Any] | None
                     ) -> tuple[QuerySet[StixObject], dict[str, str]]:
    """The objects ``user`` may see, filtered by ``params``, and the filters used; a bad
    value raises ``ValidationError`` naming the parameter."""
    params = as_query(params)
    filterset = StixObjectFilter(params, queryset=selectors.objects_for(
        user, include_revoked=wants_revoked(params)))
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    used = {name: params[name] for name in filterset.filters if params.get(name, "") != ""}
    return filterset.qs, used
