"""Secure messages as the agencies use them: a national unit writes to the Pacific
coordination centre with an attachment, the centre reads it (the sender sees the receipt)
and forwards it to another unit with its markings; a request for information with a
deadline is answered, and the asker sees it answered."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.models import Organisation

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("VAKA_SCREENSHOTS", "")
SUBJECT = "Mule wallets behind the sextortion wave"
CENTRE = "Pacific Transnational Crime Coordination Centre"
TONGA = "Tonga Police Cybercrime Unit"


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def agencies(transactional_db):
    fiji, samoa, tonga = (CountryFactory(code="FJ"), CountryFactory(code="WS"),
                          CountryFactory(code="TO"))
    fiji_unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
    centre = OrganisationFactory(name=CENTRE, country=samoa,
                                 kind=Organisation.Kind.COORDINATION_CENTRE)
    tonga_unit = OrganisationFactory(name=TONGA, country=tonga)
    UserFactory(username="fiji", first_name="Josefa", organisation=fiji_unit)
    UserFactory(username="hub", first_name="Losa", organisation=centre)
    UserFactory(username="tonga", first_name="Sione", organisation=tonga_unit)


def signed_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_a_message_goes_through_the_centre_and_an_rfi_is_answered(
        new_context, console, agencies, live_server, tmp_path) -> None:
    wallets = tmp_path / "mule-wallets.csv"
    wallets.write_bytes(b"wallet,first payment\nbc1qdemo0mule0wallet0one,2026-10-02\n")

    fiji = signed_in(new_context(), live_server, "fiji")
    fiji.goto("/messages/")
    expect(fiji.get_by_role("heading", level=1)).to_have_text("Messages")
    fiji.goto("/messages/new/")
    expect(fiji.get_by_role("heading", level=1)).to_have_text("New message")
    fiji.locator("select[name=to]").select_option(label=CENTRE)
    fiji.fill("input[name=subject]", SUBJECT)
    fiji.fill("textarea[name=body]", "Our case **FJ-2026-0412** traced the payments to "
                                     "three wallets; please forward to Tonga's unit.")
    fiji.set_input_files("input[name=attachments]", str(wallets))
    fiji.select_option("select[name=priority]", "priority")
    fiji.check("input[name=distribution][value=members]")
    fiji.check("input[name=tlp][value=amber]")
    fiji.check("input[name=handling][value=no-evidence]")
    # Tonga's unit may read it too, once the centre forwards it.
    fiji.locator("select[name=recipient_organisations]").select_option(label=[CENTRE, TONGA])
    _shot(fiji, "message-new")
    fiji.get_by_role("button", name="Send", exact=True).click()
    fiji.wait_for_url(re.compile(r"/messages/\d+/$"))
    address = fiji.url
    expect(fiji.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(fiji.locator("main")).to_contain_text("not read yet")

    hub = signed_in(new_context(), live_server, "hub")
    hub.goto("/messages/")
    hub.get_by_role("link", name=SUBJECT).click()
    hub.wait_for_url(address)
    expect(hub.locator("main strong", has_text="FJ-2026-0412")).to_be_visible()
    attachment = hub.get_by_role("link", name="mule-wallets.csv")
    response = hub.request.get(attachment.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.body().startswith(b"wallet,first payment")
    _shot(hub, "message-thread-centre")

    fiji.reload()
    receipts = fiji.locator("main").get_by_text(re.compile(rf"{CENTRE}: read"))
    expect(receipts).to_contain_text("(hub)")
    _shot(fiji, "message-thread-receipt")

    hub.get_by_role("link", name="Forward").click()
    hub.locator("select[name=to]").select_option(label=TONGA)
    hub.fill("textarea[name=note]", "Forwarded as Fiji asked: the Tongan payers.")
    _shot(hub, "message-forward")
    hub.get_by_role("button", name="Forward").click()
    hub.wait_for_url(re.compile(r"/messages/\d+/$"))
    forwarded = hub.url
    assert forwarded != address

    tonga = signed_in(new_context(), live_server, "tonga")
    tonga.goto(forwarded)
    expect(tonga.locator("main")).to_contain_text(
        f"Forwarded by {CENTRE} from a message of Fiji Police Cybercrime Unit.")
    expect(tonga.locator(".banner-tlp")).to_have_text("TLP:AMBER")
    expect(tonga.locator("main")).to_contain_text("Not to be used as evidence")
    expect(tonga.get_by_role("link", name="mule-wallets.csv").first).to_be_visible()
    _shot(tonga, "message-forwarded")

    # A request for information, due tomorrow at 17:00 in Apia.
    due = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT17:00")
    fiji.goto("/messages/rfis/new/")
    expect(fiji.get_by_role("heading", level=1)).to_have_text("New request for information")
    fiji.locator("select[name=to]").select_option(label=TONGA)
    fiji.fill("input[name=subject]", "Who holds the Nuku'alofa accounts?")
    fiji.fill("textarea[name=body]", "The account holders' names and addresses, please.")
    fiji.fill("input[name=case_reference]", "FJ-2026-0412")
    fiji.fill("textarea[name=reason]", "Two payers of the sextortion wallets bank there.")
    fiji.fill("input[name=deadline]", due)
    fiji.select_option("select[name=time_zone]", "Pacific/Apia")
    fiji.check("input[name=distribution][value=members]")
    fiji.check("input[name=tlp][value=amber]")
    _shot(fiji, "rfi-new")
    fiji.get_by_role("button", name="Send the request").click()
    fiji.wait_for_url(re.compile(r"/messages/\d+/$"))
    rfi = fiji.url
    panel = fiji.locator("#rfi")
    expect(panel).to_contain_text("FJ-2026-0412")
    expect(panel).to_contain_text("no answer yet")

    tonga.goto("/messages/rfis/")
    expect(tonga.get_by_role("heading", level=1)).to_have_text("Requests for information")
    _shot(tonga, "rfi-list-open")
    tonga.get_by_role("link", name="Who holds the Nuku'alofa accounts?").click()
    tonga.wait_for_url(rfi)
    tonga.fill("#rfi-answer-form textarea[name=body]",
               "Both accounts are held by one person in Kolofo'ou; details attached soon.")
    tonga.get_by_role("button", name="Send the answer").click()
    tonga.wait_for_url(rfi)
    expect(tonga.locator("main")).to_contain_text("held by one person in Kolofo'ou")
    _shot(tonga, "rfi-answered-recipient")

    fiji.reload()
    answers = fiji.locator("#rfi-answers")
    expect(answers).to_contain_text(f"{TONGA}: answered")
    expect(answers).to_contain_text("in time")
    expect(fiji.locator("main")).to_contain_text("held by one person in Kolofo'ou")
    _shot(fiji, "rfi-answered-sender")
    fiji.goto("/messages/rfis/")
    expect(fiji.locator("main")).to_contain_text("Answered")
    _shot(fiji, "rfi-list")

    # The thread and the lists right to left, for a reader of Arabic.
    arabic = signed_in(new_context(locale="ar"), live_server, "fiji")
    for path, name in ((rfi, "rfi-thread-ar"), (address, "message-thread-ar"),
                       ("/messages/", "message-list-ar"), ("/messages/rfis/", "rfi-list-ar")):
        arabic.goto(path)
        expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
        _shot(arabic, name)
