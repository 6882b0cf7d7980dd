"""An operation as the desk's coordinator runs it: opened for a national unit with another
country's, targets pasted (a bad line refused whole), a task, an action in Apia's local
time, funds seized, the deconfliction mark on a value another operation holds, and the
after-action report; an organisation outside it, platform admin included, finds nothing."""

import os
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import next_code, sign_in
from tests.factories import (
    PASSWORD,
    CountryFactory,
    OrganisationFactory,
    UserFactory,
    confirmed_totp,
)
from vaka.directory.roles import Role
from vaka.operations import services, targets
from vaka.operations.models import Target
from vaka.operations.services import OperationDetails

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("VAKA_SCREENSHOTS", "")
HELD = "c2.pago-relay.net"  # also a target of an operation the desk is not in
OTHER = "TIDECALLER"


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def region(transactional_db):
    fiji, samoa, tonga = (CountryFactory(code="FJ"), CountryFactory(code="WS"),
                          CountryFactory(code="TO"))
    desk = OrganisationFactory(name="Regional Cybercrime Desk", kind="desk")
    fiji_unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
    samoa_unit = OrganisationFactory(name="Samoa Police Cybercrime Unit", country=samoa)
    tonga_unit = OrganisationFactory(name="Tonga Police Cybercrime Unit", country=tonga)
    UserFactory(username="coordinator", first_name="Ana", organisation=desk,
                role=Role.COORDINATOR)
    admin = UserFactory(username="to_admin", organisation=tonga_unit, role=Role.PLATFORM_ADMIN)
    tonga = UserFactory(username="to_coordinator", organisation=tonga_unit,
                        role=Role.COORDINATOR)
    # Tonga's own operation, in a compartment the desk is not in, holds HELD.
    other = services.open_operation(user=tonga, details=OperationDetails(
        code_name=OTHER, objective="Arrest the money mules.", lead=tonga_unit.pk))
    targets.add_targets(other, user=tonga, targets=[targets.TargetInput("domain", HELD)])
    return {"fiji_unit": fiji_unit, "samoa_unit": samoa_unit, "admin": admin}


def signed_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_the_desk_runs_an_operation_for_a_national_unit(new_context, console, region,
                                                        live_server) -> None:
    page = signed_in(new_context(), live_server, "coordinator")
    page.goto("/operations/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/operations/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open an operation")
    page.fill("input[name=code_name]", "Reef Shark")
    page.fill("textarea[name=objective]", "Dismantle the sextortion network paying into "
                                          "Samoan mule accounts.")
    page.get_by_label("Lead organisation").select_option(label="Fiji Police Cybercrime Unit")
    page.locator("select[name=participants]").select_option(
        label="Samoa Police Cybercrime Unit")
    page.locator("select[name=countries]").select_option(["FJ", "WS"])
    page.check("input[name=crime_types][value=sextortion]")
    page.check("input[name=distribution][value=members]")
    page.check("input[name=tlp][value=amber]")
    _shot(page, "operation-new")
    page.get_by_role("button", name="Open the operation").click()
    page.wait_for_url(re.compile(r"/operations/\d+/$"))
    address = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Reef Shark")
    expect(page.get_by_text("Led by Fiji Police Cybercrime Unit")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Samoa Police Cybercrime Unit")
    _shot(page, "operation-overview")

    # Targets: a list with one bad line is refused whole, naming the line.
    page.get_by_role("link", name=re.compile("^Targets")).click()
    page.get_by_role("link", name="Add targets").click()
    console.allow(r"status of 400 \(Bad Request\)")  # the refused paste's answer
    page.fill("textarea[name=targets]",
              f"domain {HELD}\nipv4 300.1.1.1\nperson Sione Mule")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("main")).to_contain_text("Line 2: ")
    _shot(page, "operation-targets-refused")
    assert not Target.objects.filter(operation__code_name="Reef Shark").exists()
    page.fill("textarea[name=targets]",
              f"domain {HELD}\nipv4 203.0.113.9\nperson Sione Mule")
    page.fill("input[name=note]", "From the victims' chat logs")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(re.compile(r"/operations/\d+/targets/$"))
    table = page.get_by_role("table", name="Targets")
    for value in (HELD, "203.0.113.9", "Sione Mule"):
        expect(table).to_contain_text(value)
    # The value Tonga's operation holds: marked, the other operation never named.
    row = table.locator("tr", has_text=HELD)
    expect(row).to_contain_text("the desk will put you in touch")
    expect(page.locator("body")).not_to_contain_text(OTHER)
    expect(table.locator("tr", has_text="203.0.113.9")).not_to_contain_text("put you in touch")
    _shot(page, "operation-targets")

    # A task for the Samoan unit.
    page.get_by_role("link", name=re.compile("^Tasks")).click()
    page.fill("input[name=title]", "Preserve the mule accounts' statements")
    page.locator("select[name=assigned_to]").select_option(label="Samoa Police Cybercrime Unit")
    page.fill("input[name=due]", "2099-12-24")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("table").first).to_contain_text(
        "Preserve the mule accounts' statements")
    expect(page.locator("main")).to_contain_text("2099-12-24")
    _shot(page, "operation-tasks")

    # An arrest at 09:00 in Apia (UTC+13): shown in Apia's time, with its offset.
    page.get_by_role("link", name="Timeline").click()
    page.select_option("select[name=kind]", "arrest")
    page.fill("input[name=local_time]", "2026-06-02T09:00")
    page.fill("input[name=time_zone]", "Pacific/Apia")
    page.select_option("select[name=country]", "WS")
    page.locator("select[name=organisation]").select_option(
        label="Samoa Police Cybercrime Unit")
    page.fill("textarea[name=summary]", "Two mule account holders arrested in Apia.")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("main")).to_contain_text("Two mule account holders arrested in Apia.")
    expect(page.locator("main")).to_contain_text("Tue 2 Jun 2026 09:00")
    expect(page.locator("main")).to_contain_text("UTC+13:00")
    _shot(page, "operation-timeline")

    # Funds seized, with their currency.
    page.get_by_role("link", name="Results").click()
    page.select_option("select[name=kind]", "funds_seized")
    page.fill("input[name=quantity]", "12500")
    page.fill("input[name=currency]", "WST")
    page.select_option("select[name=country]", "WS")
    page.locator("select[name=organisation]").select_option(
        label="Samoa Police Cybercrime Unit")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("main")).to_contain_text("12,500.00 WST")
    _shot(page, "operation-results")

    # The after-action report: a product draft from the operation.
    page.get_by_role("button", name="Draft the after-action report").click()
    page.wait_for_url(re.compile(r"/products/\d+/$"))
    expect(page.locator("main")).to_contain_text("Dismantle the sextortion network")
    expect(page.locator("main")).to_contain_text("12,500.00 WST")
    expect(page.locator(".banner-tlp").first).to_contain_text("TLP:AMBER")
    _shot(page, "operation-after-action")
    console.check()

    # The same pages right to left, for a coordinator reading Arabic.
    arabic = signed_in(new_context(locale="ar"), live_server, "coordinator")
    for tab in ("targets/", "timeline/", "results/"):
        arabic.goto(address + tab)
        expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
        _shot(arabic, f"operation-{tab.strip('/')}-ar")

    # Tonga's platform admin is not a participant: the operation does not exist for them.
    device = confirmed_totp(region["admin"])
    outsider = new_context().new_page()
    sign_in(outsider, "to_admin", PASSWORD)
    outsider.wait_for_url(re.compile(r"/accounts/verify/$"))
    outsider.fill("input[name=otp_token]", next_code(device))
    outsider.locator("main form button[type=submit]").click()
    outsider.wait_for_url(f"{live_server.url}/")
    console.allow(r"404")
    response = outsider.goto(address)
    assert response is not None and response.status == 404
    expect(outsider.locator("body")).not_to_contain_text("Reef Shark")
    _shot(outsider, "operation-outsider-404")
    outsider.goto("/operations/")
    expect(outsider.locator("main")).not_to_contain_text("Reef Shark")
