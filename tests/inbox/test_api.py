import pytest

from tests.inbox.helpers import VALUE, hold, look_up
from vaka.inbox import selectors


@pytest.fixture
def hit(region):
    hold(region.analyst_a, VALUE)
    look_up(region.analyst_b, VALUE)
    return selectors.notices_for(region.analyst_a).get()


def test_the_api_lists_the_users_notices_with_their_text_and_link(region, hit, api_for):
    data = api_for(region.analyst_a).get("/api/inbox/").json()
    assert data["count"] == 1
    [row] = data["results"]
    assert (row["id"], row["kind"], row["count"], row["unread"]) == (hit.pk, "hit", 1, True)
    assert VALUE in row["text"] and "Unit B" in row["text"]
    assert row["url"] == f"/intel/objects/{hit.target_args[0]}/"


def test_the_api_lists_nothing_for_the_asking_agency(region, hit, api_for):
    assert api_for(region.analyst_b).get("/api/inbox/").json()["count"] == 0


def test_the_api_filters_by_state(region, hit, api_for):
    client = api_for(region.analyst_a)
    client.post(f"/api/inbox/{hit.pk}/read/")
    assert client.get("/api/inbox/", {"state": "unread"}).json()["count"] == 0
    assert client.get("/api/inbox/", {"state": "read"}).json()["count"] == 1


def test_a_bad_api_filter_is_a_400_naming_the_field(region, hit, api_for):
    response = api_for(region.analyst_a).get("/api/inbox/", {"period": "decade"})
    assert response.status_code == 400
    assert "period" in response.json()


def test_marking_one_notice_read_answers_it_read(region, hit, api_for):
    response = api_for(region.analyst_a).post(f"/api/inbox/{hit.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False


def test_marking_another_agencys_notice_read_is_404(region, hit, api_for):
    assert api_for(region.analyst_b).post(f"/api/inbox/{hit.pk}/read/").status_code == 404
    assert selectors.unread_count(region.analyst_a) == 1


def test_read_all_answers_how_many_were_unread(region, hit, api_for):
    client = api_for(region.analyst_a)
    assert client.post("/api/inbox/read-all/").json() == {"marked": 1}
    assert client.post("/api/inbox/read-all/").json() == {"marked": 0}
