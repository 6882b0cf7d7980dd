"""A look-up of many values runs once and is shown a page at a time: the first screen is
small, the counts are of every value, and paging, reloading or downloading the kept answers
neither looks up again nor tells the owners twice."""

import csv
import io

from django.test import Client

from tests.factories import OrganisationFactory, UserFactory
from tests.intel.test_lookup_summary import holdings
from vaka.directory.roles import Role
from vaka.intel import lookup_results
from vaka.intel.models import HitNotification, StixObject
from vaka.policy.models import AuditEntry

SIZE = lookup_results.PAGE_SIZE
QUIET = [f"quiet{i}.bench-none.org" for i in range(2 * SIZE + 48)]
VALUES = [*QUIET, "seen-by-us.top", "held-by-them.top"]  # found ones asked last


def looked_up(region, values=VALUES, user=None, **extra):
    holdings(region)
    web = Client()
    web.force_login(user or region.cert_user)
    response = web.post("/intel/lookup/", {"values": "\n".join(values), **extra})
    assert response.status_code == 302
    web.result_url = response["Location"]
    return web


def test_looking_up_redirects_so_a_reload_does_not_look_up_again(region):
    web = looked_up(region)
    assert web.result_url.startswith("/intel/lookup/?result=")
    web.get(web.result_url)
    web.get(web.result_url)
    assert AuditEntry.objects.filter(action="lookup").count() == 1


def test_first_page_shows_a_page_of_values_hits_first_and_counts_every_value(region):
    web = looked_up(region)
    page = web.get(web.result_url)
    answers = page.context["answers"]
    assert len(answers) == SIZE
    assert [a.value for a in answers[:3]] == ["seen-by-us.top", "held-by-them.top", QUIET[0]]
    text = page.content.decode()
    assert f"{len(VALUES)} values:" in text
    assert "1 in records you may see" in text and "1 held by another agency" in text
    assert "Page 1 of 3" in text


def test_next_page_shows_the_next_values_in_order(region):
    web = looked_up(region)
    page = web.get(web.result_url + "&page=2")
    assert [a.value for a in page.context["answers"]] == QUIET[SIZE - 2:2 * SIZE - 2]
    last = web.get(web.result_url + "&page=3")
    assert [a.value for a in last.context["answers"]] == QUIET[2 * SIZE - 2:]


def test_paging_and_downloading_do_not_tell_the_owner_again(region):
    web = looked_up(region)
    assert HitNotification.objects.count() == 1
    for url in (web.result_url, web.result_url + "&page=2", web.result_url + "&format=csv"):
        assert web.get(url).status_code == 200
    assert HitNotification.objects.count() == 1
    assert AuditEntry.objects.filter(action="lookup").count() == 1


def test_kept_answers_download_as_csv_with_every_value(region):
    web = looked_up(region)
    response = web.get(web.result_url + "&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["value"] for row in rows[:2]] == ["seen-by-us.top", "held-by-them.top"]
    assert len(rows) == len(VALUES)
    assert rows[1]["held_elsewhere"] == "yes" and rows[1]["records_you_see"] == ""


def test_pages_of_only_found_values_count_every_value(region):
    web = looked_up(region, only_found="on")
    page = web.get(web.result_url)
    assert [a.value for a in page.context["answers"]] == ["seen-by-us.top", "held-by-them.top"]
    assert f"{len(VALUES)} values:" in page.content.decode()
    assert "Page 1 of" not in page.content.decode()


def test_a_newer_look_up_replaces_the_kept_answers(region):
    web = looked_up(region)
    first = web.result_url
    second = web.post("/intel/lookup/", {"values": "seen-by-us.top"})["Location"]
    assert web.get(second).context["answers"][0].value == "seen-by-us.top"
    stale = web.get(first, follow=True)
    assert stale.context["answers"] is None
    assert "no longer kept" in stale.content.decode()


def test_kept_answers_are_not_shown_to_anyone_else_not_even_the_counts(region):
    web = looked_up(region)
    other = Client()
    other.force_login(region.analyst_a)
    page = other.get(web.result_url)
    assert page.context["answers"] is None and page.context["summary"] is None
    text = page.content.decode()
    assert "values:" not in text and "held-by-them.top" not in text


def test_a_record_revoked_after_the_look_up_drops_out_of_its_pages(region):
    web = looked_up(region)
    assert StixObject.objects.filter(name__contains="seen-by-us.top").update(revoked=True) == 1
    first = web.get(web.result_url).context["answers"][0]
    assert first.value == "seen-by-us.top"
    assert first.matches == []


def test_a_short_list_stays_in_the_box_and_a_long_one_does_not(region):
    web = looked_up(region, values=["seen-by-us.top", "quiet.bench-none.org"])
    form = web.get(web.result_url).context["form"]
    assert form.initial["values"] == "seen-by-us.top\nquiet.bench-none.org"
    long = looked_up(region, values=VALUES)
    assert "values" not in long.get(long.result_url).context["form"].initial


def test_a_page_reads_only_its_own_rows(region, django_assert_max_num_queries):
    web = looked_up(region)
    with django_assert_max_num_queries(12):
        web.get(web.result_url + "&page=2")


def test_a_brokers_kept_pages_still_name_the_holding_agency(region):
    desk = OrganisationFactory(name="Regional Desk", kind="desk")
    broker = UserFactory(username="broker", organisation=desk, role=Role.COORDINATOR)
    web = looked_up(region, user=broker)
    held = web.get(web.result_url).context["answers"][1]
    assert held.value == "held-by-them.top"
    assert held.holders == [region.unit_b]
