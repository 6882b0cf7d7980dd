"""A threat alert from draft to acknowledgement, as the desk and a member unit do it."""

import os
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.roles import Role

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("VAKA_SCREENSHOTS", "")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def people(transactional_db):
    fiji = CountryFactory(code="FJ")
    desk = OrganisationFactory(name="Regional Cybercrime Desk", kind="desk")
    unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
    return {
        "writer": UserFactory(username="writer", first_name="Mere", organisation=desk),
        "publisher": UserFactory(username="publisher", organisation=desk,
                                 role=Role.PUBLISHER),
        "recipient": UserFactory(username="recipient", organisation=unit),
    }


def signed_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_an_alert_goes_from_draft_to_acknowledged(new_context, console, people,
                                                  live_server) -> None:
    writer = signed_in(new_context(), live_server, "writer")
    writer.goto("/products/new/alert/")
    expect(writer.get_by_role("heading", level=1)).to_have_text("New Threat alert")
    writer.fill("input[name=title]", "Fake courier SMS targeting Fiji")
    writer.fill("textarea[name=s_threat]", "SMS messages claim a parcel is **held**.")
    writer.fill("textarea[name=s_recommended_actions]", "- Warn the public\n- Block links")
    writer.check("input[name=crime_types][value=phishing]")
    writer.check("input[name=distribution][value=members]")
    writer.check("input[name=tlp][value=green]")
    writer.fill("input[name=ack_deadline]", "2099-01-01T10:00")
    writer.get_by_role("button", name="Save draft").click()
    writer.wait_for_url(re.compile(r"/products/\d+/$"))
    expect(writer.locator("strong", has_text="held")).to_be_visible()
    writer.get_by_role("button", name="Send for review").click()
    _shot(writer, "product-in-review")
    address = writer.url

    publisher = signed_in(new_context(), live_server, "publisher")
    publisher.goto(address)
    publisher.fill("textarea[name=comment]", "Clear and actionable.")
    publisher.get_by_role("button", name="Approve").click()
    publisher.get_by_role("link", name="Disseminate").click()
    publisher.select_option("select[name=countries]", ["FJ"])
    publisher.get_by_role("button", name="Disseminate").click()
    publisher.wait_for_url(address)
    expect(publisher.get_by_text("0 of 1 acknowledged")).to_be_visible()

    recipient = signed_in(new_context(), live_server, "recipient")
    recipient.goto(address)
    expect(recipient.get_by_role("heading", name="Acknowledge this alert")).to_be_visible()
    _shot(recipient, "product-recipient")
    recipient.check("input[name=ack][value=actioned]")
    recipient.fill("textarea[name=note]", "Telcos asked to block the sender IDs.")
    recipient.get_by_role("button", name="Acknowledge").click()
    expect(recipient.get_by_text("Your organisation answered: Actioned.")).to_be_visible()

    publisher.reload()
    expect(publisher.get_by_text("1 of 1 acknowledged")).to_be_visible()
    expect(publisher.get_by_text("Telcos asked to block the sender IDs.")).to_be_visible()
    _shot(publisher, "product-owner")
