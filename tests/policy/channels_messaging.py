"""Visibility channel of the secure messages' pages, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. The messages are those of
``channels_compartments`` (one per note, with the note's markings, in a compartment of
its own: ``built``), each a request for information, dressed here as the services would
leave them: recipient rows only for the organisations the message reaches
(``policy.visibility.reaches``), a real file attached, the first recipient's answer (in time when
the deadline is ten days off, late on every other one, whose deadline has passed), and
the services' notices (message, RFI, answered, and the overdue sweep's). Each message
gets a reply in its thread and a forward, both marked like the next notes, and a reply
among its compartment's organisations but the user's (which the user never sees).

The reference: the random world's user sees a message, reply or forward exactly when
they may see the note whose markings it carries AND their organisation is in its
compartment (``expected_indexes``). Then: the message list (its count, filtered too)
and the RFI list (count, filters, the answers asked and given — a recipient counts its
own), the thread page (a reply or forward the user may not see is never shown, linked or
counted), the attachment download, the RFI figures on the analytics page and in its CSV,
and the inbox's notices are exactly the reference's; everything else is 404 (thread,
attachment, reply and forward forms and their POSTs, an RFI's answer and close).
"""

import csv
import io
import re
import tempfile
from datetime import timedelta

from django.core.files.base import ContentFile
from django.test import Client, override_settings

from tests.policy.channels_compartments import _compartment, built
from vaka.directory.models import Organisation
from vaka.inbox.models import Notice
from vaka.inbox.selectors import notices_for
from vaka.messaging import rfis, services
from vaka.messaging.models import Message, MessageAttachment, MessageRecipient
from vaka.messaging.models import RequestForInformation as Rfi
from vaka.policy.visibility import reaches

COUNT = re.compile(r"(\d+) results?<")
KINDS = (Notice.Kind.MESSAGE, Notice.Kind.RFI, Notice.Kind.RFI_ANSWERED,
         Notice.Kind.RFI_OVERDUE)
OUTCOMES = ("rfis", "in_time", "late", "open", "closed_unanswered")


def _count(page: str) -> int:
    found = COUNT.search(page)
    return int(found.group(1)) if found else 0


def _copy(message: Message, note, circle: set[int], **fields) -> Message:
    """A message of ``message``'s world carrying ``note``'s markings, in ``circle``."""
    return Message.objects.create(
        compartment=_compartment("message", circle), owner=note.owner,
        created_by=note.created_by, distribution=note.distribution, tlp=note.tlp,
        audience=note.audience, **fields)


def _dress(notes: list, messages: list[Message], circles: list[set[int]], org: int | None
           ) -> dict:
    """The world's messages dressed as the services would leave them (module docstring)."""
    n = len(notes)
    rows, answered, late, extras = [], [], [], []
    for i, message in enumerate(messages):
        for row in MessageRecipient.objects.filter(message=message).select_related(
                "organisation"):
            if not reaches(message, row.organisation):
                row.delete()  # sending refuses an organisation the message cannot reach
        kept = list(MessageRecipient.objects.filter(message=message).order_by(
            "organisation_id"))
        rows.append([row.organisation_id for row in kept])
        rfi = Rfi.objects.get(message=message)
        rfi.deadline = message.sent_at + (timedelta(days=10) if i % 2 == 0
                                          else timedelta(seconds=-1))
        if kept:
            kept[0].answered_at = message.sent_at + timedelta(hours=i + 1)
            kept[0].save(update_fields=["answered_at"])
        answered.append(kept[:1])
        late.append([row.organisation_id for row in kept[1:]] if i % 2 else [])
        if len(kept) < 2:
            rfi.status = Rfi.Status.ANSWERED  # every recipient answered
        rfi.save(update_fields=["deadline", "status"])
        attachment = MessageAttachment.objects.get(message=message)
        attachment.file.save(f"secret-{i}.txt", ContentFile(f"secret-content-{i}-x"),
                             save=True)
        services._tell(message, rows[i])
        rfis.tell_recipients(rfi)
        for row in answered[i]:
            rfis.tell_answered(rfi, row)
        # A reply in the thread and a forward, marked like the next notes; and a reply
        # among the thread's organisations but the user's.
        for k, circle, fields in (
                ((i + 1) % n, circles[i], {"thread": message, "reply_to": message,
                                           "subject": f"secret-subject-reply-{i}-x",
                                           "body": f"secret-reply-body-{i}-x"}),
                (i, circles[i] - {org}, {"thread": message, "reply_to": message,
                                         "subject": f"secret-subject-aside-{i}-x",
                                         "body": f"secret-aside-body-{i}-x"}),
                ((i + 2) % n, circles[i], {"forwarded_from": message,
                                           "subject": f"secret-subject-forward-{i}-x"})):
            extras.append((_copy(message, notes[k], circle, **fields), k, circle))
    rfis.mark_overdue()
    return {"rows": rows, "answered": answered, "late": late, "extras": extras}


def _rfi_figures(web: Client, side: str) -> dict[str, list[int]]:
    answer = web.get("/messages/rfis/figures.csv", {"side": side})
    assert answer.status_code == 200, answer.content[:300]
    table = list(csv.reader(io.StringIO(answer.content.decode())))
    return {row[0]: [int(n) for n in row[1:6]] for row in table[1:]}


def check_messaging(user, visible: set[int], notes: list) -> None:
    messages, circles = built(notes)[1:]
    web = Client()
    if user is None:
        for path in ("/messages/", f"/messages/{messages[0].pk}/", "/messages/rfis/",
                     "/messages/rfis/figures.csv"):
            assert web.get(path).status_code == 302  # to sign in
        return
    files = tempfile.TemporaryDirectory()
    storage = override_settings(STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": files.name}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    storage.enable()
    try:
        world = _dress(notes, messages, circles, user.organisation_id)
        web.force_login(user)
        org = user.organisation_id
        n = len(notes)

        def sees(note: int, circle: set[int]) -> bool:
            return notes[note].pk in visible and org in circle

        shown = [i for i in range(n) if sees(i, circles[i])]
        hidden = [i for i in range(n) if i not in shown]
        # (message, seen) of every message of the world: roots, replies, forwards.
        every = [(messages[i], i in shown) for i in range(n)]
        every += [(m, sees(k, circle)) for m, k, circle in world["extras"]]
        unseen = [m for m, seen in every if not seen]

        def hides_the_unseen(text: str, where: str) -> None:
            for m in unseen:
                assert m.subject not in text, (where, m.subject)
                assert f"/messages/{m.pk}/" not in text, (where, m.pk)
                assert m.body not in text or not m.body, (where, m.body)

        # The message list, its count and filters; the dashboard.
        listing = web.get("/messages/", {"q": "secret-subject", "page_size": 200}).content.decode()
        hides_the_unseen(listing, "list")
        assert _count(listing) == sum(seen for _m, seen in every)
        assert all(m.subject in listing for m, seen in every if seen)
        received = web.get("/messages/", {"q": "secret-subject", "box": "received"}).content
        assert _count(received.decode()) == len([i for i in shown if org in world["rows"][i]])
        sent = web.get("/messages/", {"q": "secret-subject", "box": "sent"}).content.decode()
        assert _count(sent) == sum(seen and m.owner_id == org for m, seen in every)
        red = web.get("/messages/", {"q": "secret-subject", "tlp": "red"}).content.decode()
        assert _count(red) == sum(seen and m.tlp == "red" for m, seen in every)
        hides_the_unseen(web.get("/").content.decode(), "dashboard")

        # Threads: what the user sees of each, nothing of the rest; never a hidden reply.
        attachments = {i: MessageAttachment.objects.get(message=messages[i]) for i in range(n)}
        # The first two threads the user sees, and a forward's.
        roots = [m for m, seen in every if seen and m.thread_id is None]
        for message in roots[:2] + [m for m in roots if m.forwarded_from_id][:1]:
            page = web.get(f"/messages/{message.pk}/")
            assert page.status_code == 200
            text = page.content.decode()
            assert message.subject in text
            thread = [m for m, s in every if s and message.pk in (m.pk, m.thread_id)]
            assert text.count("<article") == len(thread), message.subject
            hides_the_unseen(text, message.subject)
        for reply, k, circle in world["extras"]:
            if reply.thread_id and sees(k, circle) and reply.thread_id not in {
                    messages[i].pk for i in shown}:  # a reply seen in a hidden thread
                text = web.get(f"/messages/{reply.pk}/").content.decode()
                assert text.count("<article") == 1
                hides_the_unseen(text, reply.subject)
        for i in shown:
            download = web.get(f"/messages/{messages[i].pk}/attachments/{attachments[i].pk}/")
            assert download.status_code == 200
            assert b"".join(download.streaming_content) == f"secret-content-{i}-x".encode()
            assert download["Content-Disposition"].startswith("attachment")
            assert web.get(f"/messages/{messages[i].pk}/reply/").status_code in (200, 403)
        for n_hidden, i in enumerate(hidden):
            base = f"/messages/{messages[i].pk}/"
            assert web.get(base).status_code == 404
            assert web.get(f"{base}attachments/{attachments[i].pk}/").status_code == 404
            for j in shown[:1]:  # a hidden file asked through a visible message
                assert web.get(f"/messages/{messages[j].pk}/attachments/{attachments[i].pk}/"
                               ).status_code == 404
            if n_hidden:
                continue  # the forms of the first hidden message (all behind message_for)
            for path in ("reply/", "forward/", "rfi/answer/"):
                assert web.get(base + path).status_code == 404, path
                assert web.post(base + path, {"body": "x"}).status_code == 404
            assert web.post(f"{base}rfi/close/").status_code == 404
        for message in unseen:
            if message.thread_id or message.forwarded_from_id:
                assert web.get(f"/messages/{message.pk}/").status_code == 404

        # RFIs: the list, its counts and filters, the answers asked and given.
        listed = web.get("/messages/rfis/", {"q": "case-", "page_size": 200}).content.decode()
        hides_the_unseen(listed, "rfis")
        assert _count(listed) == len(shown)
        for i in shown:
            ours = [o for o in world["rows"][i] if notes[i].owner_id == org or o == org]
            given = [r for r in world["answered"][i] if r.organisation_id in ours]
            row = re.search(rf"case-{i}</bdi>.*?dir=\"ltr\">(\d+)/(\d+)<", listed, re.S)
            assert row and (int(row.group(1)), int(row.group(2))) == (len(given), len(ours)), i
        overdue = [i for i in shown if i % 2 and world["late"][i]]
        for query, wanted in (({"status": "overdue"}, overdue),
                              ({"overdue": "true"}, overdue),
                              ({"direction": "sent"}, [i for i in shown
                                                       if notes[i].owner_id == org]),
                              ({"direction": "received"}, [i for i in shown
                                                           if org in world["rows"][i]])):
            page = web.get("/messages/rfis/", {"q": "case-", **query}).content.decode()
            assert _count(page) == len(wanted), query

        # RFI figures: the analytics panel and its CSV, over the answers the user may count.
        expected = {"received": {}, "sent": {}}
        names = dict(Organisation.objects.values_list("pk", "name"))
        for i in shown:
            owner = notes[i].owner_id
            for o in world["rows"][i]:
                if org not in (owner, o):
                    continue
                answered = any(r.organisation_id == o for r in world["answered"][i])
                outcome = ("in_time" if i % 2 == 0 else "late") if answered else "open"
                for side, who in (("received", o), ("sent", owner)):
                    figures = expected[side].setdefault(names[who], dict.fromkeys(OUTCOMES, 0))
                    figures[outcome] += 1
                expected["received"][names[o]]["rfis"] += 1
            if any(org in (owner, o) for o in world["rows"][i]):
                expected["sent"][names[owner]]["rfis"] += 1
        for side in ("received", "sent"):
            assert _rfi_figures(web, side) == {
                name: [f[k] for k in OUTCOMES] for name, f in expected[side].items()}, side
        analytics = web.get("/analytics/").content.decode()
        hides_the_unseen(analytics, "analytics")
        assert ('id="rfis-received"' in analytics) == bool(expected["received"])

        # The inbox: the notices of the messages the user sees, to their organisation.
        told = {(notice.kind, notice.target_args[0])
                for notice in notices_for(user).filter(kind__in=KINDS)}
        wanted = set()
        for i in shown:
            pk, owner = messages[i].pk, notes[i].owner_id
            if org in world["rows"][i]:
                wanted |= {(Notice.Kind.MESSAGE, pk), (Notice.Kind.RFI, pk)}
            if org == owner and world["answered"][i]:
                wanted.add((Notice.Kind.RFI_ANSWERED, pk))
            if world["late"][i] and (org == owner or org in world["late"][i]):
                wanted.add((Notice.Kind.RFI_OVERDUE, pk))
        assert told == wanted
        hides_the_unseen(web.get("/inbox/", {"page_size": 200}).content.decode(), "inbox")
    finally:
        storage.disable()
        files.cleanup()


CHANNELS = [check_messaging]
