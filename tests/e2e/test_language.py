import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from vaka.directory.models import User

pytestmark = pytest.mark.e2e


def test_switch_to_arabic_gives_right_to_left_page(page: Page, live_server):
    UserFactory(username="analyst", first_name="Josefa")
    sign_in(page, "analyst", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.locator("#nav .navbar-nav").first
    expect(nav).to_contain_text("Notes")

    page.locator("#language-menu").click()
    arabic = page.locator("button[name=language][value=ar]")
    expect(arabic).to_have_text("العربية")
    with page.expect_navigation() as navigation:
        arabic.click()
    response = navigation.value
    assert response is not None and response.status == 200, (
        f"switching language answered {response and response.status} at {page.url}")
    assert page.url == f"{live_server.url}/", "switching language should come back to the page"

    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.locator("link[rel=stylesheet]").first).to_have_attribute(
        "href", re.compile(r"bootstrap\.rtl"))
    # The choice is kept in the profile, so it follows the user to the next page.
    assert User.objects.get(username="analyst").language == "ar"
    page.goto("/intel/notes/")
    expect(html).to_have_attribute("dir", "rtl")
    # The interface text itself is Arabic (needs the compiled catalogue, locale/ar/*.mo).
    expect(nav.locator("a.nav-link").first).not_to_have_text("Notes")
    expect(nav.locator("a.nav-link").first).to_have_text(re.compile(r"[\u0600-\u06FF]"))
