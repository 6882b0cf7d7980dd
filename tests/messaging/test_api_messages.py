"""Messages over the REST API: status codes, bodies, errors by field, receipts, downloads,
the compartment (an admin outside it gets 404 and no count) and the list's query count."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.messaging.conftest import amber, send, text_file
from vaka.messaging.models import Message, MessageRecipient

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_json_sends_to_the_recipients_with_the_compose_pages_markings(world):
    response = api(world.fiji).post("/api/messages/", {
        "to": [world.centre.pk], "subject": "Mule wallets", "body": "Three wallets."},
        format="json")
    assert response.status_code == 201, response.data
    data = response.data
    assert (data["subject"], data["owner"], data["tlp"]) == ("Mule wallets",
                                                              world.fiji_unit.pk, "amber")
    assert data["distribution"] == "members"
    assert data["recipients_organisations"] == [world.centre.pk]
    assert data["attachments"] == [] and data["is_rfi"] is False


def test_create_multipart_stores_each_attachment_with_its_hash(world):
    response = api(world.fiji).post("/api/messages/", {
        "to": [world.centre.pk], "subject": "With a file", "body": "See the file.",
        "tlp": "amber", "distribution": "members",
        "attachments": [text_file("wallets.csv", b"wallet,amount\nbc1q,3\n")]},
        format="multipart")
    assert response.status_code == 201, response.data
    [attachment] = response.data["attachments"]
    assert attachment["name"] == "wallets.csv" and len(attachment["sha256"]) == 64
    assert attachment["url"].endswith(f"/attachments/{attachment['id']}/")


def test_create_refusals_name_their_fields(world):
    client = api(world.fiji)
    outside = client.post("/api/messages/", {
        "to": [world.centre.pk, world.tonga_unit.pk], "subject": "x", "tlp": "amber+strict",
        "recipient_organisations": [world.centre.pk], "distribution": "members"},
        format="json")
    assert outside.status_code == 400
    assert "Tonga Unit" in outside.data["to"][0]
    program = client.post("/api/messages/", {
        "to": [world.centre.pk], "subject": "x",
        "attachments": [SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60)]},
        format="multipart")
    assert program.status_code == 400 and "tool.exe" in program.data["attachments"][0]
    blank = client.post("/api/messages/", {"to": [], "subject": "", "tlp": "purple"},
                        format="json")
    assert blank.status_code == 400 and {"subject", "tlp"} <= set(blank.data)
    assert not Message.objects.exists()


def test_a_viewer_may_not_send(world):
    response = api(world.fiji_viewer).post("/api/messages/", {
        "to": [world.centre.pk], "subject": "x"}, format="json")
    assert response.status_code == 403


def test_list_boxes_and_reading_marks_the_receipt(world):
    message = send(world)
    hub = api(world.hub)
    received = hub.get("/api/messages/", {"box": "received"}).data
    assert received["count"] == 1 and received["results"][0]["unread"] is True
    assert hub.get("/api/messages/", {"box": "sent"}).data["count"] == 0
    assert hub.get("/api/messages/", {"box": "nope"}).status_code == 400
    detail = hub.get(f"/api/messages/{message.pk}/")
    assert detail.status_code == 200 and detail.data["body"] == message.body
    row = MessageRecipient.objects.get(message=message)
    assert row.read_by == world.hub and row.read_at is not None
    assert hub.get("/api/messages/", {"box": "unread"}).data["count"] == 0


def test_receipts_the_sender_sees_every_row_a_recipient_its_own(world):
    message = send(world, to=[world.centre, world.tonga_unit])
    api(world.tonga).get(f"/api/messages/{message.pk}/")
    sender = api(world.fiji).get(f"/api/messages/{message.pk}/receipts/").data
    assert {row["organisation_name"]: row["read_by"] for row in sender} == {
        "Pacific Centre": None, "Tonga Unit": "tonga"}
    mine = api(world.hub).get(f"/api/messages/{message.pk}/receipts/").data
    assert [row["organisation"] for row in mine] == [world.centre.pk]


def test_reply_and_a_hubs_forward(world):
    message = send(world, markings=amber(recipient_organisations=[world.centre,
                                                                  world.tonga_unit]))
    reply = api(world.hub).post(f"/api/messages/{message.pk}/reply/",
                                {"body": "Received, thanks."}, format="json")
    assert reply.status_code == 201, reply.data
    assert reply.data["subject"].startswith("Re: ") and reply.data["reply_to"] == message.pk
    wider = api(world.hub).post(f"/api/messages/{message.pk}/reply/",
                                {"body": "x", "tlp": "clear"}, format="json")
    assert wider.status_code == 400 and "tlp" in wider.data
    sent = api(world.hub).post(f"/api/messages/{message.pk}/forward/",
                               {"to": [world.tonga_unit.pk], "note": "For you."},
                               format="json")
    assert sent.status_code == 201, sent.data
    # Tonga's unit may not see the original: the forward does not name it.
    forwarded = api(world.tonga).get(f"/api/messages/{sent.data['id']}/").data
    assert forwarded["forwarded_from"] is None and forwarded["thread"] is None
    assert api(world.fiji).get(f"/api/messages/{sent.data['id']}/").data[
        "forwarded_from"] == message.pk
    assert api(world.tonga).post(f"/api/messages/{sent.data['id']}/forward/", {
        "to": [world.outsider.pk]}, format="json").status_code == 403


def test_attachment_download_headers_as_the_page(world):
    message = send(world, attachments=[text_file(), SimpleUploadedFile("dot.png", PNG)])
    client = api(world.hub)
    text, image = sorted(message.attachments.all(), key=lambda a: a.name != "notes.txt")
    url = f"/api/messages/{message.pk}/attachments/"
    response = client.get(f"{url}{text.pk}/", {"inline": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"the suspect's wallet\n"
    shown = client.get(f"{url}{image.pk}/", {"inline": "1"})
    assert shown["Content-Disposition"].startswith("inline")
    assert client.get(f"{url}{image.pk}/")["Content-Disposition"].startswith("attachment")
    assert client.get(f"{url}{image.pk + 100}/").status_code == 404


@pytest.mark.parametrize("method,suffix", [
    ("get", ""), ("get", "receipts/"), ("get", "eml/"), ("get", "attachments/{a}/"),
    ("post", "reply/"), ("post", "forward/")])
def test_an_admin_outside_the_compartment_gets_404_everywhere(world, method, suffix):
    message = send(world, attachments=[text_file()])
    url = f"/api/messages/{message.pk}/" + suffix.format(a=message.attachments.get().pk)
    client = api(world.admin)
    response = getattr(client, method)(url, {"body": "x", "to": [world.tonga_unit.pk]},
                                       format="json")
    assert response.status_code == 404
    assert client.get("/api/messages/").data["count"] == 0
    assert Message.objects.count() == 1


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(world,
                                                            django_assert_max_num_queries):
    client = api(world.hub)
    for _ in range(3):
        send(world, markings=amber(recipient_organisations=[world.centre]))
    client.get("/api/messages/")  # warm: what one process reads once
    with django_assert_max_num_queries(5):
        assert client.get("/api/messages/").data["count"] == 3
    for _ in range(3):
        send(world, markings=amber(recipient_organisations=[world.centre]))
    with django_assert_max_num_queries(5):
        assert client.get("/api/messages/").data["count"] == 6


def test_a_forward_of_a_message_marked_not_to_be_passed_on_is_refused(world):
    message = send(world, markings=amber(handling=["no-onward"]))
    response = api(world.hub).post(f"/api/messages/{message.pk}/forward/",
                                   {"to": [world.tonga_unit.pk]}, format="json")
    assert response.status_code == 400
    assert "not to be passed on" in response.data["detail"][0].lower() or \
        "passed on" in str(response.data)
