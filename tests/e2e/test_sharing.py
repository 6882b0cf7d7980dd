"""Sharing in the browser: the export menu of the object list, and the TAXII collections
page telling an analyst how to connect a tool."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.intel.store_data import bundle, indicator
from vaka.directory import demo
from vaka.directory.models import User
from vaka.exchange.models import Collection
from vaka.intel import services
from vaka.policy.services import Markings

pytestmark = pytest.mark.e2e


@pytest.fixture
def region(transactional_db):
    demo.load()
    analyst = User.objects.get(username="fj.analyst")
    services.ingest_bytes(bundle(*[indicator(f"pay-{i}.pacific-telco-login.net",
                                             labels=["phishing"]) for i in range(3)]),
                          organisation=analyst.organisation, user=analyst, source="api",
                          markings=Markings(tlp="green", distribution="members", pap="green"))
    Collection.objects.create(title="TLP:GREEN indicators", alias="green-indicators",
                              description="Indicators every member may use and block.",
                              filters={"type": "indicator", "tlp": "green"})
    return {"password": demo.demo_password()}


def test_export_menu_and_collections_page(new_context, live_server, region):
    page = new_context().new_page()
    sign_in(page, "fj.analyst", region["password"])
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/objects/?label=phishing")
    page.locator("#export-menu").click()
    menu = page.locator("#export-menu + .dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("STIX 2.1")
    link = menu.get_by_role("link", name="CSV")
    assert "label=phishing" in link.get_attribute("href")
    screenshot(page, "export-menu.png")
    answer = page.request.get(link.get_attribute("href"))
    assert answer.ok and len(answer.text().strip().splitlines()) == 1 + 3  # header, 3 rows

    page.locator("#sharing-menu").click()
    page.get_by_role("link", name="TAXII collections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("TAXII collections")
    expect(page.locator("main table")).to_contain_text("TLP:GREEN indicators")
    expect(page.locator("main")).to_contain_text("/taxii2/api/")
    screenshot(page, "taxii-collections.png")
