"""A filter value that names nothing — an unknown type, TLP, kind, role, or an organisation
id that does not exist — is a message on the list page naming the filter and the value,
never an empty list that looks like "nothing matches"."""

import re

import pytest
from django.test import Client

from tests.conftest import api_client_for


def page(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(("url", "shown"), [
    ("/intel/objects/?type=Bogus", "(<code>type</code>): “Bogus” is not a STIX 2.1 object"),
    ("/intel/objects/?tlp=PURPLE", "(<code>tlp</code>): “PURPLE” is not one of: clear, green"),
    ("/intel/objects/?owner=999999",
     "(<code>owner</code>): There is no organisation with the id “999999”."),
    ("/organisations/?kind=Police", "(<code>kind</code>): “Police” is not one of:"),
    ("/organisations/?country=ZZ", "(<code>country</code>): There is no country with the id "
     "“ZZ”."),
    ("/users/?role=Boss", "(<code>role</code>): “Boss” is not one of:"),
    ("/users/?organisation=999999",
     "(<code>organisation</code>): There is no organisation with the id “999999”."),
])
def test_an_unknown_filter_value_is_named_on_the_page(region, url, shown):
    answer = page(region.analyst_a, url)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "This filter cannot be used:" in html
    # "(<code>name</code>): message", the code element with whatever attributes it carries
    name, message = re.fullmatch(r"\(<code>(\w+)</code>\): (.*)", shown).groups()
    assert re.search(rf"\(<code[^>]*>{name}</code>\): {re.escape(message)}", html)


def test_a_known_filter_value_still_filters_the_directory(region):
    answer = page(region.analyst_a, f"/users/?organisation={region.unit_b.pk}")
    html = answer.content.decode()
    assert answer.status_code == 200 and "analyst_b" in html and "colleague_a" not in html


def test_the_api_refuses_an_unknown_organisation_id_naming_it(region):
    answer = api_client_for(region.analyst_a).get("/api/users/?organisation=999999")
    assert answer.status_code == 400
    assert answer.json() == {"organisation": ["There is no organisation with the id “999999”."]}
