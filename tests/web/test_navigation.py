"""The shell's landmarks: a skip link to the main content and the current page in the menu."""

import re

from tests.factories import UserFactory, make_note
from vaka.directory.roles import Role


def test_skip_link_leads_to_the_main_content(db, client):
    client.force_login(UserFactory())
    html = client.get("/intel/notes/").content.decode()
    skip = re.search(r'<a class="visually-hidden-focusable[^"]*" href="#content">', html)
    assert skip is not None
    assert skip.start() < html.index("<nav")
    assert '<main class="container-lg pb-5" id="content" tabindex="-1">' in html


def test_menu_link_to_the_page_shown_is_marked_current(db, client):
    client.force_login(UserFactory())
    html = client.get("/intel/notes/").content.decode()
    assert re.findall(r'href="([^"]+)" aria-current="page"', html) == ["/intel/notes/"]


def test_menu_link_to_the_section_of_a_record_is_marked_current(db, client):
    user = UserFactory()
    note = make_note(user)
    client.force_login(user)
    html = client.get(f"/intel/notes/{note.pk}/").content.decode()
    assert re.findall(r'href="([^"]+)" aria-current="(?:page|true)"', html) == ["/intel/notes/"]


def test_home_link_is_not_current_on_other_pages(db, client):
    client.force_login(UserFactory())
    html = client.get("/users/").content.decode()
    assert 'href="/" aria-current' not in html
    assert 'href="/users/" aria-current="page"' in html


def _training_tabs(html: str) -> list[tuple[str, str]]:
    """The training sub-navigation's links, each with its aria-current value ("" if none)."""
    nav = re.search(r'<ul class="nav nav-underline vaka-subnav[^"]*">(.*?)</ul>', html, re.S)
    assert nav is not None
    return re.findall(r'href="([^"]+)"(?: aria-current="([^"]+)")?', nav[1])


def test_training_pages_share_a_sub_navigation_marking_the_page_shown(db, client):
    client.force_login(UserFactory(role=Role.ANALYST))
    html = client.get("/training/sessions/").content.decode()
    # An analyst is offered what they may use: no participants, import or bundles.
    assert _training_tabs(html) == [("/training/", ""), ("/training/sessions/", "page"),
                                    ("/training/statistics/", "")]
    # The main menu's Training entry is the section of every training page.
    assert 'href="/training/" aria-current="true"' in html
    catalogue = client.get("/training/").content.decode()
    assert _training_tabs(catalogue)[:2] == [("/training/", "page"),
                                             ("/training/sessions/", "")]


def test_training_sub_navigation_offers_managers_their_pages(db, client):
    client.force_login(UserFactory(role=Role.TRAINER))
    html = client.get("/training/statistics/").content.decode()
    assert [href for href, _current in _training_tabs(html)] == [
        "/training/", "/training/sessions/", "/training/participants/",
        "/training/statistics/", "/training/import/moodle/", "/training/bundles/"]
    assert ("/training/statistics/", "page") in _training_tabs(html)
