"""Visibility channel of the messaging API and the .eml export, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Each note has a secure message
with the note's markings in a compartment, with a recipient row for each other
organisation of the compartment, an attachment and a request for information
(``channels_compartments.built``: the same records the compartments' channel checks; the
attachments get real files here). The reference: a user gets a message — listed, read,
its receipts, its attachment, its .eml file (API and page), its RFI listed and read —
exactly when they may see the note AND their organisation is in the compartment; the
receipts are every row for the sender organisation, the user's own for a recipient; the
RFI figures count exactly those RFIs' rows the viewer may count (every recipient's for the
sender, its own for a recipient). Everyone else gets 404 on every route — replies,
forwards, answers and closes included — and no count anywhere.
"""

import email
import json
from email import policy

from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from tests.policy import channels_compartments
from vaka.messaging.models import Message, MessageAttachment, RequestForInformation


def _files(messages: list[Message]) -> list[str]:
    """A real file for each message's attachment (the shared build points at none)."""
    names = []
    for i, message in enumerate(messages):
        content = f"secret-attachment-{i}-x\n".encode()
        name = default_storage.save(f"messages/channel/{message.pk}.txt", ContentFile(content))
        MessageAttachment.objects.filter(message=message).update(file=name, size=len(content))
        names.append(name)
    return names


def _figures(user, messages: list[Message], circles: list[set[int]], shown: set[int]
             ) -> tuple[int, int]:
    """Answers asked for (received side) and RFIs (sent side) the viewer counts."""
    org = user.organisation_id
    received = sent = 0
    for i in shown:
        owner = messages[i].owner_id
        rows = circles[i] - {owner} if org == owner else {org}
        received += len(rows)
        sent += bool(rows)
    return received, sent


def check_messaging_api(user, visible: set[int], notes: list) -> None:
    _operations, messages, circles = channels_compartments.built(notes)
    api = APIClient()
    if user is None:
        for url in ("/api/messages/", "/api/rfis/", "/api/rfis/figures/",
                    f"/api/messages/{messages[0].pk}/eml/"):
            assert api.get(url).status_code in (401, 403), url
        assert Client().get(f"/messages/{messages[0].pk}/eml/").status_code == 302
        return
    shown = channels_compartments.expected_indexes(user, visible, notes, circles)
    mine = {messages[i].pk for i in shown}
    api.force_authenticate(user)
    # Up to two .eml exports a message, after the other channels' exports of this world:
    # the export rate limit must not turn one into a 429.
    caches["default"].clear()
    web = Client()
    web.force_login(user)
    stored = _files(messages)
    try:
        listing = api.get("/api/messages/", {"q": "secret-subject", "page_size": 100})
        assert listing.status_code == 200
        assert listing.data["count"] == len(mine)
        assert {row["id"] for row in listing.data["results"]} == mine
        asked = api.get("/api/rfis/", {"q": "secret-subject", "page_size": 100}).data
        assert asked["count"] == len(mine)
        assert {row["id"] for row in asked["results"]} == mine
        overdue = api.get("/api/rfis/", {"overdue": "true", "page_size": 100}).data
        assert {row["id"] for row in overdue["results"]} == mine
        figures = api.get("/api/rfis/figures/").data
        assert (sum(row["received"]["rfis"] for row in figures),
                sum(row["sent"]["rfis"] for row in figures)) == _figures(
            user, messages, circles, shown)
        text = json.dumps([listing.data, asked, figures])
        for i, message in enumerate(messages):
            url = f"/api/messages/{message.pk}/"
            attachment = MessageAttachment.objects.get(message=message)
            if message.pk not in mine:
                assert message.subject not in text
                assert api.get(url).status_code == 404
                assert api.get(f"{url}receipts/").status_code == 404
                assert api.get(f"{url}attachments/{attachment.pk}/").status_code == 404
                assert api.get(f"{url}eml/").status_code == 404
                assert web.get(f"/messages/{message.pk}/eml/").status_code == 404
                assert api.post(f"{url}reply/", {"body": "x"}, format="json"
                                ).status_code == 404
                assert api.post(f"{url}forward/", {"to": [user.organisation_id or 1]},
                                format="json").status_code == 404
                rfi = f"/api/rfis/{message.pk}/"
                assert api.get(rfi).status_code == 404
                assert api.post(f"{rfi}answer/", {"body": "x"}, format="json"
                                ).status_code == 404
                assert api.post(f"{rfi}close/", {}, format="json").status_code == 404
                continue
            detail = api.get(url)
            assert detail.status_code == 200 and detail.data["subject"] == message.subject
            [listed] = detail.data["attachments"]
            download = api.get(listed["url"])
            assert download.status_code == 200
            assert b"".join(download.streaming_content) == f"secret-attachment-{i}-x\n".encode()
            rows = {row["organisation"] for row in api.get(f"{url}receipts/").data}
            if user.organisation_id == message.owner_id:
                assert rows == circles[i] - {message.owner_id}
            else:
                assert rows == {user.organisation_id}
            for exported in (api.get(f"{url}eml/").content,
                             web.get(f"/messages/{message.pk}/eml/").content):
                mail = email.message_from_bytes(exported, policy=policy.default)
                assert mail["Subject"] == message.subject
                [part] = mail.iter_attachments()
                assert part.get_payload(decode=True) == f"secret-attachment-{i}-x\n".encode()
            assert api.get(f"/api/rfis/{message.pk}/").data["case_reference"] == f"case-{i}"
        # An import reads no record: nothing sent, it answers what was wrong with the file.
        refused = api.post("/api/messages/import/", {}, format="multipart")
        assert refused.status_code in (400, 403)
        assert RequestForInformation.objects.filter(message__in=messages).count() == len(
            messages)
        assert Message.objects.count() == len(messages)
    finally:
        for name in stored:
            default_storage.delete(name)


CHANNELS = [check_messaging_api]
