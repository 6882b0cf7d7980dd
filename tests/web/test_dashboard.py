"""The dashboard shows what an analyst needs first, each count a link to its list, and
nothing outside the user's audience — not even in a count."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.factories import UserFactory
from vaka.inbox.models import InboxSettings
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings
from vaka.web import selectors

HELD = "held-by-unit-b.top"


def _ingest(user, text: bytes, **markings):
    return services.ingest_bytes(text, organisation=user.organisation, user=user,
                                 source="api", fmt="csv", markings=Markings(**markings))


def _count(page: str, name: str) -> str:
    found = re.search(rf'href="([^"]*)" id="{name}">([^<]+)<', page)
    assert found, name
    return found.group(2)


def _href(page: str, name: str) -> str:
    return re.search(rf'href="([^"]*)" id="{name}">', page).group(1).replace("&amp;", "&")


@pytest.fixture
def web(region):
    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client
    return signed_in


def test_partner_intelligence_is_counted_by_tlp_and_type(region):
    _ingest(region.analyst_b, b"value\nshared-one.top\nshared-two.top\n", tlp="green",
            distribution="members")
    board = selectors.dashboard_for(region.analyst_a, None)
    assert (board.partner_intel.n, board.partner_intel.exact) == (2, True)
    assert [(c.key, c.n) for c in board.partner_by_tlp] == [("green", 2)]
    assert [(c.key, c.n) for c in board.partner_by_type] == [("indicator", 2)]


def test_partner_intelligence_types_are_named_in_the_readers_language(region):
    _ingest(region.analyst_b, b"value\nshared-one.top\n", tlp="green", distribution="members")
    board = selectors.dashboard_for(region.analyst_a, None)
    with translation.override("es"):
        assert [str(c.label) for c in board.partner_by_type] == ["Indicador"]


def test_own_intelligence_is_not_partner_intelligence(region):
    _ingest(region.analyst_a, b"value\nmine.top\n", tlp="green", distribution="members")
    assert selectors.dashboard_for(region.colleague_a, None).partner_intel.n == 0


def test_partner_intelligence_outside_the_audience_is_not_counted(region):
    _ingest(region.analyst_b, f"value\n{HELD}\n".encode(), tlp="amber",
            distribution="organisation")
    board = selectors.dashboard_for(region.analyst_a, None)
    assert board.partner_intel.n == 0
    assert board.partner_by_tlp == [] and board.partner_by_type == []


def test_partner_intelligence_counts_only_what_arrived_since_the_last_visit(region):
    _ingest(region.analyst_b, b"value\nold-news.top\n", tlp="green", distribution="members")
    StixObject.objects.update(created=timezone.now() - timedelta(days=2))
    assert selectors.dashboard_for(region.analyst_a, None).partner_intel.n == 1
    yesterday = timezone.now() - timedelta(days=1)
    assert selectors.dashboard_for(region.analyst_a, yesterday).partner_intel.n == 0


def test_partner_count_links_to_the_list_showing_exactly_those_objects(region, web):
    _ingest(region.analyst_b, b"value\nshared-one.top\n", tlp="green", distribution="members")
    _ingest(region.analyst_a, b"value\nmine.top\n", tlp="green", distribution="members")
    client = web(region.analyst_a)
    page = client.get("/").content.decode()
    assert _count(page, "partner-intel-count") == "1"
    listing = client.get(_href(page, "partner-intel-count"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "shared-one.top" in body and "mine.top" not in body


def test_new_hits_count_unread_hit_notices_and_link_to_them(region, web):
    _ingest(region.analyst_b, f"value\n{HELD}\n".encode(), tlp="amber",
            distribution="organisation")
    services.lookup([HELD], user=region.analyst_a)
    client = web(region.analyst_b)
    page = client.get("/").content.decode()
    assert _count(page, "new-hits-count") == "1"
    assert _href(page, "new-hits-count") == "/inbox/?kind=hit&state=unread"
    assert "<bdi>Unit A</bdi> looked up" in client.get(
        _href(page, "new-hits-count")).content.decode()


def test_a_hit_on_another_agencys_record_is_not_counted(region, web):
    _ingest(region.analyst_b, f"value\n{HELD}\n".encode(), tlp="amber",
            distribution="organisation")
    services.lookup([HELD], user=region.analyst_a)
    page = web(region.analyst_a).get("/").content.decode()
    assert _count(page, "new-hits-count") == "0"
    assert _count(page, "unread-count") == "0"


def test_unread_notices_are_listed_and_counted(region, web):
    _ingest(region.analyst_b, f"value\n{HELD}\n".encode(), tlp="amber",
            distribution="organisation")
    services.lookup([HELD], user=region.analyst_a)
    page = web(region.analyst_b).get("/").content.decode()
    assert _count(page, "unread-count") == "1"
    assert f'looked up <bdi dir="ltr">{HELD}</bdi>' in page


def test_own_rejected_submission_is_listed_with_a_problem_count(region, web):
    _ingest(region.analyst_a, b"no value column\nx\n", tlp="green", distribution="members")
    page = web(region.analyst_a).get("/").content.decode()
    assert _count(page, "problems-count") == "1"
    assert _href(page, "problems-count") == "/inbox/?kind=submission_problem"
    assert "Rejected, nothing stored" in page


def test_visiting_the_dashboard_records_the_visit(region, web):
    web(region.analyst_a).get("/")
    assert InboxSettings.objects.get(user=region.analyst_a).dashboard_seen_at is not None


def test_second_visit_counts_from_the_first(region, web):
    client = web(region.analyst_a)
    client.get("/")
    _ingest(region.analyst_b, b"value\nafter-visit.top\n", tlp="green", distribution="members")
    page = client.get("/").content.decode()
    assert "New since your last visit" in page
    assert _count(page, "partner-intel-count") == "1"


def test_counts_stop_at_the_cap(region, settings):
    settings.LIST_COUNT_CAP = 2  # the lists' cap, which the dashboard shares
    _ingest(region.analyst_b, b"value\na-one.top\na-two.top\na-three.top\n", tlp="green",
            distribution="members")
    board = selectors.dashboard_for(region.analyst_a, None)
    assert (board.partner_intel.n, board.partner_intel.exact) == (2, False)


def test_capped_count_reads_with_a_plus(region, web, settings):
    settings.LIST_COUNT_CAP = 1  # the lists' cap, which the dashboard shares
    _ingest(region.analyst_b, b"value\na-one.top\na-two.top\n", tlp="green",
            distribution="members")
    page = web(region.analyst_a).get("/").content.decode()
    assert _count(page, "partner-intel-count") == "1+"


def test_the_old_notes_count_is_gone(region, web):
    page = web(region.analyst_a).get("/").content.decode()
    assert "notes you can see" not in page



def test_user_of_no_organisation_gets_an_empty_dashboard(region, web):
    page = web(UserFactory(organisation=None)).get("/")
    assert page.status_code == 200
    assert _count(page.content.decode(), "unread-count") == "0"
