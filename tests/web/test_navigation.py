"""The shell's landmarks: a skip link to the main content and the current page in the menu."""

import re

from tests.factories import UserFactory, make_note


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
