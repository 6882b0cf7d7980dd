"""The message pages as a national unit, the coordination centre and an outsider use them."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import confirmed_totp
from tests.messaging.conftest import amber, send, text_file
from vaka.directory.roles import Role
from vaka.inbox.models import Notice
from vaka.messaging import services
from vaka.messaging.models import Message, MessageRecipient

PDF = b"%PDF-1.7\n%%EOF\n"
UNREAD = 'badge text-bg-primary me-1">Unread'


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.role == Role.PLATFORM_ADMIN:  # past the second factor
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client


def test_compose_sends_and_tells_the_recipient_only_on_commit(
        world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _client(world.fiji).post("/messages/new/", {
            "to": [world.centre.pk], "subject": "Mule accounts", "body": "See **this**.",
            "priority": "urgent", "distribution": "members", "tlp": "amber",
            "attachments": [text_file()]})
        assert not Notice.objects.exists()  # written, not yet told
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{message.pk}/"
    for callback in callbacks:
        callback()
    notice = Notice.objects.get(kind=Notice.Kind.MESSAGE)
    assert notice.owner == world.centre and notice.params["subject"] == "Mule accounts"
    assert "See" not in str(notice.params)  # the subject, never the content
    inbox = _client(world.hub).get("/inbox/").content.decode()
    assert "<bdi>Fiji Unit</bdi> sent your organisation an urgent message: " \
        "<bdi>Mule accounts</bdi>" in inbox


def test_a_refused_recipient_is_named_on_the_form(world):
    response = _client(world.fiji).post("/messages/new/", {
        "to": [world.centre.pk, world.tonga_unit.pk], "subject": "x", "body": "",
        "priority": "routine", "distribution": "members", "tlp": "amber",
        "recipient_organisations": [world.centre.pk]})
    assert response.status_code == 200
    assert "Tonga Unit is not one of its recipient organisations" in response.content.decode()
    assert "to" in response.context["form"].errors
    assert not Message.objects.exists()


def test_list_marks_unread_and_opening_the_thread_reads_it(world):
    message = send(world, priority="urgent")
    hub = _client(world.hub)
    page = hub.get("/messages/").content.decode()
    assert UNREAD in page and message.subject in page and "Urgent" in page
    thread = hub.get(f"/messages/{message.pk}/").content.decode()
    assert "bc1q" in thread and "<strong>" in thread  # the Markdown body, rendered
    assert MessageRecipient.objects.get(message=message).read_by == world.hub
    assert UNREAD not in hub.get("/messages/").content.decode()
    sender_view = _client(world.fiji).get(f"/messages/{message.pk}/").content.decode()
    assert "Read receipts" in sender_view and "read" in sender_view


def test_filter_by_priority_tlp_and_words_and_refuse_an_unknown_value(world):
    send(world, subject="Romance scam wallet", priority="urgent")
    send(world, subject="Monthly figures", markings=amber(tlp="green"))
    hub = _client(world.hub)
    urgent = hub.get("/messages/?priority=urgent").content.decode()
    assert "Romance scam wallet" in urgent and "Monthly figures" not in urgent
    green = hub.get("/messages/?tlp=green&q=figures").content.decode()
    assert "Monthly figures" in green and "Romance" not in green
    wrong = hub.get("/messages/?priority=loud")
    assert wrong.status_code == 400 and "loud" in wrong.content.decode()


def test_outsiders_and_a_platform_admin_outside_get_404_and_no_count(world):
    message = send(world, attachments=[text_file()], subject="Secret subject")
    attachment = message.attachments.get()
    for user in (world.admin, world.tonga):
        client = _client(user)
        assert client.get(f"/messages/{message.pk}/").status_code == 404
        assert client.get(f"/messages/{message.pk}/reply/").status_code == 404
        assert client.get(f"/messages/{message.pk}/forward/").status_code == 404
        assert client.get(
            f"/messages/{message.pk}/attachments/{attachment.pk}/").status_code == 404
        page = client.get("/messages/").content.decode()
        assert "Secret subject" not in page and "No messages." in page


def test_a_thread_skips_the_messages_the_reader_may_not_see(world):
    original = send(world, markings=amber(recipient_organisations=[world.centre,
                                                                   world.tonga_unit]))
    forwarded = services.forward(original, user=world.hub, recipients=[world.tonga_unit])
    # The original's parties are Fiji and the centre: a reply to it stays between them.
    private = services.reply(original, user=world.hub, body="Between the centre and Fiji.",
                             subject="Hub only")
    assert private.thread_id == original.pk
    tonga = _client(world.tonga).get(f"/messages/{forwarded.pk}/").content.decode()
    assert "Hub only" not in tonga and "Between the centre" not in tonga
    assert original.get_absolute_url() not in tonga
    fiji = _client(world.fiji).get(f"/messages/{original.pk}/").content.decode()
    assert "Hub only" in fiji and "Forwarded" in fiji and "Tonga Unit" in fiji


def test_forward_page_is_the_hubs_only(world):
    message = send(world)
    assert _client(world.fiji).get(f"/messages/{message.pk}/forward/").status_code == 403
    page = _client(world.hub).get(f"/messages/{message.pk}/").content.decode()
    assert f"/messages/{message.pk}/forward/" in page


def test_downloads_are_attachments_sandboxed_and_never_sniffed(world):
    message = send(world, attachments=[text_file(), text_file("scan.pdf", PDF)])
    files = {a.name: a for a in message.attachments.all()}
    hub = _client(world.hub)
    text = hub.get(f"/messages/{message.pk}/attachments/{files['notes.txt'].pk}/")
    assert text.status_code == 200
    assert text["Content-Disposition"].startswith("attachment")
    assert text["X-Content-Type-Options"] == "nosniff"
    assert text["Content-Security-Policy"].startswith("sandbox")
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(text.streaming_content) == b"the suspect's wallet\n"
    # ?inline=1 shows an image or a PDF in the browser, never text.
    pdf = hub.get(f"/messages/{message.pk}/attachments/{files['scan.pdf'].pk}/?inline=1")
    assert pdf["Content-Disposition"].startswith("inline")
    assert pdf["Content-Security-Policy"].startswith("sandbox")
    still = hub.get(f"/messages/{message.pk}/attachments/{files['notes.txt'].pk}/?inline=1")
    assert still["Content-Disposition"].startswith("attachment")


def test_the_list_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for n in range(15):
        send(world, subject=f"Message {n}", priority="urgent" if n % 2 else "routine")
    hub = _client(world.hub)
    hub.get("/messages/")  # warm: the session, the user's organisation
    with django_assert_max_num_queries(8):
        page = hub.get("/messages/").content.decode()
    assert "Message 14" in page


def test_the_hub_forwards_and_replies_through_the_pages(world):
    message = send(world, markings=amber(recipient_organisations=[world.centre,
                                                                  world.tonga_unit]))
    hub = _client(world.hub)
    assert "keeps the markings" in hub.get(f"/messages/{message.pk}/forward/").content.decode()
    response = hub.post(f"/messages/{message.pk}/forward/", {
        "to": [world.tonga_unit.pk], "note": "For Tonga."})
    forwarded = Message.objects.get(forwarded_from=message)
    assert response["Location"] == f"/messages/{forwarded.pk}/"
    refused = hub.post(f"/messages/{message.pk}/forward/", {"to": [world.outsider.pk]})
    assert "Outsider Unit is not one of its recipient organisations" in refused.content.decode()
    tonga = _client(world.tonga)
    form = tonga.get(f"/messages/{forwarded.pk}/reply/")
    assert form.status_code == 200 and "Pacific Centre" in form.content.decode()
    initial = form.context["form"].initial
    response = tonga.post(f"/messages/{forwarded.pk}/reply/", {
        "subject": initial["subject"], "body": "Thank you.", "priority": "routine",
        "distribution": "members", "tlp": "amber",
        "recipient_organisations": [o.pk for o in initial["recipient_organisations"]]})
    answer = Message.objects.get(reply_to=forwarded)
    assert response["Location"] == f"/messages/{answer.pk}/"
    assert set(answer.recipients_rows.values_list("organisation_id", flat=True)) == {
        world.centre.pk, world.fiji_unit.pk}
