"""An analyst corrects a record their agency shared too widely: narrows it to named
people, edits it, and revokes it — each a new version the others no longer see.

Screenshots (docs/screenshots/) are written only when VAKA_SCREENSHOTS=1.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from vaka.directory.models import User
from vaka.directory.roles import Role
from vaka.intel.models import StixObject
from vaka.intel.services import ingest_bytes
from vaka.policy.services import Markings

pytestmark = pytest.mark.e2e

VALUE = "payroll-update-portal.top"


@pytest.fixture
def shared_record():
    unit_a = OrganisationFactory(name="Fiji Police Cybercrime Unit")
    OrganisationFactory(name="Samoa Transnational Crime Unit")
    analyst = UserFactory(username="mere", first_name="Mere", organisation=unit_a,
                          role=Role.ANALYST)
    UserFactory(username="sione", first_name="Sione", organisation=unit_a, role=Role.ANALYST)
    ingest_bytes(f"value,comment\n{VALUE},Lure seen in a payroll phishing wave\n".encode(),
                 organisation=unit_a, user=analyst, source="api", filename="wave.csv",
                 markings=Markings(tlp="green", distribution="members", pap="green"))
    return StixObject.objects.get()


def signed_in(page: Page, live_server, username: str) -> Page:
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_owner_narrows_edits_and_revokes_a_record(page: Page, live_server, shared_record):
    signed_in(page, live_server, "mere")
    page.goto(f"/intel/objects/{shared_record.pk}/")
    expect(page.locator(".corrections")).to_be_visible()
    page.get_by_role("link", name="Re-mark").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-mark")
    page.get_by_label("TLP:RED", exact=False).check()
    page.get_by_label("Owner organisation only").check()
    sione = User.objects.get(username="sione")
    page.get_by_label("Named recipients", exact=True).select_option(value=str(sione.pk))
    screenshot(page, "object-remark.png", full_page=True)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/intel/objects/{shared_record.pk}/$"))
    expect(page.locator(".banner-tlp")).to_have_text("TLP:RED")
    # Every version now carries the new marking.
    expect(page.locator(".version-list .tlp")).to_have_text(["TLP:RED", "TLP:RED"])

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Description").fill("Lure of the March payroll phishing wave")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/intel/objects/{shared_record.pk}/$"))
    expect(page.locator("main")).to_contain_text("Lure of the March payroll phishing wave")
    expect(page.locator(".version-list li")).to_have_count(3)
    screenshot(page, "object-corrected.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".corrections").get_by_role("button", name="Revoke").click()
    page.wait_for_url(re.compile(rf"/intel/objects/{shared_record.pk}/$"))
    expect(page.locator("main")).to_contain_text("revoked")
    shared_record.refresh_from_db()
    assert shared_record.revoked and shared_record.tlp == "red"


def test_others_see_no_correcting_buttons(page: Page, live_server, shared_record):
    UserFactory(username="tevita", organisation=OrganisationFactory(name="Tonga Police"),
                role=Role.ANALYST)
    signed_in(page, live_server, "tevita")
    page.goto(f"/intel/objects/{shared_record.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(VALUE)
    expect(page.locator(".corrections")).to_have_count(0)
