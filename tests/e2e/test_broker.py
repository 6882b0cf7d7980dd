"""The desk's coordinator brokers the demo's hits: the broker view names who holds a value
and who asked; a desk analyst finds no such page.

The screenshot (docs/screenshots/broker.png) is only written when VAKA_SCREENSHOTS=1.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from vaka.directory import demo

pytestmark = pytest.mark.e2e


@pytest.fixture
def password(transactional_db) -> str:
    demo.load()
    return demo.demo_password()


def test_desk_coordinator_sees_who_holds_and_who_asked(new_context, live_server, password):
    page = new_context().new_page()
    sign_in(page, "desk.coordinator", password)
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Broker view", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Broker view: hits")
    table = page.locator("#broker-hits")
    expect(table).to_contain_text("reeflockpay7x2kq4p3hfd5nz6wjb2y7l4rs3tu5vw6xy7z8ab2cd3ef.onion")
    expect(table).to_contain_text("Kestrel Threat Research")
    expect(table).to_contain_text(demo.FIJI_TCU)

    page.select_option("select[name=asked_by_organisation]", label=demo.PHILIPPINES_UNIT)
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table).not_to_contain_text("reeflockpay")
    screenshot(page, "broker.png", full_page=True)


def test_desk_analyst_has_no_broker_view(new_context, live_server, console, password):
    page = new_context().new_page()
    sign_in(page, "desk.analyst", password)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Broker view", exact=True)).to_have_count(0)
    console.allow("404")
    assert page.goto("/intel/broker/").status == 404
