"""Messages as RFC 5322 .eml files: what an export holds, the round trip back through an
import, and every refusal of an import saying what was wrong and where."""

import email
import hashlib
from email import policy
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from tests.messaging.conftest import amber, send, text_file
from vaka.messaging import eml, services
from vaka.messaging.models import Message
from vaka.policy.services import Markings

MARKED = {"handling": ["no-evidence", "policing-purpose"], "pap": "green",
          "grading_scheme": "admiralty", "grading_source": "B", "grading_information": "2"}


def parsed(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def eml_file(data: bytes, name: str = "mail.eml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="message/rfc822")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_export_names_organisations_markings_and_attachments(world):
    message = send(world, markings=amber(**MARKED), priority="urgent",
                   attachments=[text_file("wallets.csv", b"wallet\nbc1q\n")])
    data = eml.export_eml(message, user=world.hub)
    assert b"\r\n" in data
    mail = parsed(data)
    [sender], [to] = mail["From"].addresses, mail["To"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Fiji Unit", f"org-{world.fiji_unit.pk}@vaka.invalid")
    assert (to.display_name, to.addr_spec) == (
        "Pacific Centre", f"org-{world.centre.pk}@vaka.invalid")
    assert mail["Subject"] == message.subject
    assert mail["Message-ID"].startswith(f"<message-{message.pk}@")
    assert (mail["X-Vaka-TLP"], mail["X-Vaka-PAP"]) == ("TLP:AMBER", "PAP:GREEN")
    assert mail["X-Vaka-Handling"] == "no-evidence, policing-purpose"
    assert mail["X-Vaka-Grading"] == "admiralty; source=B; information=2; handling="
    assert mail["X-Vaka-Priority"] == "urgent"
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("TLP:AMBER\n\n") and message.body in body
    [part] = mail.iter_attachments()
    assert part.get_filename() == "wallets.csv"
    assert part.get_content_type() == "text/plain"
    assert part.get_payload(decode=True) == b"wallet\nbc1q\n"


def test_round_trip_keeps_subject_body_markings_and_attachment_hashes(world):
    data = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    original = send(world, markings=amber(**MARKED), body="Line one.\nLine *two*.",
                    attachments=[text_file(), SimpleUploadedFile("brief.pdf", data)])
    exported = eml.export_eml(original, user=world.fiji)
    # The centre imports it as its own message to Tonga's unit, choosing other markings:
    # the mail's headers win where valid.
    response = api(world.hub).post("/api/messages/import/", {
        "file": eml_file(exported), "to": [world.tonga_unit.pk], "tlp": "red",
        "recipients": ["tonga"], "distribution": "members"}, format="multipart")
    assert response.status_code == 201, response.data
    assert response.data["ignored"] == []
    copy = Message.objects.get(pk=response.data["message"]["id"])
    assert (copy.subject, copy.body, copy.owner_id) == (original.subject, original.body,
                                                        world.centre.pk)
    mine, theirs = Markings.of(copy), Markings.of(original)
    for name in ("tlp", "pap", "handling", "grading_scheme", "grading_source",
                 "grading_information", "grading_handling"):
        assert getattr(mine, name) == getattr(theirs, name), name
    assert sorted(a.sha256 for a in copy.attachments.all()) == sorted(
        a.sha256 for a in original.attachments.all())
    assert sorted(a.sha256 for a in copy.attachments.all())[0] in {
        hashlib.sha256(data).hexdigest(), hashlib.sha256(b"the suspect's wallet\n").hexdigest()}


def test_thread_references_name_only_messages_the_reader_may_see(world):
    message = send(world, markings=amber(recipient_organisations=[world.centre,
                                                                  world.tonga_unit]))
    answer = services.reply(message, user=world.hub, body="Thanks.")
    mail = parsed(eml.export_eml(answer, user=world.fiji))
    assert mail["In-Reply-To"].startswith(f"<message-{message.pk}@")
    forwarded = services.forward(message, user=world.hub, recipients=[world.tonga_unit])
    seen_by_tonga = parsed(eml.export_eml(forwarded, user=world.tonga))
    assert seen_by_tonga["References"] is None and seen_by_tonga["In-Reply-To"] is None


def mail_with(*, headers: dict[str, str] | None = None, parts=(), html: bool = False
              ) -> bytes:
    mail = EmailMessage(policy=policy.default)
    mail["From"] = "someone@example.org"
    mail["Subject"] = "Imported"
    for name, value in (headers or {}).items():
        mail[name] = value
    if html:
        mail.set_content("<p>Hi</p>", subtype="html")
    else:
        mail.set_content("Hello.")
    for name, data, kind in parts:
        maintype, subtype = kind.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def importing(world, data: bytes, **markings):
    return eml.import_eml(eml_file(data), user=world.hub, recipients=[world.fiji_unit],
                          markings=amber(**markings))


def test_invalid_headers_are_set_aside_saying_so_and_the_chosen_markings_used(world):
    message, ignored = importing(world, mail_with(headers={
        "X-Vaka-TLP": "TLP:PURPLE", "X-Vaka-Handling": "no-evidence, shred-it",
        "X-Vaka-Priority": "urgent"}), pap="red")
    assert (message.tlp, message.pap, message.handling, message.priority) == (
        "amber", "red", [], "urgent")
    assert len(ignored) == 2 and "X-Vaka-TLP" in ignored[0] and "PURPLE" in ignored[0]


def test_a_refused_attachment_refuses_the_whole_import_naming_it(world):
    data = mail_with(parts=[("notes.txt", b"fine\n", "text/plain"),
                            ("run.exe", b"MZ\x90\x00" + b"\x00" * 60,
                             "application/octet-stream")])
    with pytest.raises(ValidationError) as caught:
        importing(world, data)
    [reason] = caught.value.message_dict["attachments"]
    assert reason.startswith("Attachment 2 of the mail") and "run.exe" in reason
    assert not Message.objects.exists()


@pytest.mark.parametrize("data,words", [
    (b"%PDF-1.4\n\x00\x01binary", "not an e-mail"),
    (b"Subject: x\nContent-Type: multipart/mixed; boundary=zz\n\nno parts here\n",
     "malformed"),
    (b"From: a@b.c\n\nno subject", "no subject"),
])
def test_what_is_no_mail_is_refused_saying_why(world, data, words):
    with pytest.raises(ValidationError) as caught:
        importing(world, data)
    assert words in caught.value.message_dict["file"][0]


def test_an_html_only_mail_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        importing(world, mail_with(html=True))
    assert "HTML" in caught.value.message_dict["file"][0]


def test_a_mail_over_the_upload_limit_is_refused(world, settings):
    settings.MAX_UPLOAD_MB = 1
    data = mail_with(parts=[("big.txt", b"x" * (1024 * 1024 + 10), "text/plain")])
    with pytest.raises(ValidationError) as caught:
        importing(world, data)
    assert "1 MB" in caught.value.message_dict["file"][0]


def test_api_import_errors_are_400_by_field(world):
    client = api(world.hub)
    bad = client.post("/api/messages/import/", {"file": eml_file(b"garbage"),
                                                 "to": [world.fiji_unit.pk]},
                      format="multipart")
    assert bad.status_code == 400 and "file" in bad.data
    missing = client.post("/api/messages/import/", {"to": [world.fiji_unit.pk]},
                          format="multipart")
    assert missing.status_code == 400 and "file" in missing.data


def test_the_pages_export_and_import(world):
    message = send(world, attachments=[text_file()])
    page = Client()
    page.force_login(world.hub)
    thread = page.get(f"/messages/{message.pk}/").content.decode()
    assert f"/messages/{message.pk}/eml/" in thread
    response = page.get(f"/messages/{message.pk}/eml/")
    assert response.status_code == 200 and response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    outsider = Client()
    outsider.force_login(world.tonga)
    assert outsider.get(f"/messages/{message.pk}/eml/").status_code == 404
    assert page.get("/messages/import/").status_code == 200
    sent = page.post("/messages/import/", {
        "file": eml_file(response.content), "to": [world.tonga_unit.pk],
        "distribution": "members", "tlp": "green", "priority": "routine"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    copy = Message.objects.exclude(pk=message.pk).get()
    assert copy.tlp == "amber"  # the mail's header, over the form's green
    refused = page.post("/messages/import/", {
        "file": eml_file(b"garbage"), "to": [world.tonga_unit.pk],
        "distribution": "members", "tlp": "green", "priority": "routine"})
    assert refused.status_code == 400 and "not an e-mail" in refused.content.decode()
