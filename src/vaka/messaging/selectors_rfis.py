"""Reads of requests for information, always through the visibility policy.

An RFI is a part of its message: seen exactly where the message is. Its status as shown
(``shown_status``) is ``overdue`` as soon as an open RFI's deadline has passed, before the
scheduler's next round marks it. Who answered when is the sender organisation's to see; a
recipient sees its own answer (as with read receipts, ``selectors.receipts_for``).
"""

from datetime import datetime
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from vaka.messaging.models import Message, MessageRecipient, RequestForInformation
from vaka.messaging.selectors import receipts_for
from vaka.policy.visibility import visible_to

Status = RequestForInformation.Status


def shown_status(now: datetime) -> Case:
    """The status as the pages show it at ``now``: open past the deadline is overdue."""
    return Case(When(status=Status.OPEN, deadline__lt=now, then=Value(Status.OVERDUE)),
                default=F("status"), output_field=CharField())


def rfis_for(user: Any, *, now: datetime | None = None) -> QuerySet[RequestForInformation]:
    """The RFIs ``user`` may see, with their message and sender, each annotated
    ``shown`` (its status now), ``asked`` and ``answered`` (answers asked for and given;
    for a recipient, its own)."""
    now = now or timezone.now()
    org_id = getattr(user, "organisation_id", None)
    mine = Q(message__owner_id=org_id) | Q(message__recipients_rows__organisation_id=org_id)
    rows = "message__recipients_rows"
    return (visible_to(user, RequestForInformation.objects.all())
            .select_related("message", "message__owner")
            .annotate(shown=shown_status(now),
                      asked=Count(rows, filter=mine, distinct=True),
                      answered=Count(rows, distinct=True, filter=mine & Q(
                          message__recipients_rows__answered_at__isnull=False))))


def rfi_of(user: Any, message: Message) -> RequestForInformation | None:
    """The RFI of ``message`` (which ``user`` may see), or None when it is not one."""
    return rfis_for(user).filter(message=message).first()


def rfi_for(user: Any, message_pk: int) -> RequestForInformation:
    """The RFI of message ``message_pk``, or 404 — whether there is none or the user may
    not see it."""
    found = rfis_for(user).filter(message_id=message_pk).first()
    if found is None:
        raise Http404
    return found


def answers_for(user: Any, rfi: RequestForInformation) -> QuerySet[MessageRecipient]:
    """The recipient rows of ``rfi`` with their answers that ``user`` may see: all of
    them for the sender organisation, its own for a recipient."""
    return receipts_for(user, rfi.message).select_related("answer")
