"""An analyst's day on the demo region, in the browser: the inbox, saved searches, ticking
records on the intelligence list, and a pasted advisory's original.

Each journey ends in Arabic (the language menu, as a user switches it) to check the page
turns right to left while values stay left to right. The PNGs in docs/screenshots/ are
only written when VAKA_SCREENSHOTS=1.
"""

import csv
import re

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.e2e.conftest import screenshot, sign_in
from vaka.directory import demo
from vaka.directory.models import User
from vaka.inbox.models import InboxSettings
from vaka.intel import services
from vaka.intel.models import StixObject, Submission
from vaka.policy.services import Markings
from vaka.web.models import SavedSearch

pytestmark = pytest.mark.e2e

# Fiji's record the Philippine unit looks up three times: one notice counting three.
REPEATED = "+61491570157"


@pytest.fixture
def password(transactional_db) -> str:
    demo.load()
    return demo.demo_password()


def signed_in(context: BrowserContext, live_server, username: str, password: str) -> Page:
    page = context.new_page()
    sign_in(page, username, password)
    page.wait_for_url(f"{live_server.url}/")
    return page


def switch_to_arabic(page: Page) -> None:
    """Choose العربية in the language menu (kept in the profile), back on the same page."""
    page.locator("#language-menu").click()
    with page.expect_navigation():
        page.locator("button[name=language][value=ar]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")


def flash(page: Page):
    return page.locator("main .alert-success")


# --- 1. The inbox -------------------------------------------------------------------------

@pytest.fixture
def inbox_day(password) -> str:
    """On top of the demo's seven hits on Fiji's records: the Philippine unit looks one
    value up three times, and a Fiji submission is stored only in part."""
    fiji = User.objects.get(username="fj.analyst")
    philippines = User.objects.get(username="ph.analyst")
    for _time in range(3):
        services.lookup(["+61 491 570 157"], user=philippines)
    bundle = ('{"type": "bundle", "id": "bundle--6f2c1d0e-8a7b-4c3d-9e1f-0a2b3c4d5e6f", '
              '"objects": [{"type": "indicator", "spec_version": "2.1", '
              '"id": "indicator--not-a-uuid", "created": "2026-11-01T00:00:00.000Z", '
              '"modified": "2026-11-01T00:00:00.000Z", "pattern_type": "stix", '
              '"pattern": "[domain-name:value = \'x.example.com\']", '
              '"valid_from": "2026-11-01T00:00:00Z"}]}')
    services.ingest_bytes(bundle.encode(), organisation=fiji.organisation, user=fiji,
                          markings=Markings(tlp="amber", distribution="organisation"),
                          source="api", fmt="stix", partial=True)
    return password


def notice_rows(page: Page):
    return page.locator("main .list-group-item")


def test_inbox_counts_groups_reads_filters_and_keeps_the_mail_choice(new_context, live_server,
                                                                     inbox_day):
    page = signed_in(new_context(), live_server, "fj.analyst", inbox_day)
    badge = page.locator("#inbox-badge")
    # 7 demo hits, the repeat, the problem, the demo's alert sent to Fiji's unit, the
    # Philippines' request for information to it and the certificates of five of its
    # officers trained in the demo's sessions
    expect(badge).to_have_text(re.compile(r"^16\b"))
    page.locator("#nav").get_by_role("link", name=re.compile(r"^Inbox")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(notice_rows(page)).to_have_count(16)

    # Three look-ups of one value by one agency: one notice, counted.
    repeated = notice_rows(page).filter(has_text=REPEATED)
    expect(repeated).to_have_count(1)
    expect(repeated).to_contain_text(f"{demo.PHILIPPINES_UNIT} looked up {REPEATED}, which "
                                     "your record holds (3 times).")
    expect(repeated.locator(".badge")).to_have_text("3 times")
    expect(repeated).to_have_class(re.compile(r"\bfw-bold\b"))  # unread
    expect(repeated.locator(".badge")).to_be_visible()
    screenshot(page, "inbox.png")

    # Opening it leads to the record and marks it read: one fewer in the badge.
    repeated.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/intel/objects/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(REPEATED)
    expect(badge).to_have_text(re.compile(r"^15\b"))

    # The filters narrow the list.
    page.goto("/inbox/")
    page.select_option("select[name=state]", "read")
    page.get_by_role("button", name="Filter").click()
    expect(notice_rows(page)).to_have_count(1)
    expect(notice_rows(page)).to_contain_text(REPEATED)
    expect(notice_rows(page)).not_to_have_class(re.compile(r"\bfw-bold\b"))
    page.select_option("select[name=state]", "unread")
    page.get_by_role("button", name="Filter").click()
    expect(notice_rows(page)).to_have_count(15)
    expect(page.locator("main .list-group")).not_to_contain_text(REPEATED)
    page.select_option("select[name=state]", "")
    page.select_option("select[name=kind]", "submission_problem")
    page.get_by_role("button", name="Filter").click()
    expect(notice_rows(page)).to_have_count(1)
    expect(notice_rows(page)).to_contain_text(
        "A submission was stored in part: 1 item was refused.")

    # Mark all read: no badge left, and every notice is shown read.
    page.get_by_role("button", name="Mark all read").click()
    expect(flash(page)).to_have_text("15 notices marked read.")
    expect(badge).to_have_count(0)
    page.goto("/inbox/?state=unread")
    expect(notice_rows(page)).to_have_text(["Nothing is waiting."])

    # The e-mail choice is saved and shown again.
    page.get_by_role("link", name="E-mail settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox settings")
    expect(page.get_by_label("A daily digest")).to_be_checked()  # the default
    page.get_by_label("At once (at most one e-mail in a while)").check()
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_have_text("Your inbox settings are saved.")
    expect(page.get_by_label("At once (at most one e-mail in a while)")).to_be_checked()
    page.get_by_label("No e-mail").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("No e-mail")).to_be_checked()
    assert InboxSettings.objects.get(user__username="fj.analyst").email == "none"

    page.goto("/inbox/")
    switch_to_arabic(page)
    assert page.url == f"{live_server.url}/inbox/"
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Inbox")
    # Values and times stay left to right inside the right-to-left sentence.
    value = notice_rows(page).filter(has_text=REPEATED).locator("bdi[dir=ltr]").first
    expect(value).to_have_text(REPEATED)
    when = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    expect(notice_rows(page).filter(has_text=REPEATED).locator(".small bdi[dir=ltr]")
           ).to_have_text([when, when])  # the last time and the first
    screenshot(page, "inbox-ar.png")


# --- 2. Saved searches --------------------------------------------------------------------

def object_rows(page: Page):
    return page.locator("main table tbody tr")


def test_a_filtered_list_is_saved_run_renamed_and_deleted(new_context, live_server, password):
    page = signed_in(new_context(), live_server, "fj.analyst", password)
    page.goto("/intel/objects/")
    expect(object_rows(page)).to_have_count(15)
    page.select_option("select[name=tlp]", "amber")
    page.get_by_role("textbox", name="Search").fill("+6149157")
    page.get_by_role("button", name="Filter").click()
    expect(object_rows(page)).to_have_count(3)

    menu = page.locator(".saved-searches")
    menu.get_by_role("button", name="Saved searches").click()
    expect(menu.locator(".dropdown-menu")).to_contain_text("None saved for this list yet.")
    menu.get_by_label("Save these filters as").fill("Sextortion phones, amber")
    menu.get_by_role("button", name="Save", exact=True).click()
    expect(flash(page)).to_have_text("Search “Sextortion phones, amber” saved.")
    # Saving comes back to the list with the same filters.
    expect(object_rows(page)).to_have_count(3)
    menu.get_by_role("button", name="Saved searches").click()
    saved = menu.get_by_role("link", name="Sextortion phones, amber")
    expect(saved).to_be_visible()

    # Run from another page: the list with those filters, as it is now.
    page.goto("/intel/objects/")
    expect(object_rows(page)).to_have_count(15)
    menu.get_by_role("button", name="Saved searches").click()
    menu.get_by_role("link", name="Sextortion phones, amber").click()
    page.wait_for_url(re.compile(r"/intel/objects/\?"))
    expect(page.locator("select[name=tlp]")).to_have_value("amber")
    expect(page.get_by_role("textbox", name="Search")).to_have_value("+6149157")
    expect(object_rows(page)).to_have_count(3)
    for row in object_rows(page).all():
        expect(row).to_contain_text("TLP:AMBER")
        expect(row).to_contain_text("+6149157")

    # Rename and delete on the page of saved searches.
    menu.get_by_role("button", name="Saved searches").click()
    menu.get_by_role("link", name="Rename or delete saved searches…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved searches")
    expect(object_rows(page)).to_have_count(1)
    row = object_rows(page).first
    expect(row.locator("td").nth(1)).to_have_text("Intelligence")
    expect(row.locator("code")).to_have_text("search=%2B6149157&tlp=amber")
    row.get_by_label("New name").fill("Suva sextortion phones")
    row.get_by_role("button", name="Rename").click()
    expect(flash(page)).to_have_text("Search renamed to “Suva sextortion phones”.")
    expect(row.get_by_role("link", name="Suva sextortion phones")).to_be_visible()
    screenshot(page, "saved-searches.png")

    row.get_by_role("link", name="Suva sextortion phones").click()
    page.wait_for_url(re.compile(r"/intel/objects/\?"))
    expect(object_rows(page)).to_have_count(3)

    page.goto("/saved-searches/")
    switch_to_arabic(page)
    expect(row.locator("code")).to_have_attribute("dir", "ltr")
    expect(row.get_by_role("link", name="Suva sextortion phones")).to_be_visible()
    screenshot(page, "saved-searches-ar.png")

    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.locator("button.btn-outline-danger").click()
    expect(page.locator("main table tbody")).not_to_contain_text("Suva sextortion phones")
    assert len(asked) == 1
    assert not SavedSearch.objects.exists()


# --- 3. Ticking records on the intelligence list ------------------------------------------

def row_of(page: Page, name: str):
    return object_rows(page).filter(has=page.get_by_role("link", name=name, exact=True))


def test_ticked_records_are_exported_and_re_marked(new_context, live_server, password):
    page = signed_in(new_context(), live_server, "fj.analyst", password)
    page.goto("/intel/objects/?tlp=amber&sort=name")
    names = [n.strip() for n in object_rows(page).locator("td:nth-child(2) a").all_inner_texts()]
    assert len(names) == 8, names  # Fiji's TLP:AMBER sextortion wave

    # The script shows "select all on this page"; it ticks every row, and shows a partial
    # selection as such.
    everything = page.get_by_role("checkbox", name="Select all on this page")
    expect(everything).to_be_visible()
    everything.check()
    boxes = page.locator("main table tbody input[name=selected]")
    expect(boxes).to_have_count(8)
    for box in boxes.all():
        expect(box).to_be_checked()
    left_out = names[0]
    page.get_by_role("checkbox", name=f"Select {left_out}").uncheck()
    assert everything.evaluate("box => box.indeterminate")
    expect(everything).not_to_be_checked()
    ticked = names[1:]
    screenshot(page, "selection.png")

    # The export holds exactly the ticked records.
    page.select_option("#selection-format", "csv")
    with page.expect_download() as download_info:
        page.locator("#selection-form").get_by_role("button", name="Export").click()
    download = download_info.value
    assert re.fullmatch(r"vaka-objects-\d{8}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    # (A phone number's "+" is quoted so that a spreadsheet does not take it for a formula.)
    assert sorted(row["name"].removeprefix("'") for row in rows) == sorted(ticked)
    assert {row["tlp"] for row in rows} == {"TLP:AMBER"}

    # Re-mark opens for the same records and narrows them all at once.
    page.locator("#selection-form").get_by_role("button", name="Re-mark…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-mark the selected records")
    expect(page.locator("main")).to_contain_text("7 records will be re-marked:")
    listed = page.locator("main .selection-list li bdi")
    expect(listed).to_have_count(7)
    assert sorted(listed.all_inner_texts()) == sorted(ticked)
    page.check("input[name=tlp][value='amber+strict']")
    page.check("input[name=distribution][value=organisation]")
    page.get_by_role("button", name="Re-mark", exact=True).click()
    page.wait_for_url(re.compile(r"/intel/objects/\?"))
    expect(flash(page)).to_contain_text("7 records re-marked.")
    fiji = User.objects.get(username="fj.analyst").organisation
    assert set(StixObject.objects.filter(owner=fiji, tlp="amber+strict")
               .values_list("name", flat=True)) == set(ticked)
    assert StixObject.objects.get(owner=fiji, name=left_out).tlp == "amber"

    page.goto(f"/intel/objects/?owner={fiji.pk}&sort=name")
    switch_to_arabic(page)
    page.locator("input[data-select-all]").check()
    expect(boxes).to_have_count(11)  # Fiji's records: the seven re-marked among them
    expect(object_rows(page).filter(has_text="TLP:AMBER+STRICT")).to_have_count(7)
    # Names stay left to right in the right-to-left table.
    first = row_of(page, ticked[0])
    expect(first.locator("td:nth-child(2) bdi")).to_have_text(ticked[0])
    expect(first.locator("td:nth-child(3) code")).to_have_attribute("dir", "ltr")
    screenshot(page, "selection-ar.png")


# --- 4. A pasted advisory and its original ------------------------------------------------

ADVISORY = (
    "CERT Tonga, 28 November: sextortion wave, update 3\n"
    "\n"
    "Victims were told to pay to payme.now@inbox.example.net or to call +61 491 570 156.\n"
    "The extortion site resolved through 8.8.8.8 and is now at tonga-claims-portal.org.\n"
)


def review_row(page: Page, value: str):
    return page.locator("main table tbody tr").filter(
        has=page.locator("bdi", has_text=re.compile(f"^{re.escape(value)}$")))


def test_a_pasted_advisory_is_flagged_stored_and_its_original_downloaded_by_its_audience(
        new_context, live_server, console, password):
    page = signed_in(new_context(), live_server, "ph.analyst", password)
    page.goto("/intel/submit/")
    page.get_by_label("Or paste").fill(ADVISORY)
    page.check("input[name=tlp][value=amber]")
    page.check("input[name=distribution][value=organisation]")
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review the indicators found")
    expect(review_row(page, "8.8.8.8")).to_contain_text(
        "On a warninglist: List of known IPv4 public DNS resolvers")
    held = review_row(page, "payme.now@inbox.example.net")
    expect(held).to_contain_text("You hold this:")
    expect(held.get_by_role("link", name="payme.now@inbox.example.net")).to_be_visible()
    # Fiji's record, which the Philippine unit may not see: the desk is named, not Fiji.
    elsewhere = review_row(page, "+61491570156")
    expect(elsewhere).to_contain_text(f"Another agency holds this — contact {demo.DESK}")
    expect(page.locator("main")).not_to_contain_text(demo.FIJI_TCU)
    expect(review_row(page, "tonga-claims-portal.org").locator("td").last).to_have_text("—")
    page.get_by_role("checkbox", name="8.8.8.8").uncheck()
    screenshot(page, "review-flags.png", full_page=True)

    page.get_by_role("button", name="Store the ticked indicators").click()
    page.wait_for_url(re.compile(r"/intel/submissions/\d+/$"))
    status = page.locator("#submission-status")
    expect(status).to_contain_text("Stored.")
    expect(status).to_contain_text("2 new, 1 updated")
    # The Philippine record was TLP:AMBER+STRICT: this TLP:AMBER version does not widen it.
    expect(status).to_contain_text("1 new version kept its record's stricter markings")
    expect(page.locator("main table")).not_to_contain_text("8.8.8.8")
    submission = Submission.objects.get(organisation__name=demo.PHILIPPINES_UNIT,
                                        source=Submission.Source.PASTE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Paste of 4 lines")
    original_url = f"/intel/submissions/{submission.pk}/original"
    link = page.locator("#submission-original").get_by_role("link",
                                                              name="Download the original")
    expect(link).to_have_attribute("href", original_url)
    expect(page.locator("#submission-original")).to_contain_text(submission.sha256)
    with page.expect_download() as download_info:
        link.click()
    # A paste has no file name of its own: the advisory comes back as text, as pasted
    # (its own line breaks, not the browser's CRLF), without the blank space around it.
    assert download_info.value.suggested_filename == f"submission-{submission.pk}.txt"
    with open(download_info.value.path(), "rb") as original:
        assert original.read() == ADVISORY.strip().encode()
    screenshot(page, "submission.png")

    switch_to_arabic(page)
    expect(page.locator("#submission-original code")).to_have_attribute("dir", "ltr")
    expect(page.locator("main table").get_by_role("link", name="tonga-claims-portal.org")
           ).to_be_visible()
    screenshot(page, "submission-ar.png")

    # Fiji's analyst is outside the submission's audience: its original is not there.
    other = signed_in(new_context(), live_server, "fj.analyst", password)
    console.allow(r"status of 404")
    response = other.goto(original_url)
    assert response is not None and response.status == 404
    expect(other.locator("body")).not_to_contain_text("tonga-claims-portal.org")
    response = other.goto(f"/intel/submissions/{submission.pk}/")
    assert response is not None and response.status == 404
