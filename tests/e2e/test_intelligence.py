"""Sharing indicators: an advisory pasted, reviewed and stored; hit/no-hit look-ups across
agencies; records outside one's audience.

The last test takes the README's screenshots of these pages on the demo region; the PNGs in
docs/screenshots/ are only written when VAKA_SCREENSHOTS=1.
"""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from vaka.directory import demo
from vaka.directory.models import Organisation, User
from vaka.directory.roles import Role
from vaka.intel.models import HitNotification, StixObject, Submission
from vaka.intel.services import ingest_bytes
from vaka.policy.services import Markings

pytestmark = pytest.mark.e2e

URL = "https://login-portal-update.net/verify"
IP = "198.51.100.23"
C2 = "c2-relay-44.net"
ADVISORY = (
    "Advisory 2024-17: credential phishing against Pacific police staff\n\n"
    "Since March, staff have received e-mails asking them to re-validate their accounts at\n"
    "hxxps://login-portal-update[.]net/verify. The page was served from 198.51.100.23.\n"
    "The actors used version 1.2.3.4 of the kit, sold on a Telegram channel.\n"
)
HIT_NOTICE = "Another agency holds information"


@pytest.fixture
def units():
    unit_a = OrganisationFactory(name="Unit A")
    unit_b = OrganisationFactory(name="Unit B")
    return {
        "a": UserFactory(username="analyst.a", first_name="Mere", organisation=unit_a,
                         role=Role.ANALYST),
        "b": UserFactory(username="analyst.b", first_name="Tevita", organisation=unit_b,
                         role=Role.ANALYST),
    }


def signed_in(context: BrowserContext, live_server, username: str,
              password: str = PASSWORD) -> Page:
    page = context.new_page()
    sign_in(page, username, password)
    page.wait_for_url(f"{live_server.url}/")
    return page


def hold(user: User, *values: str, **markings) -> list[StixObject]:
    """``user``'s organisation stores indicators for ``values`` (as the API would)."""
    data = "value\n" + "".join(f"{value}\n" for value in values)
    submission = ingest_bytes(data.encode(), organisation=user.organisation, user=user,
                              markings=Markings(**markings), source="api", filename="a.csv")
    assert submission.status == Submission.Status.STORED, submission.errors
    return [StixObject.objects.get(owner=user.organisation, name=value) for value in values]


def results_row(page: Page, value: str):
    return page.locator("#lookup-results tbody tr").filter(
        has=page.locator("code", has_text=re.compile(f"^{re.escape(value)}$")))


def test_pasted_advisory_is_reviewed_then_stored(page, units, live_server):
    sign_in(page, "analyst.a", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/submit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit intelligence")
    page.get_by_label("Or paste").fill(ADVISORY)
    page.check("input[name=tlp][value=green]")
    page.check("input[name=distribution][value=members]")
    page.get_by_role("button", name="Submit", exact=True).click()

    # What was found in the text is shown for review first; nothing is stored yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the indicators found")
    found = page.locator("main table")
    expect(found).to_contain_text(URL)
    expect(found).to_contain_text(IP)
    # A version number is offered as uncertain, unticked, with the reason: never stored
    # unless the analyst ticks it.
    expect(page.locator("main")).to_contain_text("3 indicators found.")
    expect(page.locator("main")).to_contain_text("1 of them is uncertain and left unticked")
    expect(page.get_by_role("checkbox", name="1.2.3.4")).not_to_be_checked()
    expect(found).to_contain_text("version or build number")
    expect(page.get_by_role("checkbox", name=URL)).to_be_checked()
    assert not StixObject.objects.exists()

    page.get_by_role("checkbox", name=IP).uncheck()
    page.get_by_role("button", name="Store the ticked indicators").click()

    page.wait_for_url(re.compile(r"/intel/submissions/\d+/$"))
    status = page.locator("#submission-status")
    expect(status).to_contain_text("Stored.")
    expect(status).to_contain_text("1 new")
    objects = page.locator("main table")
    expect(objects.get_by_role("link", name=URL)).to_be_visible()
    expect(objects).to_contain_text("TLP:GREEN")
    expect(objects).to_contain_text("All members of this instance")
    expect(objects).not_to_contain_text(IP)

    stored = StixObject.objects.get()
    assert (stored.name, stored.tlp, stored.distribution) == (URL, "green", "members")
    assert stored.owner == units["a"].organisation


def test_hit_on_another_agencys_record_says_contact_the_desk_and_tells_the_owner(
        page, new_context, units, live_server):
    hold(units["a"], C2, tlp="amber", distribution="organisation")

    sign_in(page, "analyst.b", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/lookup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Look up values")
    page.fill("textarea[name=values]", "c2-relay-44[.]net\nnothing-here-55.net")
    page.get_by_role("button", name="Look up").click()

    results = page.locator("#lookup-results")
    expect(results.locator("tbody tr")).to_have_count(2)
    hit = results_row(page, C2)
    expect(hit).to_contain_text(HIT_NOTICE)
    expect(hit.locator("td").nth(2)).to_have_text("—")  # no record Unit B may see
    # Who holds it is the desk's to broker: the owner is never named to the asker.
    expect(page.locator("body")).not_to_contain_text("Unit A")
    miss = results_row(page, "nothing-here-55.net")
    expect(miss.locator("td").nth(2)).to_have_text("—")
    expect(miss.locator("td").nth(3)).to_have_text("—")
    expect(miss).not_to_contain_text(HIT_NOTICE)

    owner = signed_in(new_context(), live_server, "analyst.a")
    owner.goto("/intel/inbox/")  # the old address of the hit list leads to the inbox
    expect(owner.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(owner.locator("#inbox-badge")).to_contain_text("1")
    row = owner.locator("main .list-group-item").filter(has_text=C2)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Unit B looked up")
    expect(owner.locator("main .list-group")).not_to_contain_text("nothing-here-55.net")
    assert HitNotification.objects.get().asked_by == units["b"]


@pytest.mark.parametrize("tlp", ["amber", "red"])
def test_record_outside_audience_is_404_on_its_page(tlp, page, new_context, console, units,
                                                     live_server):
    markings = {"tlp": tlp, "distribution": "organisation"}
    if tlp == "red":
        colleague = UserFactory(username="colleague.a", organisation=units["a"].organisation)
        markings["recipients"] = [colleague]
    (record,) = hold(units["a"], C2, **markings)
    object_url = f"/intel/objects/{record.pk}/"

    sign_in(page, "analyst.a", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    response = page.goto(object_url)
    assert response is not None and response.status == 200
    expect(page.locator(".banner-tlp")).to_have_text(f"TLP:{tlp.upper()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(C2)

    other = signed_in(new_context(), live_server, "analyst.b")
    console.allow(r"status of 404")  # chromium logs the 404 this test asks for
    response = other.goto(object_url)
    assert response is not None and response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(other.locator("body")).not_to_contain_text(C2)


# --- Screenshots --------------------------------------------------------------------------

@pytest.fixture
def region(transactional_db):
    demo.load()
    desk = Organisation.objects.get(name=demo.DESK)
    assert desk.kind == Organisation.Kind.DESK
    desk.contact_email = "desk@vaka.example"
    desk.save(update_fields=["contact_email"])
    users = {u.username: u for u in User.objects.all()}
    # The Fiji unit keeps two values to itself; the Tonga CERT shares one with all members.
    hold(users["fj.analyst"], C2, "pay-verify-77.org", tlp="amber",
         distribution="organisation")
    hold(users["to.cert"], "invoice-check-portal.org", tlp="green", distribution="members")
    return {"password": demo.demo_password(), "desk": desk}


def test_intelligence_screenshots(new_context, live_server, region):
    page = signed_in(new_context(), live_server, "ph.analyst", region["password"])

    page.goto("/intel/submit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit intelligence")
    page.get_by_label("Or paste").fill(
        ADVISORY + "Stolen credentials were sent to c2-relay-44[.]net.\n")
    page.check("input[name=tlp][value=green]")
    page.check("input[name=distribution][value=members]")
    screenshot(page, "submit.png")

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the indicators found")
    expect(page.locator("main")).to_contain_text("4 indicators found.")
    page.get_by_role("checkbox", name=IP).uncheck()
    screenshot(page, "review.png")

    page.get_by_role("button", name="Store the ticked indicators").click()
    page.wait_for_url(re.compile(r"/intel/submissions/\d+/$"))
    expect(page.locator("#submission-status")).to_contain_text("2 new")

    # The Philippine unit's new record carries a value the Fiji unit keeps to itself.
    page.locator("main table").get_by_role("link", name=C2).click()
    page.wait_for_url(re.compile(r"/intel/objects/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(C2)
    expect(page.locator(".hit-notice")).to_have_text(
        f"{HIT_NOTICE} on this value. Contact the desk: {demo.DESK} desk@vaka.example")
    expect(page.locator("main")).not_to_contain_text(demo.FIJI_TCU)
    screenshot(page, "object-hit.png")

    page.goto("/intel/lookup/")
    page.fill("textarea[name=values]",
              "invoice-check-portal[.]org\npay-verify-77[.]org\nnothing-here-55.net")
    page.get_by_role("button", name="Look up").click()
    expect(results_row(page, "invoice-check-portal.org")).to_contain_text(
        "Tonga National CERT")
    expect(results_row(page, "pay-verify-77.org")).to_contain_text(
        f"{HIT_NOTICE}: contact {demo.DESK}")
    expect(results_row(page, "nothing-here-55.net").locator("td").nth(3)).to_have_text("—")
    expect(page.locator("main")).not_to_contain_text(demo.FIJI_TCU)
    screenshot(page, "lookup.png")


def test_lookup_on_a_phone_puts_each_answer_beside_its_value(new_context, units, live_server):
    from tests.e2e.conftest import PHONE

    hold(units["b"], C2, tlp="amber", distribution="organisation")
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, "analyst.a", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/intel/lookup/")
    page.get_by_label("Values", exact=True).fill(f"{C2}\nnothing-here-55.net")
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#lookup-summary")).to_contain_text("2 values:")
    first = page.locator("#lookup-results tbody tr").first
    value, answer = first.locator("td").nth(0), first.locator("td").nth(3)
    expect(answer).to_contain_text(HIT_NOTICE)
    # One card per value: the answer sits below its value, not in a column off-screen.
    assert answer.bounding_box()["y"] > value.bounding_box()["y"]
    assert answer.bounding_box()["x"] + answer.bounding_box()["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "lookup-phone.png", full_page=True)
