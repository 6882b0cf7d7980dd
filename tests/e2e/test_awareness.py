"""An anonymous visitor reads public awareness material: the list, a material, its leaflet."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.policy.services import Markings
from vaka.products import dissemination, services
from vaka.products.dissemination import Choice
from vaka.products.models import Kind
from vaka.products.services import Content

pytestmark = pytest.mark.e2e

TITLE = "Is that parcel text real?"


@pytest.fixture
def material(transactional_db):
    desk = OrganisationFactory(name="Regional Cybercrime Desk", kind="desk")
    writer = UserFactory(username="writer", organisation=desk)
    publisher = UserFactory(username="publisher", organisation=desk, role=Role.PUBLISHER)
    product = services.create_product(
        user=writer, kind=Kind.AWARENESS, markings=Markings(distribution="public", tlp="clear"),
        content=Content(
            title=TITLE, summary="Criminals send texts about parcels that do not exist.",
            sections={"audience": "Everyone with a mobile phone",
                      "how_to_spot": "The text asks for a **small fee** or your card number.",
                      "what_to_do": "- Do not click the link\n- Delete the text",
                      "how_to_report": "Forward it to the national cybercrime unit."}))
    services.submit_for_review(product, user=writer)
    services.approve(product, user=publisher)
    dissemination.disseminate(product, user=publisher, choice=Choice())
    return product


def test_an_anonymous_visitor_reads_public_material(page, console, material, live_server):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Awareness").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awareness material")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".banner-tlp")).to_have_text("TLP:CLEAR")
    expect(page.locator("article strong")).to_have_text("small fee")
    expect(page.get_by_role("heading", name="What to do")).to_be_visible()
    screenshot(page, "awareness-material.png", full_page=True)
    leaflet = page.get_by_role("link", name="Leaflet (PDF, one page)")
    response = page.request.get(leaflet.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    console.check()
