"""The RFI pages: the list and its filters, a new RFI, answering and closing on the
thread page, and the figures on the analytics dashboard."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone

from tests.messaging.conftest import amber
from tests.messaging.test_rfis import ask
from vaka.messaging import rfis
from vaka.messaging.models import RequestForInformation

Status = RequestForInformation.Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_new_rfi_form_sends_it_with_the_deadline_in_the_chosen_time_zone(world):
    tomorrow = timezone.now().astimezone(timezone.get_default_timezone()) + timedelta(days=1)
    response = _client(world.fiji).post("/messages/rfis/new/", {
        "to": [world.centre.pk], "subject": "Who holds the wallet?", "body": "Tell us.",
        "case_reference": "FJ-1", "reason": "Scam", "deadline": _local(tomorrow),
        "time_zone": "Pacific/Apia", "priority": "routine", "distribution": "members",
        "tlp": "amber"})
    rfi = RequestForInformation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{rfi.message_id}/"
    wall = rfi.deadline.astimezone(ZoneInfo("Pacific/Apia"))
    assert _local(wall) == _local(tomorrow)
    assert rfi.case_reference == "FJ-1"


def test_new_rfi_with_a_past_deadline_says_so_on_the_field(world):
    response = _client(world.fiji).post("/messages/rfis/new/", {
        "to": [world.centre.pk], "subject": "Late", "body": "Tell us.",
        "deadline": "2020-01-01T10:00", "time_zone": "UTC", "priority": "routine",
        "distribution": "members", "tlp": "amber"})
    assert response.status_code == 200
    assert "has already passed" in response.content.decode()
    assert not RequestForInformation.objects.exists()


def test_thread_page_shows_the_rfi_and_the_answer_form_to_a_recipient(world):
    rfi = ask(world, to=[world.centre])
    page = _client(world.hub).get(f"/messages/{rfi.message_id}/").content.decode()
    assert 'id="rfi"' in page and "FJ-2026-0042" in page
    assert 'id="rfi-answer-form"' in page and 'id="rfi-close-form"' not in page
    assert " UTC</time>" in page  # the deadline with its time zone
    sender_page = _client(world.fiji).get(f"/messages/{rfi.message_id}/").content.decode()
    assert 'id="rfi-close-form"' in sender_page and 'id="rfi-answer-form"' not in sender_page
    assert "no answer yet" in sender_page


def test_answer_and_close_through_the_pages(world):
    rfi = ask(world)
    response = _client(world.hub).post(f"/messages/{rfi.message_id}/rfi/answer/",
                                       {"body": "Registered by J. Doe."})
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{rfi.message_id}/"
    sender_page = _client(world.fiji).get(f"/messages/{rfi.message_id}/").content.decode()
    assert "in time" in sender_page
    response = _client(world.fiji).post(f"/messages/{rfi.message_id}/rfi/close/",
                                        {"comment": "Enough."})
    assert response.status_code == 302
    rfi.refresh_from_db()
    assert rfi.status == Status.CLOSED
    refused = _client(world.tonga).post(f"/messages/{rfi.message_id}/rfi/answer/",
                                        {"body": "Too late."})
    assert refused.status_code == 400
    assert "takes no more answers" in refused.content.decode()


def test_rfi_routes_are_404_outside_the_compartment(world):
    rfi = ask(world, to=[world.centre])
    red = ask(world, to=[world.centre], markings=amber(tlp="red", recipients=[world.hub]))
    # An outsider, and a colleague of the named person who is not named.
    for user, asked in ((world.tonga, rfi), (world.hub_viewer, red)):
        client = _client(user)
        assert client.get(f"/messages/{asked.message_id}/rfi/answer/").status_code == 404
        assert client.post(f"/messages/{asked.message_id}/rfi/close/").status_code == 404
    assert _client(world.hub).post(f"/messages/{rfi.message_id}/rfi/close/").status_code \
        == 403


def test_list_filters_by_direction_status_and_overdue(world):
    sent = ask(world, to=[world.centre], subject="Sent by Fiji")
    late = ask(world, to=[world.centre], subject="Overdue one")
    RequestForInformation.objects.filter(pk=late.pk).update(
        deadline=timezone.now() - timedelta(hours=1))
    received = ask(world, user=world.hub, to=[world.fiji_unit], subject="Asked of Fiji")
    rfis.close_rfi(received, user=world.hub)
    client = _client(world.fiji)

    def subjects(query: str) -> set[str]:
        response = client.get(f"/messages/rfis/?{query}")
        assert response.status_code == 200, response.content
        page = response.content.decode()
        return {s for s in ("Sent by Fiji", "Overdue one", "Asked of Fiji") if s in page}

    assert subjects("") == {"Sent by Fiji", "Overdue one", "Asked of Fiji"}
    assert subjects("direction=received") == {"Asked of Fiji"}
    assert subjects("direction=sent") == {"Sent by Fiji", "Overdue one"}
    assert subjects("overdue=true") == {"Overdue one"}  # before the sweep marked it
    assert subjects("status=closed") == {"Asked of Fiji"}
    assert subjects("status=open") == {"Sent by Fiji"}
    assert sent.status == Status.OPEN
    assert client.get("/messages/rfis/?status=late").status_code == 400
    assert client.get("/messages/rfis/?overdue=maybe").status_code == 400
    assert subjects_for_outsider(world) == set()


def subjects_for_outsider(world) -> set[str]:
    page = _client(world.tonga).get("/messages/rfis/").content.decode()
    return {s for s in ("Sent by Fiji", "Overdue one", "Asked of Fiji") if s in page}


def test_analytics_dashboard_shows_the_rfi_figures_and_their_csv(world):
    rfi = ask(world, to=[world.centre])
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    page = _client(world.fiji).get("/analytics/").content.decode()
    assert 'id="rfi-figures"' in page and "Pacific Centre" in page
    csv = _client(world.fiji).get("/messages/rfis/figures.csv?side=received")
    assert csv.status_code == 200 and csv["Content-Disposition"].startswith("attachment")
    assert "Pacific Centre,1,1,0,0,0,0," in csv.content.decode()
    outsider = _client(world.tonga)
    assert "Pacific Centre" not in outsider.get("/analytics/").content.decode()
    assert "Pacific Centre" not in outsider.get(
        "/messages/rfis/figures.csv?side=received").content.decode()
    assert outsider.get("/messages/rfis/figures.csv?side=both").status_code == 400
    assert outsider.get("/messages/rfis/figures.csv?since=2026-13").status_code == 400


def test_list_reads_a_fixed_number_of_queries_whatever_it_holds(
        world, django_assert_max_num_queries):
    client = _client(world.fiji)
    client.get("/messages/rfis/")  # the session and the user's settings, read once
    for n in range(3):
        ask(world, to=[world.centre], subject=f"RFI {n}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/messages/rfis/")
    for n in range(3, 12):
        ask(world, to=[world.centre], subject=f"RFI {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/messages/rfis/").content.decode()
    assert "RFI 11" in page
