"""Destructive actions ask first (static/vaka/confirm.js, data-confirm)."""

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, UserFactory, make_note
from vaka.intel.models import Note

pytestmark = pytest.mark.e2e

TITLE = "Romance scam crew in Port Vila"


@pytest.fixture
def note_page(page: Page, live_server) -> Page:
    author = UserFactory(username="author")
    note = make_note(author, title=TITLE)
    sign_in(page, "author", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"/intel/notes/{note.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    return page


def answer(page: Page, accept: bool) -> list[str]:
    """Answer the next dialog; returns the list its question is put in."""
    asked: list[str] = []

    def handle(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", handle)
    return asked


def test_dismissing_the_delete_question_keeps_the_note(note_page):
    asked = answer(note_page, accept=False)
    note_page.get_by_role("button", name="Delete").click()
    expect(note_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert asked == ["Delete this note? This cannot be undone."]
    assert Note.objects.filter(title=TITLE).exists()
    screenshot(note_page, "note-delete-kept.png")


def test_accepting_the_delete_question_deletes_the_note(note_page):
    asked = answer(note_page, accept=True)
    note_page.get_by_role("button", name="Delete").click()
    note_page.wait_for_url(re.compile(r"/intel/notes/$"))
    assert asked == ["Delete this note? This cannot be undone."]
    assert not Note.objects.filter(title=TITLE).exists()
