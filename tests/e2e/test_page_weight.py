"""Pages stay light on thin Pacific links: every main page's first load is at most 150 KB
compressed, and the API documentation pages (heavy, and linked as such) load nothing from
other sites.

What a page weighs is what the browser fetched to show it with an empty cache (the cache is
off), each response as the server sends it compressed: the live test server sends static
files uncompressed, so every body is gzipped here at Django's GZipMiddleware level (6).
WhiteNoise serves the static files at gzip level 9 or as brotli, so real transfers are a
little smaller, never larger.
"""

import gzip
import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.e2e.conftest import sign_in
from tests.e2e.main_pages import open_main_page, signed_in_pages
from tests.main_pages import ANALYST, populate

# What the browser is sent does not depend on the database: checked once, on SQLite, so
# the PostgreSQL run of the suite spends its time on what does.
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    os.environ.get("VAKA_DATABASE_URL", "").startswith("postgres"),
    reason="database-independent; checked on the SQLite run")]

BUDGET = 150 * 1024


def compressed_size(response: Response) -> int:
    try:
        body = response.body()
    except Exception:  # a redirect has no body to fetch
        return 0
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def record_without_cache(page: Page) -> list[Response]:
    """Responses to ``page`` from now on, with the browser's cache off (a first visit)."""
    page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    return responses


@pytest.mark.parametrize("language", ["en", "ar"])
def test_main_pages_weigh_at_most_150_kb_compressed(new_context, live_server, language):
    store = populate()
    heavy: list[str] = []
    recorded: dict[int, list[Response]] = {}
    for main_page, page in signed_in_pages(new_context, live_server, store, language):
        if id(page) not in recorded:
            recorded[id(page)] = record_without_cache(page)
        responses = recorded[id(page)]
        responses.clear()
        open_main_page(page, store, main_page, before_form=responses.clear)
        sizes = {r.url: compressed_size(r) for r in responses}
        total = sum(sizes.values())
        print(f"{main_page.name} ({language}): {total / 1024:.1f} KB in {len(sizes)} responses")
        if total > BUDGET:
            heaviest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
            heavy.append(f"{main_page.name} ({language}): {total / 1024:.1f} KB — "
                         + ", ".join(f"{url} {size / 1024:.1f} KB" for url, size in heaviest))
    assert not heavy, "Pages over 150 KB compressed:\n" + "\n".join(heavy)


@pytest.mark.parametrize(("path", "shown"), [
    ("/api/docs/", ".swagger-ui .info .title"),
    ("/api/redoc/", ".api-content h1"),
])
def test_api_documentation_loads_nothing_from_other_sites(
        new_context: Callable[..., BrowserContext], live_server, path, shown):
    store = populate()
    page = new_context().new_page()
    sign_in(page, ANALYST, store.password)
    page.wait_for_url(f"{live_server.url}/")
    # The menu says these pages are heavy before anyone opens them.
    link = page.locator(f"#user-menu + .dropdown-menu a[href='{path}']")
    expect(link).to_have_text(re.compile(r"\d+ KB"))

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    responses = record_without_cache(page)
    page.goto(path)
    expect(page.locator(shown).first).to_be_attached()
    page.wait_for_load_state("networkidle")
    elsewhere = [url for url in requested
                 if not url.startswith((live_server.url, "data:", "blob:"))]
    assert not elsewhere, f"{path} requested other sites: {elsewhere}"
    total = sum(compressed_size(r) for r in responses)
    print(f"{path}: {total / 1024:.0f} KB compressed")
