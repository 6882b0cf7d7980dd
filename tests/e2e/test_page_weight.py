"""Pages stay light on thin Pacific links: every main page's first load is at most 150 KB
compressed (checked on the same walk as their accessibility, ``test_main_pages.py``; how a
page is weighed: ``page_weight.py``), and the API documentation pages (heavy, and linked as
such) load nothing from other sites.
"""

import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import sign_in
from tests.e2e.page_weight import compressed_size, record_without_cache
from tests.main_pages import ANALYST, populate

# What the browser is sent does not depend on the database: checked once, on SQLite, so
# the PostgreSQL run of the suite spends its time on what does.
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    os.environ.get("VAKA_DATABASE_URL", "").startswith("postgres"),
    reason="database-independent; checked on the SQLite run")]


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
