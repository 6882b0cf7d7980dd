import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.factories import UserFactory, make_note

TEMPLATES = Path(settings.BASE_DIR)
PAGE_BUDGET = 150 * 1024


def test_security_headers_on_every_page(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_inline_script_or_style():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        # A PDF's template is never shown by a browser (WeasyPrint renders it, with no
        # script), so no Content-Security-Policy applies to it: its annex sets widths.
        if path.parent.name != "pdf":
            assert " style=" not in text and "<style" not in text, path
        assert not re.search(r"""(src|href)=["']https?://""", text), path


def test_pages_need_sign_in(db, client):
    for url in ("/", "/intel/notes/", "/users/", "/audit/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_debug_is_off_unless_asked():
    assert settings.DEBUG is False


def test_browser_language_picks_the_interface(db, client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es" dir="ltr">' in page.content.decode()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page
    assert "تسجيل الدخول" in page


def test_users_chosen_language_wins_and_is_kept(region, client):
    client.force_login(region.analyst_a)
    client.post("/language/", {"language": "fr", "next": "/intel/notes/"})
    region.analyst_a.refresh_from_db()
    assert region.analyst_a.language == "fr"
    page = client.get("/intel/notes/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="fr"' in page


def test_language_switch_never_redirects_off_site(db, client):
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_first_load_of_a_page_stays_under_150_kb(region, client, language):
    """HTML and every asset it references, compressed as served (gzip; brotli is smaller)."""
    make_note(region.analyst_a, title="x" * 50)
    client.force_login(region.analyst_a)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    total = len(response.content)
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert len(assets) >= 4
    for asset in assets:
        total += _gzip_size(Path(finders.find(asset)).read_bytes())
    assert total < PAGE_BUDGET, total


def test_dashboard_lists_only_what_the_user_can_reach(region, client):
    make_note(region.analyst_a, title="Own amber", tlp="amber")
    admin_link = "/audit/"
    client.force_login(region.analyst_b)
    page = client.get("/").content.decode()
    assert "Own amber" not in page
    assert admin_link not in page
    client.force_login(region.analyst_a)
    assert "Own amber" in client.get("/").content.decode()
    viewer = UserFactory(role="viewer", organisation=region.unit_a)
    client.force_login(viewer)
    assert "/intel/notes/new/" not in client.get("/").content.decode()
