"""Reads of secure messages, always through the visibility policy.

A message is seen by users of its compartment's organisations (sender and recipients; for
a forward, the original's sender too) within its markings' audience. A message of a thread
that a reader may not see is skipped — never counted, named or hinted at. Read receipts
are the sender organisation's to see; a recipient sees its own.
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from vaka.messaging.models import Message, MessageAttachment, MessageRecipient
from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to


def messages_for(user: Any) -> QuerySet[Message]:
    """The messages ``user`` may see, each annotated ``unread``: sent to the user's
    organisation and opened by nobody there yet."""
    org_id = getattr(user, "organisation_id", None)
    unread = MessageRecipient.objects.filter(message=OuterRef("pk"), organisation_id=org_id,
                                             read_at__isnull=True)
    return (visible_to(user, Message.objects.all())
            .select_related("owner", "owner__country", "created_by")
            .annotate(unread=Exists(unread)))


def message_for(user: Any, pk: int, *, request: Any = None) -> Message:
    """The message, or 404 — whether it does not exist or the user may not see it."""
    message = messages_for(user).filter(pk=pk).first()
    if message is None:
        raise Http404
    record_view(message, user=user, request=request)
    return message


def thread_for(user: Any, message: Message) -> QuerySet[Message]:
    """The messages of ``message``'s thread that ``user`` may see, oldest first."""
    root = message.thread_id_or_own
    return (messages_for(user).filter(Q(pk=root) | Q(thread_id=root))
            .select_related("forwarded_from__owner").order_by("sent_at", "pk"))


def recipients_of(message: Message) -> QuerySet[MessageRecipient]:
    """A message's recipient organisations with their read receipts (ask only for a
    message the reader may see)."""
    return message.recipients_rows.select_related("organisation", "read_by")


def receipts_for(user: Any, message: Message) -> QuerySet[MessageRecipient]:
    """The read receipts ``user`` may see: every recipient's for the sender organisation,
    its own for a recipient."""
    rows = recipients_of(message)
    if user.organisation_id == message.owner_id:
        return rows
    return rows.filter(organisation_id=user.organisation_id)


def forwards_for(user: Any, message: Message) -> QuerySet[Message]:
    """The forwards of ``message`` that ``user`` may see (its sender sees where it went)."""
    return messages_for(user).filter(forwarded_from=message).prefetch_related(
        "recipients_rows__organisation")


def attachment_for(user: Any, pk: int, attachment: int, *, request: Any = None
                   ) -> MessageAttachment:
    """One attachment of a message ``user`` may see, or 404."""
    message = message_for(user, pk, request=request)
    found = MessageAttachment.objects.filter(message=message, pk=attachment).first()
    if found is None:
        raise Http404
    return found
