import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.intel.models import Note

pytestmark = pytest.mark.e2e

TITLE = "Mule accounts behind the Suva invoice fraud"


@pytest.fixture
def unit():
    org = OrganisationFactory(name="Fiji Police Force — Transnational Crime Unit")
    return {
        "author": UserFactory(username="author", first_name="Josefa", organisation=org),
        "recipient": UserFactory(username="recipient", first_name="Ana", organisation=org,
                                 role=Role.VIEWER),
        "colleague": UserFactory(username="colleague", first_name="Litia", organisation=org),
    }


def signed_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_red_note_for_named_recipient_is_404_for_colleague(page, new_context, console, unit,
                                                           live_server):
    sign_in(page, "author", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/notes/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New note")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", "Three accounts at one bank received the money.")
    page.check("input[name=tlp][value=red]")
    page.select_option("select[name=recipients]", value=str(unit["recipient"].pk))
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(re.compile(r"/intel/notes/\d+/$"))
    note_url = page.url
    expect(page.locator(".banner-tlp")).to_have_text("TLP:RED")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("alert")).to_contain_text("Note saved.")
    note = Note.objects.get(title=TITLE)
    assert note.tlp == "red"
    # The author is kept on a RED note's list of named recipients, the colleague is not.
    assert set(note.recipients.all()) == {unit["author"], unit["recipient"]}

    recipient = signed_in(new_context(), live_server, "recipient")
    response = recipient.goto(note_url)
    assert response is not None and response.status == 200
    expect(recipient.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(recipient.locator(".banner-tlp")).to_have_text("TLP:RED")

    colleague = signed_in(new_context(), live_server, "colleague")
    console.allow(r"status of 404")  # chromium logs the 404 this test asks for
    response = colleague.goto(note_url)
    assert response is not None and response.status == 404
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(colleague.locator("body")).not_to_contain_text(TITLE)
    colleague.goto("/intel/notes/")
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Notes")
    expect(colleague.locator("main table")).to_contain_text("No notes you can see.")
    expect(colleague.locator("body")).not_to_contain_text(TITLE)


def test_bad_note_input_shows_field_error(page, unit, live_server):
    sign_in(page, "author", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/notes/new/")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", "No one named.")
    page.check("input[name=tlp][value=red]")
    page.get_by_role("button", name="Save").click()

    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/intel/notes/new/$"))
    recipients_field = page.locator(".mb-3").filter(has=page.locator("select[name=recipients]"))
    expect(recipients_field.locator(".invalid-feedback")).to_have_text(
        "TLP:RED needs at least one named recipient.")
    # What was typed is kept.
    expect(page.locator("input[name=title]")).to_have_value(TITLE)
    expect(page.locator("input[name=tlp][value=red]")).to_be_checked()
    assert not Note.objects.exists()
