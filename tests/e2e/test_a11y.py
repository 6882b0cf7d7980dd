"""Every main page, in English and in Arabic, has no serious or critical accessibility
violation by axe-core (the copy npm installs, never one from another site).

Moderate and minor findings are printed (``pytest -s``) for the next clean-up, not failed.
"""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.main_pages import open_main_page, signed_in_pages
from tests.main_pages import populate

# What the browser is sent does not depend on the database: checked once, on SQLite, so
# the PostgreSQL run of the suite spends its time on what does.
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    os.environ.get("VAKA_DATABASE_URL", "").startswith("postgres"),
    reason="database-independent; checked on the SQLite run")]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING = {"serious", "critical"}
UNNAMED_TABLES = "table:not(:has(> caption)):not([aria-label]):not([aria-labelledby])"
SCREENSHOTS = {"object detail", "lookup"}  # values among right-to-left text
# axe runs through the DevTools protocol, which the page's CSP does not govern (a <script>
# tag it added would be refused as inline script).
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    assert AXE.exists(), "axe-core is missing: run `make assets` (npm ci) first"
    return AXE.read_text(encoding="utf-8")


def describe(violation: dict) -> str:
    return (f"[{violation['impact']}] {violation['id']}: {violation['help']} — "
            + ", ".join(violation["targets"]))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_main_pages_have_no_serious_accessibility_violations(new_context, live_server,
                                                             axe_source, language):
    store = populate()
    failing: list[str] = []
    for main_page, page in signed_in_pages(new_context, live_server, store, language):
        open_main_page(page, store, main_page)
        if page.locator(UNNAMED_TABLES).count():
            failing.append(f"{main_page.name} ({language}) a table has no caption or label")
        if main_page.name in SCREENSHOTS:
            screenshot(page, f"{main_page.name.replace(' ', '-')}-{language}.png", full_page=True)
        page.evaluate(axe_source)
        for violation in page.evaluate(RUN_AXE):
            line = f"{main_page.name} ({language}) {describe(violation)}"
            if violation["impact"] in FAILING:
                failing.append(line)
            else:
                print(line)
    assert not failing, "Serious or critical accessibility violations:\n" + "\n".join(failing)
