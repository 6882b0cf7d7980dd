import re

import pytest

from tests.inbox.helpers import VALUE, hold, look_up
from vaka.inbox import selectors, services
from vaka.inbox.models import InboxSettings, Notice

OTHER = "phish-kit-9.org"


@pytest.fixture
def hit(region):
    """Unit A holds VALUE; Unit B looked it up: one unread notice for Unit A."""
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    return selectors.notices_for(region.analyst_a).get()


def _page(client, user, **query):
    client.force_login(user)
    return client.get("/inbox/", query)


def test_an_unread_notice_is_bold_with_a_hidden_unread_label(client, region, hit):
    page = _page(client, region.analyst_a).content.decode()
    assert "fw-bold" in page
    assert '<span class="visually-hidden">Unread: </span>' in page
    assert VALUE in page and "Unit B" in page


def test_a_grouped_notice_shows_its_count(client, region, hit):
    look_up(region.analyst_b, VALUE)
    look_up(region.analyst_b, VALUE)
    page = _page(client, region.analyst_a).content.decode()
    assert '3<span class="visually-hidden"> times</span>' in page


def test_a_grouped_notices_first_time_stays_left_to_right_in_arabic(client, region, hit):
    look_up(region.analyst_b, VALUE)
    region.analyst_a.language = "ar"
    region.analyst_a.save(update_fields=["language"])
    page = _page(client, region.analyst_a).content.decode()
    assert re.search(r'الأول: <bdi dir="ltr">\d{4}-\d\d-\d\d \d\d:\d\d</bdi>', page)


def test_the_navigation_badge_counts_unread_notices(client, region, hit):
    hold(region.analyst_a, OTHER)
    look_up(region.analyst_b, OTHER)
    client.force_login(region.analyst_a)
    page = client.get("/").content.decode()
    assert 'id="inbox-badge">2<span class="visually-hidden"> unread notices</span>' in page


def test_no_badge_when_nothing_is_unread(client, region, hit):
    services.mark_all_read(region.analyst_a)
    client.force_login(region.analyst_a)
    assert 'id="inbox-badge"' not in client.get("/").content.decode()


def test_the_badge_costs_one_query(rf, region, hit, django_assert_num_queries):
    from vaka.inbox.context_processors import inbox

    request = rf.get("/")
    request.user = region.analyst_a
    count = inbox(request)["inbox_unread"]
    with django_assert_num_queries(1):
        assert count() == 1
        assert count() == 1  # asked twice by a template, counted once


def test_the_unread_filter_hides_read_notices(client, region, hit):
    services.mark_all_read(region.analyst_a)
    assert VALUE not in _page(client, region.analyst_a, state="unread").content.decode()
    assert VALUE in _page(client, region.analyst_a, state="read").content.decode()


def test_the_kind_filter_keeps_only_that_kind(client, region, hit):
    page = _page(client, region.analyst_a, kind=Notice.Kind.SUBMISSION_PROBLEM)
    assert VALUE not in page.content.decode()


def test_the_period_filter_leaves_out_older_notices(client, region, hit):
    from datetime import timedelta

    Notice.objects.filter(pk=hit.pk).update(last_at=hit.last_at - timedelta(days=3))
    assert VALUE not in _page(client, region.analyst_a, period="day").content.decode()
    assert VALUE in _page(client, region.analyst_a, period="week").content.decode()


def test_a_bad_filter_is_a_400_naming_the_field(client, region, hit):
    response = _page(client, region.analyst_a, state="sideways")
    assert response.status_code == 400
    page = response.content.decode()
    assert "alert-danger" in page and ">state</code>" in page


def test_opening_a_notice_marks_it_read_and_goes_to_its_record(client, region, hit):
    client.force_login(region.analyst_a)
    response = client.get(f"/inbox/{hit.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/intel/objects/{hit.target_args[0]}/"
    assert selectors.unread_count(region.analyst_a) == 0


def test_opening_another_agencys_notice_is_404(client, region, hit):
    client.force_login(region.analyst_b)
    assert client.get(f"/inbox/{hit.pk}/").status_code == 404


def test_mark_all_read_is_a_post(client, region, hit):
    client.force_login(region.analyst_a)
    assert client.get("/inbox/read-all/").status_code == 405
    assert client.post("/inbox/read-all/").status_code == 302
    assert selectors.unread_count(region.analyst_a) == 0


def test_the_old_hit_list_address_redirects_to_the_inbox(client, region):
    client.force_login(region.analyst_a)
    response = client.get("/intel/inbox/")
    assert (response.status_code, response["Location"]) == (302, "/inbox/")


def test_settings_default_to_the_daily_digest(client, region):
    client.force_login(region.analyst_a)
    page = client.get("/inbox/settings/").content.decode()
    assert re.search(r'<input[^>]*value="daily"[^>]*checked', page)


def test_settings_save_the_email_choice(client, region):
    client.force_login(region.analyst_a)
    response = client.post("/inbox/settings/", {"email": "immediate"})
    assert response.status_code == 302
    assert InboxSettings.objects.get(user=region.analyst_a).email == "immediate"


def test_a_wrong_email_choice_is_a_400_on_the_field(client, region):
    client.force_login(region.analyst_a)
    response = client.post("/inbox/settings/", {"email": "hourly"})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not InboxSettings.objects.filter(user=region.analyst_a).exists()


def test_the_settings_service_refuses_an_unknown_choice(region):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.update_settings(region.analyst_a, email="hourly")
    assert "email" in error.value.message_dict


def test_the_list_costs_the_same_queries_for_one_notice_or_many(client, region, hit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OrganisationFactory, UserFactory

    client.force_login(region.analyst_a)
    with CaptureQueriesContext(connection) as one:
        client.get("/inbox/")
    hold(region.analyst_a, OTHER)
    for n in range(4):
        look_up(UserFactory(organisation=OrganisationFactory(name=f"Unit {n}")), OTHER)
    with CaptureQueriesContext(connection) as five:
        page = client.get("/inbox/").content.decode()
    assert page.count("list-group-item d-flex") == 5
    assert len(five) == len(one)


def test_a_notice_keeps_its_value_left_to_right_and_escaped(client, region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    client.force_login(region.analyst_a)
    page = client.get("/inbox/").content.decode()
    assert f'<bdi dir="ltr">{VALUE}</bdi>' in page
