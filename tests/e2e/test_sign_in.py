import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import code_now, next_code, secret_from, sign_in, sign_out
from tests.factories import PASSWORD, UserFactory
from vaka.directory.models import TOTPDevice
from vaka.directory.roles import Role

pytestmark = pytest.mark.e2e


def test_admin_signs_in_and_must_enrol_totp(page: Page, live_server):
    admin = UserFactory(username="root", first_name="Aroha", role=Role.PLATFORM_ADMIN)

    sign_in(page, "root", PASSWORD)
    page.wait_for_url(re.compile(r"/accounts/two-factor/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Set up two-factor sign-in")
    expect(page.locator("#totp-qr svg")).to_be_visible()

    # Until the second factor is on, every other page sends the admin back here.
    page.goto("/intel/notes/")
    page.wait_for_url(re.compile(r"/accounts/two-factor/$"))

    key = secret_from(page)
    page.fill("input[name=otp_token]", code_now(key))
    page.locator("main form button[type=submit]").click()
    # The recovery codes, shown this once, then on to work.
    page.wait_for_url(re.compile(r"/accounts/recovery-codes/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Two-factor sign-in is now on.")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="I have saved them").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed
    assert device.bin_key == key

    sign_out(page)
    sign_in(page, "root", PASSWORD)
    page.wait_for_url(re.compile(r"/accounts/verify/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Two-factor sign-in")

    page.fill("input[name=otp_token]", next_code(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Aroha")
