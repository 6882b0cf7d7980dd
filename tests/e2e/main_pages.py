"""Going over the main pages (``tests/main_pages.py``) in the browser, as the person each is
for, in one language."""

import re
from collections.abc import Callable, Iterator

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import next_code, sign_in
from tests.main_pages import ADMIN, MAIN_PAGES, MainPage, Store

LOCALES = {"en": "en-GB", "ar": "ar"}


def open_main_page(page: Page, store: Store, main_page: MainPage,
                   before_form: Callable[[], None] = lambda: None) -> None:
    """Show ``main_page``; for one that answers a form, fill it in and send it (what loads
    after ``before_form`` is the page itself)."""
    page.goto(store.path(main_page))
    if main_page.form:
        form = page.locator(f"main form:has([name={main_page.form[0][0]}])")
        for name, value in main_page.form:
            field = form.locator(f"[name={name}]")
            if field.first.get_attribute("type") in {"radio", "checkbox"}:
                form.locator(f"[name={name}][value='{value}']").check()
            elif field.first.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        before_form()
        with page.expect_navigation():
            form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def signed_in_pages(new_context: Callable[..., BrowserContext], live_server, store: Store,
                    language: str) -> Iterator[tuple[MainPage, Page]]:
    """Each main page with a browser page signed in as the person it is for (nobody for the
    sign-in page), the interface in ``language``."""
    pages: dict[str, Page] = {}
    for main_page in MAIN_PAGES:
        if main_page.who not in pages:
            page = new_context(locale=LOCALES[language]).new_page()
            if main_page.who:
                sign_in(page, main_page.who, store.password)
                if main_page.who == ADMIN:
                    page.wait_for_url(re.compile(r"/accounts/verify/$"))
                    page.fill("input[name=otp_token]", next_code(store.admin_device))
                    page.locator("main form button[type=submit]").click()
                page.wait_for_url(f"{live_server.url}/")
            pages[main_page.who] = page
        yield main_page, pages[main_page.who]
        expect(pages[main_page.who].locator("html")).to_have_attribute("lang", language)
