"""Browser fixtures: Debian's chromium driven by Playwright's sync API against the live server.

Every page opened through these fixtures records console errors (a Content-Security-Policy
violation is one) and uncaught page errors; the test fails on any it did not expect.
"""

import base64
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django_otp.oath import hotp, totp
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from vaka.directory.models import TOTPDevice

# Playwright's sync API runs an event loop in this thread; the ORM refuses to run under one.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleWatch:
    """Console errors and page errors of every page in the test; some may be expected."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []  # (page URL, message)
        self.allowed: list[re.Pattern[str]] = []
        self.checked = 0

    def attach(self, page: Page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(
            (page.url, f"console error: {msg.text}")))
        page.on("pageerror", lambda exc: self.errors.append((page.url, f"page error: {exc}")))

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 404 a test asks for)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[tuple[str, str]]:
        return [(url, text) for url, text in self.errors[self.checked:]
                if not any(p.search(text) for p in self.allowed)]

    def check(self) -> None:
        """Fail on unexpected errors reported since the last check."""
        problems = self.unexpected()
        self.checked = len(self.errors)
        assert not problems, "The browser reported errors:\n" + self.summary(problems)

    @staticmethod
    def summary(problems: list[tuple[str, str]]) -> str:
        """Each distinct message once, with the pages that reported it."""
        pages: dict[str, list[str]] = {}
        for url, text in problems:
            if url not in pages.setdefault(text, []):
                pages[text].append(url)
        return "\n".join(f"- {text}\n  on {', '.join(urls)}" for text, urls in pages.items())


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test whose own steps passed fails if the browser reported an error meanwhile."""
    watch = getattr(item, "funcargs", {}).get("console")
    try:
        result = yield
    except BaseException:
        if watch is not None and (problems := watch.unexpected()):
            item.add_report_section("call", "browser errors", watch.summary(problems))
            watch.checked = len(watch.errors)
        raise
    if watch is not None:
        watch.check()
    return result


@pytest.fixture
def new_context(browser: Browser, live_server, transactional_db,
                console: ConsoleWatch) -> Iterator[Callable[..., BrowserContext]]:
    """Open a fresh browser context (its own cookies: another person) on the live server."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] | None = None, **options) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP,
                                      **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("page", console.attach)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    console.check()  # errors that came after the test's own check


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- Helpers ------------------------------------------------------------------------------

def sign_in(page: Page, username: str, password: str) -> None:
    """Fill in the sign-in form; the caller checks where it lands."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()


def sign_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.locator("#user-menu + .dropdown-menu").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def code_now(key: bytes) -> str:
    return f"{totp(key, 30, 0, 6):06d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now although the current one may already have been used."""
    device.refresh_from_db()
    step = max(int(time.time()) // device.step + device.drift, device.last_t + 1)
    return f"{hotp(device.bin_key, step, device.digits):06d}"


def secret_from(page: Page) -> bytes:
    text = page.locator("#totp-secret").inner_text()
    return base64.b32decode(re.sub(r"\s+", "", text))


def screenshots_wanted() -> bool:
    return os.environ.get("VAKA_SCREENSHOTS") == "1"


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Write docs/screenshots/<name> when VAKA_SCREENSHOTS=1; otherwise do nothing."""
    if not screenshots_wanted():
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=full_page, animations="disabled",
                    caret="hide")
