"""Every main page, rendered in French, Spanish and Arabic, shows no English interface text.

The catalogue test (``test_catalogues.py``) sees only the strings ``makemessages`` found; this
one looks at what people actually see, so it also catches text that was never wrapped in
``{% translate %}``/``gettext`` and strings added since the catalogue was last refreshed.

How it tells interface text from data, without a list of every string:

1. Each page is rendered for the same person twice, in English and in the language checked,
   and split into what a reader meets: text nodes and the attributes that are read out or
   shown (``title``, ``placeholder``, ``aria-label``, ``alt``, button values). Code and values
   marked as such (``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``, ``translate="no"``) are left
   out: they are never translated.
2. Data is taken out: every text stored in the database (names, titles, values, countries…)
   is removed from each piece of text, longest first, and so are the shapes of values
   (addresses, hashes, ids, dates, numbers).
3. What is left is split into words of three letters or more. A word is English interface
   text left untranslated when it also appears in the English rendering of the same page, is
   not a word the language's own catalogue uses in its translations (French and Spanish share
   words such as "Type" or "Description" with English), and is not a name or code that no
   language translates (Vaka, STIX, TAXII, TLP…).

Django's own translations (dates, form errors) never count, since their words do not appear
in the English rendering.
"""

import gettext
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from tests.factories import totp_code
from tests.main_pages import ADMIN, MAIN_PAGES, MainPage, Store, populate
from vaka.directory.models import User

LANGUAGES = ["fr", "es", "ar"]
CATALOGUES = Path(settings.BASE_DIR) / "locale"
# Names and codes that stay as they are in every language.
NAMES = {"Vaka", "STIX", "TAXII", "MISP", "CSV", "JSON", "API", "TLP", "PAP", "URL", "URLs",
         "CVE", "ATT", "Redoc", "Swagger", "TOTP", "MITRE", "ASPJOC", "PTCN", "CLEAR", "GREEN",
         "AMBER", "STRICT", "RED", "WHITE", "SHA", "Europol",
         "bytes"}  # Django's file sizes: Spanish writes "bytes" too
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "textarea"}
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}
VALUE_SHAPES = re.compile(
    r"https?://\S+|[\w.+-]+@[\w.-]+|\b[0-9a-f]{32,}\b|\b[a-z-]+--[0-9a-f-]{36}\b"
    r"|(?-i:\b[a-z0-9]+(?:[_-][a-z0-9]+)+\b)"  # codes such as login_failed, ipv4-addr
    r"|\b\d[\d.:/-]*\b|\b[\w-]+\.(?:net|com|org|example|txt|csv|json)\b", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z][A-Za-z’']{2,}")


class VisibleText(HTMLParser):
    """The pieces of text a reader meets on a page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        # Text in a language of its own (``lang`` below the page's): what someone wrote,
        # e.g. a product in the language it was written in, not interface text.
        skipped = (self.skipping() or tag in SKIPPED_ELEMENTS
                   or attributes.get("translate") == "no"
                   or (tag != "html" and "lang" in attributes))
        if not skipped:
            self.pieces += [v for k, v in attrs if k in SHOWN_ATTRIBUTES and v]
            if tag == "input" and attributes.get("type") in {"submit", "button"}:
                self.pieces.append(attributes.get("value") or "")
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Pop to the matching element: tolerate an end tag the parser did not see open.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping() and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


def stored_texts() -> list[str]:
    """Every text value in the database, and the languages' own names, longest first."""
    texts: set[str] = {name for _code, name in settings.LANGUAGES}
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField)]
        for row in model._default_manager.values_list(*fields) if fields else ():
            texts.update(" ".join(v.split()) for v in row if isinstance(v, str) and v.strip())
    return sorted((t for t in texts if len(t) > 1), key=len, reverse=True)


def translation_words(language: str) -> set[str]:
    """Words the language's compiled catalogue uses in its translations (fuzzy ones are not
    compiled)."""
    with open(CATALOGUES / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # no public accessor
    return {word for text in catalogue.values() if isinstance(text, str)
            for word in WORD.findall(text)}


# A stored text cut short to fit, as chart labels are, at the end or in the middle:
# "Pacific Transnational Crime Co…", "Police Transnatio…Crime Unit — Fiji".
CUT_SHORT = re.compile(r"\u2068([^\u2069…]+)…([^\u2069…]*)\u2069")


def without_data(piece: str, data: list[str]) -> str:
    piece = CUT_SHORT.sub(lambda m: " " if any(
        text.startswith(m[1]) and text.endswith(m[2]) for text in data) else m[0], piece)
    for text in data:
        if text in piece:
            # Whole words only: stored "cli" must not leave "ent" of "client" behind.
            piece = re.sub(rf"(?<![A-Za-z]){re.escape(text)}(?![A-Za-z])", " ", piece)
    return VALUE_SHAPES.sub(" ", piece)


def render(store: Store, page: MainPage, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if page.who:
        user = User.objects.get(username=page.who)
        User.objects.filter(pk=user.pk).update(language=language)
        client.force_login(user)
        if page.who == ADMIN:
            store.admin_device.refresh_from_db()
            store.admin_device.last_t = -1  # let the same code verify each new session
            store.admin_device.save()
            client.post("/accounts/verify/", {"otp_token": totp_code(store.admin_device)})
    if page.form:
        response = client.post(store.path(page), dict(page.form), follow=True)
    else:
        response = client.get(store.path(page))
    assert response.status_code == 200, (page.name, language, response.status_code)
    assert f'lang="{language}"' in response.content.decode()[:300], (page.name, language)
    return response.content.decode()


@pytest.fixture(scope="module")
def pages_in_every_language() -> dict[str, dict[str, str] | list[str]]:
    """Filled by the first test of the module that asks, read by the others: the region is
    populated and every page rendered once, not once a test (they are strings, so they
    outlive that test's transaction)."""
    return {}


@pytest.fixture
def rendered(db, request, pages_in_every_language) -> dict[str, dict[str, str] | list[str]]:
    """Every main page in English and in the language of the test, and the stored texts."""
    callspec = getattr(request.node, "callspec", None)
    language = callspec.params["language"] if callspec else "fr"
    pages = pages_in_every_language
    if not pages:
        store = populate()
        pages["data"] = stored_texts()
        for lang in ("en", *LANGUAGES):
            pages[lang] = {page.name: render(store, page, lang) for page in MAIN_PAGES}
    return {"data": pages["data"], "en": pages["en"], language: pages[language]}


def english_left(rendered: dict, language: str) -> dict[str, list[str]]:
    """Per page, the pieces of text with English interface words left in them."""
    vocabulary = translation_words(language) | NAMES
    data = rendered["data"]
    found: dict[str, list[str]] = defaultdict(list)
    for name, html in rendered[language].items():
        english = {w for piece in visible_text(rendered["en"][name])
                   for w in WORD.findall(without_data(piece, data))}
        for piece in visible_text(html):
            words = WORD.findall(without_data(piece, data))
            if any(w in english and w not in vocabulary for w in words) \
                    and piece not in found[name]:
                found[name].append(piece)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_show_no_english_interface_text(rendered, language):
    found = english_left(rendered, language)
    report = "\n".join(f"- {name}: " + " | ".join(pieces) for name, pieces in found.items()
                       if pieces)
    assert not report, f"English interface text on the {language} pages:\n{report}"


def test_an_unwrapped_string_is_caught(rendered):
    """The method finds English that never went through gettext, and not the data."""
    html = rendered["fr"]["notes"].replace("</main>", "<p>Shared with your partners</p></main>")
    rendered_with_it = {**rendered, "fr": {"notes": html},
                        "en": {"notes": rendered["en"]["notes"].replace(
                            "</main>", "<p>Shared with your partners</p></main>")}}
    found = english_left(rendered_with_it, "fr")
    assert "Shared with your partners" in found["notes"]
    assert not any("Invoice-fraud" in piece for piece in found["notes"])
