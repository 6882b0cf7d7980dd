"""Keyset paging of every list (``vaka.web.pagination``): cursors, the capped count, page
sizes and sorting, on the HTML lists and the API alike."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory, make_note
from vaka.directory.models import User
from vaka.intel.models import Note
from vaka.web import pagination

SAME_MOMENT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _notes(user, count: int, **markings) -> list[Note]:
    notes = [make_note(user, title=f"Note {n:02d}", **markings) for n in range(count)]
    # Equal sort keys: only the tie-break on the pk keeps the order stable across pages.
    Note.objects.filter(pk__in=[note.pk for note in notes]).update(created=SAME_MOMENT)
    return notes


def _walk(client, url: str, **params) -> list[list[int]]:
    pages, answer = [], client.get(url, params).json()
    pages.append([row["id"] for row in answer["results"]])
    while answer["next"]:
        answer = client.get(answer["next"]).json()
        pages.append([row["id"] for row in answer["results"]])
    return pages


def _cursor(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_cursor_walk_returns_every_row_once_in_a_stable_order_despite_ties(region, api_for):
    notes = _notes(region.analyst_a, 7, tlp="green")
    pages = _walk(api_for(region.analyst_a), "/api/notes/", page_size=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pk for page in pages for pk in page] == sorted([n.pk for n in notes], reverse=True)


def test_previous_link_returns_the_page_before(region, api_for):
    _notes(region.analyst_a, 5, tlp="green")
    client = api_for(region.analyst_a)
    first = client.get("/api/notes/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]
    assert back["previous"] is None and first["previous"] is None


def test_altered_cursor_is_a_400_naming_the_cursor(region, api_for):
    _notes(region.analyst_a, 3, tlp="green")
    client = api_for(region.analyst_a)
    cursor = _cursor(client.get("/api/notes/", {"page_size": 1}).json()["next"])
    answer = client.get("/api/notes/", {"cursor": cursor[:-3] + "abc"})
    assert answer.status_code == 400
    assert list(answer.json()) == ["cursor"]


def test_cursor_made_for_another_sort_order_is_refused(region, api_for):
    _notes(region.analyst_a, 3, tlp="green")
    client = api_for(region.analyst_a)
    cursor = _cursor(client.get("/api/notes/", {"page_size": 1}).json()["next"])
    answer = client.get("/api/notes/", {"cursor": cursor, "ordering": "title"})
    assert answer.status_code == 400
    assert "another sort order" in answer.json()["cursor"][0]


def test_count_beyond_the_cap_says_more_than_the_cap(region, api_for, settings):
    settings.LIST_COUNT_CAP = 3
    _notes(region.analyst_a, 5, tlp="green")
    assert api_for(region.analyst_a).get("/api/notes/").json()["count"] == "3+"


def test_exact_count_is_given_on_demand(region, api_for, settings):
    settings.LIST_COUNT_CAP = 3
    _notes(region.analyst_a, 5, tlp="green")
    answer = api_for(region.analyst_a).get("/api/notes/", {"count": "exact"})
    assert answer.json()["count"] == 5


def test_single_page_is_counted_from_its_rows_without_a_count_query(region, api_for):
    _notes(region.analyst_a, 4, tlp="green")
    with CaptureQueriesContext(connection) as queries:
        answer = api_for(region.analyst_a).get("/api/notes/").json()
    assert answer["count"] == 4
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]


def test_page_past_the_end_still_counts_every_row(region, api_for):
    _notes(region.analyst_a, 3, tlp="green")
    client = api_for(region.analyst_a)
    last = client.get("/api/notes/", {"page_size": 3}).json()["results"][-1]
    past = pagination.encode_cursor(["-created", "-pk"], [SAME_MOMENT, last["id"]], False)
    answer = client.get("/api/notes/", {"page_size": 3, "cursor": past}).json()
    assert (answer["count"], answer["results"]) == (3, [])


def test_html_list_beyond_the_cap_says_more_than_the_setting_and_links_the_exact_count(
        region, client, settings):
    settings.LIST_COUNT_CAP = 2
    _notes(region.analyst_a, 3, tlp="green")
    client.force_login(region.analyst_a)
    html = client.get("/intel/notes/", {"page_size": "25"}).content.decode()
    assert "More than 2 results" in html
    assert "count=exact" in html


def test_unknown_way_to_count_is_a_400_naming_count(region, api_for):
    answer = api_for(region.analyst_a).get("/api/notes/", {"count": "roughly"})
    assert answer.status_code == 400 and list(answer.json()) == ["count"]


@pytest.mark.parametrize("size", ["0", "1001", "ten", "³"])  # "³": a digit to isdigit()
def test_api_page_size_outside_1_to_1000_is_a_400_naming_it(region, api_for, size):
    answer = api_for(region.analyst_a).get("/api/notes/", {"page_size": size})
    assert answer.status_code == 400 and list(answer.json()) == ["page_size"]


def test_count_and_rows_leave_out_records_outside_the_audience(region, api_for):
    _notes(region.analyst_b, 4, tlp="amber", distribution="organisation")
    answer = api_for(region.analyst_a).get("/api/notes/").json()
    assert (answer["count"], answer["results"], answer["next"]) == (0, [], None)


def test_html_list_pages_through_cursor_links(region, client):
    notes = _notes(region.analyst_a, 3, tlp="green")
    client.force_login(region.analyst_a)
    first = client.get("/intel/notes/", {"page_size": "25"}).context["page"]
    assert [note.pk for note in first] == sorted((n.pk for n in notes), reverse=True)
    assert not first.has_next and not first.has_previous


def test_html_list_with_an_altered_cursor_shows_the_message_and_no_rows(region, client):
    _notes(region.analyst_a, 2, tlp="green")
    client.force_login(region.analyst_a)
    response = client.get("/intel/notes/", {"cursor": "not-a-cursor"})
    assert list(response.context["page"]) == []
    assert "The page link (cursor) is not valid" in response.content.decode()


def test_html_list_sorts_by_an_offered_column_and_marks_it(region, client):
    for title in ("Bravo", "Alpha", "Charlie"):
        make_note(region.analyst_a, title=title, tlp="green")
    client.force_login(region.analyst_a)
    response = client.get("/intel/notes/", {"ordering": "title"})
    assert [note.title for note in response.context["page"]] == ["Alpha", "Bravo", "Charlie"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_html_list_refuses_a_column_it_does_not_offer_naming_it(region, client):
    make_note(region.analyst_a, tlp="green")
    client.force_login(region.analyst_a)
    response = client.get("/intel/notes/", {"ordering": "body"})
    assert list(response.context["page"]) == []
    assert "cannot be sorted by “body”" in response.content.decode()


@pytest.mark.parametrize("size", ["7", "³"])
def test_html_list_refuses_a_page_size_it_does_not_offer(region, client, size):
    client.force_login(region.analyst_a)
    response = client.get("/intel/notes/", {"page_size": size})
    assert "is not a page size this list offers" in response.content.decode()


def test_html_list_offers_an_exact_count_beyond_the_cap(region, client, settings):
    settings.LIST_COUNT_CAP = 2
    _notes(region.analyst_a, 3, tlp="green")
    client.force_login(region.analyst_a)
    page = client.get("/intel/notes/").context["page"]
    assert (page.count, page.count_exact) == (2, False)
    assert client.get("/intel/notes/", {"count": "exact"}).context["page"].count == 3


@pytest.mark.django_db
def test_keyset_walk_keeps_rows_whose_sort_key_is_null():
    seen = [UserFactory(username=f"u{n}", last_login=SAME_MOMENT) for n in range(2)]
    never = [UserFactory(username=f"n{n}", last_login=None) for n in range(3)]
    wanted = {user.pk for user in seen + never}
    for ordering in ("last_login", "-last_login"):
        queryset = User.objects.filter(pk__in=wanted).order_by(ordering)
        walked, cursor = [], None
        while True:
            found = pagination.window(queryset, 2, cursor)
            walked += [user.pk for user in found.rows]
            if found.next_cursor is None:
                break
            cursor = found.next_cursor
        order = pagination.ordering_of(queryset)
        assert walked == list(queryset.order_by(*order).values_list("pk", flat=True))
        assert sorted(walked) == sorted(wanted)


def test_api_sorts_by_an_offered_field_across_pages(region, api_for):
    for title in ("Bravo", "Alpha", "Charlie"):
        make_note(region.analyst_a, title=title, tlp="green")
    client = api_for(region.analyst_a)
    first = client.get("/api/notes/", {"ordering": "title", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    titles = [row["title"] for row in first["results"] + second["results"]]
    assert titles == ["Alpha", "Bravo", "Charlie"]


def test_api_refuses_a_sort_field_it_does_not_offer_naming_it(region, api_for):
    answer = api_for(region.analyst_a).get("/api/notes/", {"ordering": "-body"})
    assert answer.status_code == 400
    assert "“body”" in answer.json()["ordering"][0]


@pytest.mark.parametrize(("url", "column"), [
    ("/organisations/", "name"), ("/countries/", "code"), ("/countries/", "name"),
    ("/communities/", "name"), ("/users/", "username"), ("/intel/submissions/", "status"),
    ("/intel/submissions/", "name"), ("/intel/submissions/", "received")])
def test_every_paged_list_header_sorts_by_its_offered_columns(region, client, url, column):
    """The column headers of the directory lists and the submissions list are links that
    sort by that column, saying how the list is sorted now (not only the object list)."""
    client.force_login(region.analyst_a)
    page = client.get(url).content.decode()
    assert f'href="?ordering={column}"' in page
    ascending = client.get(url, {"ordering": column}).content.decode()
    assert 'aria-sort="ascending"' in ascending and f'href="?ordering=-{column}"' in ascending
