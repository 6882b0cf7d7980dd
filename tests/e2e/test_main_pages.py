"""Every main page, in English and in Arabic, visited once in the browser for two checks:

- **accessibility**: no serious or critical violation by axe-core (the copy npm installs,
  never one from another site), and every table named. Moderate and minor findings are
  printed (``pytest -s``) for the next clean-up, not failed.
- **weight**: its first load is at most 150 KB compressed, on thin Pacific links (how it is
  weighed: ``tests/e2e/page_weight.py``).

One walk per language for both, so each page is populated, signed in to and loaded once.
"""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.main_pages import open_main_page, signed_in_pages
from tests.e2e.page_weight import BUDGET, compressed_size, record_without_cache
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
def test_main_pages_are_accessible_and_weigh_at_most_150_kb_compressed(
        new_context, live_server, axe_source, language):
    store = populate()
    failing: list[str] = []  # accessibility
    heavy: list[str] = []  # weight
    recorded: dict[int, list] = {}
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
    problems = []
    if failing:
        problems.append("Serious or critical accessibility violations:\n" + "\n".join(failing))
    if heavy:
        problems.append("Pages over 150 KB compressed:\n" + "\n".join(heavy))
    assert not problems, "\n\n".join(problems)
