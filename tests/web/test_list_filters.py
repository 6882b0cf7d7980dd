"""Every API list refuses a filter value it cannot read, naming the parameter — never an
answer of "nothing matches" or "no filter"."""

from importlib import import_module

import pytest
from django import forms

from tests.conftest import api_client_for


@pytest.mark.parametrize(("url", "parameter"), [
    ("/api/notes/?tlp=GREEN", "tlp"),
    ("/api/submissions/?status=STORED", "status"),
    ("/api/notifications/?kind=DOMAIN", "kind"),
    ("/api/notifications/?channel=x", "channel"),
    ("/api/organisations/?kind=Police", "kind"),
    ("/api/organisations/?country=fj", "country"),
    ("/api/organisations/?is_active=maybe", "is_active"),
    ("/api/users/?role=Analyst", "role"),
    ("/api/countries/?programmes__code=zzz", "programmes__code"),
    ("/api/objects/?type=Indicator", "type"),
])
def test_an_unreadable_filter_value_is_a_400_naming_it(region, url, parameter):
    answer = api_client_for(region.analyst_a).get(url)
    assert answer.status_code == 400
    assert list(answer.json()) == [parameter]


def test_a_readable_boolean_filter_still_filters(region):
    answer = api_client_for(region.analyst_a).get("/api/organisations/?is_active=true")
    assert answer.status_code == 200 and answer.json()["count"] == 3


@pytest.mark.parametrize("filterset", [
    "vaka.operations.filtersets.OperationFilter",
    "vaka.training.filtersets_courses.CourseFilter",
    "vaka.intel.filtersets.StixObjectFilter",
    "vaka.intel.broker.BrokerHitFilter",
])
def test_a_list_filter_form_has_the_bootstrap_classes_once(filterset):
    module, name = filterset.rsplit(".", 1)
    fields = getattr(import_module(module), name)({}).form.fields
    classes = {key: field.widget.attrs.get("class", "").split() for key, field in fields.items()}
    for key, field in fields.items():
        wanted = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        assert classes[key].count(wanted) == 1, (key, classes[key])
