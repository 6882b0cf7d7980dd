"""Saved searches: a user keeps a list's filters under a name; nobody else ever sees,
runs, renames or deletes them, and running one shows only what the list shows now."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import api_client_for
from tests.factories import make_note
from vaka.policy.models import AuditEntry
from vaka.web import saved_searches
from vaka.web.models import SavedSearch


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def saved(user, name="Red phishing", query="tlp=red&type=indicator", list_name="intel:objects"):
    return saved_searches.save_search(user, list_name=list_name, name=name, query=query)


def test_saving_keeps_the_filters_without_paging_and_is_audited(region):
    search = saved(region.analyst_a, query="type=indicator&page=3&cursor=abc&tlp=red&label=")
    assert search.query == "tlp=red&type=indicator"
    entry = AuditEntry.objects.get(action="create", target_type="web.savedsearch")
    assert entry.actor == region.analyst_a and entry.detail["query"] == search.query


def test_a_search_cannot_be_saved_on_an_unknown_list(region):
    with pytest.raises(ValidationError) as error:
        saved(region.analyst_a, list_name="intel:export_links")
    assert "list_name" in error.value.message_dict


def test_two_searches_on_one_list_cannot_share_a_name(region):
    saved(region.analyst_a)
    with pytest.raises(ValidationError) as error:
        saved(region.analyst_a, name=" Red  phishing ", query="tlp=amber")
    assert "Red phishing" in error.value.message_dict["name"][0]
    assert SavedSearch.objects.count() == 1


def test_another_user_may_use_the_same_name(region):
    saved(region.analyst_a)
    saved(region.colleague_a)
    assert SavedSearch.objects.count() == 2


def test_a_blank_name_is_refused(region):
    with pytest.raises(ValidationError) as error:
        saved(region.analyst_a, name="   ")
    assert "name" in error.value.message_dict


def test_saving_from_the_list_page_shows_the_list_with_the_filters(region):
    answer = client_for(region.analyst_a).post("/saved-searches/", {
        "list_name": "intel:objects", "name": "Red", "query": "tlp=red&page=2"})
    assert answer.status_code == 302 and answer["Location"] == "/intel/objects/?tlp=red"
    assert SavedSearch.objects.get().user == region.analyst_a


def test_a_refused_save_says_why_on_the_list(region):
    saved(region.analyst_a, name="Red")
    client = client_for(region.analyst_a)
    answer = client.post("/saved-searches/", {"list_name": "intel:objects", "name": "Red",
                                              "query": "tlp=amber"}, follow=True)
    assert answer.redirect_chain[-1][0] == "/intel/objects/?tlp=amber"
    assert "The search was not saved" in answer.content.decode()
    assert SavedSearch.objects.count() == 1


def test_the_list_menu_shows_the_users_own_searches_of_that_list_only(region):
    saved(region.analyst_a, name="Mine on objects")
    saved(region.analyst_a, name="Mine on notes", list_name="intel:notes", query="q=x")
    saved(region.colleague_a, name="Colleague's on objects")
    page = client_for(region.analyst_a).get("/intel/objects/").content.decode()
    assert "Mine on objects" in page
    assert "Mine on notes" not in page and "Colleague&#x27;s on objects" not in page


@pytest.mark.parametrize("url", ["/intel/notes/", "/organisations/", "/users/",
                                 "/communities/", "/inbox/"])
def test_every_list_with_filters_offers_saving_them(region, url):
    page = client_for(region.analyst_a).get(url + "?q=unit").content.decode()
    assert 'name="list_name"' in page and 'value="q=unit"' in page


def test_running_a_search_opens_its_list_with_its_filters(region):
    search = saved(region.analyst_a)
    answer = client_for(region.analyst_a).get(f"/saved-searches/{search.pk}/")
    assert answer["Location"] == "/intel/objects/?tlp=red&type=indicator"


def test_running_a_notes_search_shows_only_what_the_user_may_see(region):
    make_note(region.analyst_a, "Shared phishing", tlp="green", distribution="members")
    make_note(region.analyst_a, "Own phishing", tlp="amber", distribution="organisation")
    search = saved(region.analyst_b, name="Phishing", list_name="intel:notes", query="q=phishing")
    page = client_for(region.analyst_b).get(f"/saved-searches/{search.pk}/",
                                            follow=True).content.decode()
    assert "Shared phishing" in page and "Own phishing" not in page


@pytest.mark.parametrize("action", ["", "rename/", "delete/"])
def test_another_users_search_is_404(region, action):
    search = saved(region.analyst_a)
    client = client_for(region.colleague_a)
    answer = (client.get if not action else client.post)(
        f"/saved-searches/{search.pk}/{action}", {"name": "Taken over"})
    assert answer.status_code == 404
    assert SavedSearch.objects.get().name == "Red phishing"


def test_the_manage_page_lists_the_users_own_searches_only(region):
    saved(region.analyst_a, name="Mine")
    saved(region.colleague_a, name="Theirs")
    page = client_for(region.analyst_a).get("/saved-searches/").content.decode()
    assert "Mine" in page and "Theirs" not in page


def test_renaming_changes_the_name_and_is_audited(region):
    search = saved(region.analyst_a)
    answer = client_for(region.analyst_a).post(f"/saved-searches/{search.pk}/rename/",
                                               {"name": "Red only"})
    assert answer.status_code == 302
    assert SavedSearch.objects.get().name == "Red only"
    assert AuditEntry.objects.get(action="update").detail["name"] == {
        "before": "Red phishing", "after": "Red only"}


def test_renaming_to_a_taken_name_says_so_and_keeps_the_old_name(region):
    saved(region.analyst_a, name="Taken")
    search = saved(region.analyst_a)
    page = client_for(region.analyst_a).post(f"/saved-searches/{search.pk}/rename/",
                                             {"name": "Taken"}, follow=True).content.decode()
    assert "was not renamed" in page
    assert SavedSearch.objects.get(pk=search.pk).name == "Red phishing"


def test_deleting_removes_the_search_and_is_audited(region):
    search = saved(region.analyst_a)
    client_for(region.analyst_a).post(f"/saved-searches/{search.pk}/delete/")
    assert not SavedSearch.objects.exists()
    assert AuditEntry.objects.get(action="delete").detail["name"] == "Red phishing"


def test_a_search_of_a_list_that_is_gone_is_listed_but_not_run(region):
    search = saved(region.analyst_a)
    SavedSearch.objects.filter(pk=search.pk).update(list_name="intel:gone")
    client = client_for(region.analyst_a)
    assert "Red phishing" in client.get("/saved-searches/").content.decode()
    assert client.get(f"/saved-searches/{search.pk}/").status_code == 404


def test_the_api_saves_and_lists_the_callers_own_searches(region):
    saved(region.colleague_a, name="Colleague's")
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/saved-searches/", {"list_name": "intel:objects", "name": "Red",
                                               "query": "tlp=red&page=4"}, format="json")
    assert answer.status_code == 201
    assert answer.json()["url"] == "/intel/objects/?tlp=red"
    listed = api.get("/api/saved-searches/").json()
    assert [row["name"] for row in listed["results"]] == ["Red"]


def test_the_api_names_the_field_of_a_refused_search(region):
    saved(region.analyst_a, name="Red")
    answer = api_client_for(region.analyst_a).post("/api/saved-searches/", {
        "list_name": "intel:objects", "name": "Red", "query": ""}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["name"]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_the_api_answers_404_for_another_users_search(region, method):
    search = saved(region.analyst_a)
    answer = getattr(api_client_for(region.colleague_a), method)(
        f"/api/saved-searches/{search.pk}/", {"name": "Taken over"}, format="json")
    assert answer.status_code == 404
    assert SavedSearch.objects.get().name == "Red phishing"


def test_the_api_renames_with_patch(region):
    search = saved(region.analyst_a)
    answer = api_client_for(region.analyst_a).patch(
        f"/api/saved-searches/{search.pk}/", {"name": "Renamed"}, format="json")
    assert answer.status_code == 200 and answer.json()["name"] == "Renamed"
