"""Requests for information over the REST API: asking, the list's filters, answering,
closing, the figures, 404 outside the compartment and the list's query count."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.messaging.test_rfis import ask
from vaka.messaging.models import RequestForInformation

Status = RequestForInformation.Status


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_asks_with_a_deadline_and_refuses_a_past_one_by_field(world):
    client = api(world.fiji)
    deadline = (timezone.now() + timedelta(days=3)).isoformat()
    response = client.post("/api/rfis/", {
        "to": [world.centre.pk], "subject": "Who holds the wallet?", "body": "Tell us.",
        "deadline": deadline, "case_reference": "FJ-1"}, format="json")
    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["case_reference"]) == ("open", "FJ-1")
    assert response.data["answers"][0]["organisation"] == world.centre.pk
    past = client.post("/api/rfis/", {
        "to": [world.centre.pk], "subject": "x", "body": "y",
        "deadline": (timezone.now() - timedelta(days=1)).isoformat()}, format="json")
    assert past.status_code == 400 and "deadline" in past.data
    nothing = client.post("/api/rfis/", {"to": [world.centre.pk], "subject": "x"},
                          format="json")
    assert nothing.status_code == 400 and {"body", "deadline"} <= set(nothing.data)


def test_list_filters_by_status_direction_and_overdue(world):
    due = ask(world)
    late = ask(world, to=[world.centre])
    RequestForInformation.objects.filter(pk=late.pk).update(
        deadline=timezone.now() - timedelta(hours=1))
    hub = api(world.hub)
    assert hub.get("/api/rfis/").data["count"] == 2
    assert [r["id"] for r in hub.get("/api/rfis/", {"overdue": "true"}).data["results"]] \
        == [late.message_id]
    assert [r["id"] for r in hub.get("/api/rfis/", {"status": "open"}).data["results"]] \
        == [due.message_id]
    assert hub.get("/api/rfis/", {"direction": "sent"}).data["count"] == 0
    assert api(world.fiji).get("/api/rfis/", {"direction": "sent"}).data["count"] == 2
    assert hub.get("/api/rfis/", {"status": "late"}).status_code == 400


def test_answer_then_close_and_what_each_side_sees(world):
    rfi = ask(world)
    hub = api(world.hub)
    answered = hub.post(f"/api/rfis/{rfi.message_id}/answer/",
                        {"body": "A mule of the network."}, format="json")
    assert answered.status_code == 201, answered.data
    assert [a["organisation"] for a in answered.data["answers"]] == [world.centre.pk]
    again = hub.post(f"/api/rfis/{rfi.message_id}/answer/", {"body": "x"}, format="json")
    assert again.status_code == 400 and "already answered" in again.data["detail"][0]
    sender = api(world.fiji).get(f"/api/rfis/{rfi.message_id}/").data
    assert len(sender["answers"]) == 2
    assert hub.post(f"/api/rfis/{rfi.message_id}/close/", {}, format="json").status_code \
        == 403
    closed = api(world.fiji).post(f"/api/rfis/{rfi.message_id}/close/",
                                  {"comment": "Enough."}, format="json")
    assert closed.status_code == 200 and closed.data["status"] == "closed"
    assert api(world.tonga).post(f"/api/rfis/{rfi.message_id}/answer/", {
        "body": "late"}, format="json").status_code == 400


def test_figures_count_only_what_the_viewer_may_see(world):
    rfi = ask(world)
    api(world.hub).post(f"/api/rfis/{rfi.message_id}/answer/", {"body": "Here."},
                        format="json")
    sender = {row["name"]: row for row in api(world.fiji).get("/api/rfis/figures/").data}
    assert sender["Fiji Unit"]["sent"]["rfis"] == 1
    assert sender["Fiji Unit"]["sent"]["in_time"] == 1 and sender["Fiji Unit"]["sent"][
        "open"] == 1
    tonga = {row["name"]: row for row in api(world.tonga).get("/api/rfis/figures/").data}
    assert "Pacific Centre" not in tonga  # one recipient does not learn of another's answer
    assert api(world.admin).get("/api/rfis/figures/").data == []
    assert api(world.fiji).get("/api/rfis/figures/", {"since": "May"}).status_code == 400


@pytest.mark.parametrize("method,suffix", [("get", ""), ("post", "answer/"),
                                           ("post", "close/")])
def test_an_admin_outside_the_compartment_gets_404_and_no_count(world, method, suffix):
    rfi = ask(world)
    client = api(world.admin)
    response = getattr(client, method)(f"/api/rfis/{rfi.message_id}/{suffix}",
                                       {"body": "x"}, format="json")
    assert response.status_code == 404
    assert client.get("/api/rfis/").data["count"] == 0
    assert RequestForInformation.objects.get().status == Status.OPEN


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(world,
                                                            django_assert_max_num_queries):
    client = api(world.fiji)
    for _ in range(2):
        ask(world)
    client.get("/api/rfis/")
    with django_assert_max_num_queries(3):
        assert client.get("/api/rfis/").data["count"] == 2
    for _ in range(3):
        ask(world)
    with django_assert_max_num_queries(3):
        assert client.get("/api/rfis/").data["count"] == 5
