"""Requests for information (RFIs): sending one, answering it, closing it, and the sweep
that marks the overdue ones and tells both sides' organisation admins.

An RFI is a secure message (sent through ``messaging.services.send_message``, so it has
the message's markings, compartment, attachments and audit entry) with a
:class:`~vaka.messaging.models.RequestForInformation`: what is asked is the message's
body; why is the case reference and the reason; and a deadline, in the future when sent.

Its status:

* ``open`` when sent;
* ``answered`` once every recipient organisation has answered (a reply in the thread,
  marked as its organisation's answer: ``MessageRecipient.answer`` and ``answered_at``);
* ``overdue`` once the deadline has passed with an answer missing (``mark_overdue``, run
  by the scheduler's round); the sender's organisation and each late recipient's are
  told once (notice ``RFI_OVERDUE``, audit ``RFI_ESCALATE``). A late answer still counts,
  and makes it ``answered`` when it is the last one missing;
* ``closed`` by the sender's organisation, with answers missing or not; no answer is
  taken after that.

Every write checks who may make it, raises one ``ValidationError`` keyed by field for
bad input, writes in one transaction with its audit entry, and then tells the
organisations concerned through the inbox (whose e-mail says nothing of the content).
These functions are what the pages and the API call; keep their signatures.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Capability, Role
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.messaging import services
from vaka.messaging.models import Message, MessageRecipient, Priority, RequestForInformation
from vaka.policy import audit
from vaka.policy.markings import TLP
from vaka.policy.services import Markings, audience_for
from vaka.policy.visibility import can_see

Status = RequestForInformation.Status
CASE_REFERENCE_LENGTH = RequestForInformation._meta.get_field("case_reference").max_length
REASON_LENGTH = 4000


@dataclass
class RfiDetails:
    """What makes a message an RFI (the same for the form, the API and the CLI); what is
    asked is the message's body."""

    deadline: datetime | None
    case_reference: str = ""
    reason: str = ""


def clean_details(details: RfiDetails, *, now: datetime | None = None
                  ) -> dict[str, list[str]]:
    """What is wrong with ``details``, keyed by field; normalises it in place."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    details.case_reference = (details.case_reference or "").strip()
    details.reason = (details.reason or "").strip()
    if details.deadline is None:
        errors["deadline"] = [_("Give the deadline by which the answer is needed.")]
    elif timezone.is_naive(details.deadline):
        errors["deadline"] = [_("Give the deadline with its time zone.")]
    elif details.deadline <= now:
        errors["deadline"] = [
            _("The deadline %(deadline)s has already passed: give one in the future.")
            % {"deadline": _when(details.deadline)}]
    if len(details.case_reference) > CASE_REFERENCE_LENGTH:
        errors["case_reference"] = [
            _("The case reference is %(n)d characters long; at most %(max)d fit.")
            % {"n": len(details.case_reference), "max": CASE_REFERENCE_LENGTH}]
    elif "\n" in details.case_reference:
        errors["case_reference"] = [_("The case reference is one line.")]
    if len(details.reason) > REASON_LENGTH:
        errors["reason"] = [_("The reason is %(n)d characters long; at most %(max)d fit.")
                            % {"n": len(details.reason), "max": REASON_LENGTH}]
    for name in ("case_reference", "reason"):
        if "\x00" in getattr(details, name):
            errors.setdefault(name, []).append(_("It holds a NUL character."))
    return errors


def _when(moment: datetime) -> str:
    """A moment as the pages show it: in the current time zone, named."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


# --- Who may do what ------------------------------------------------------------------------

def is_sender_side(user: Any, rfi: RequestForInformation) -> bool:
    """``user`` belongs to the organisation that sent ``rfi`` and may see it."""
    return (getattr(user, "organisation_id", None) is not None
            and user.organisation_id == rfi.message.owner_id and can_see(user, rfi.message))


def asked_row(user: Any, rfi: RequestForInformation) -> MessageRecipient | None:
    """The recipient row of ``user``'s organisation when it was asked and ``user`` may see
    the RFI; None otherwise."""
    org_id = getattr(user, "organisation_id", None)
    if org_id is None or not can_see(user, rfi.message):
        return None
    return MessageRecipient.objects.filter(message_id=rfi.message_id,
                                           organisation_id=org_id).first()


def check_can_close(user: User, rfi: RequestForInformation) -> None:
    if not (is_sender_side(user, rfi) and user.can(Capability.CONTRIBUTE)):
        raise PermissionDenied(_("Only the organisation that sent a request for information "
                                 "closes it."))


def check_can_answer(user: User, rfi: RequestForInformation) -> MessageRecipient:
    """The row ``user`` answers for; refused with the reason otherwise."""
    row = asked_row(user, rfi)
    if row is None:
        raise ValidationError(_("Your organisation was not asked this request for "
                                "information."))
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not answer requests for information."))
    if rfi.status == Status.CLOSED:
        raise ValidationError(_("The sender closed this request for information on "
                                "%(closed)s: it takes no more answers. You can still reply "
                                "in the thread.") % {"closed": _when(rfi.closed_at)})
    if row.answered_at is not None:
        raise ValidationError(_("Your organisation already answered on %(answered)s. You "
                                "can still reply in the thread.")
                              % {"answered": _when(row.answered_at)})
    return row


# --- Notices -------------------------------------------------------------------------------

def _admins_reading(message: Message, org_id: int) -> list[User]:
    """The active organisation admins of ``org_id`` who may read ``message``."""
    admins = User.objects.filter(organisation_id=org_id, role=Role.ORG_ADMIN, is_active=True)
    return [admin for admin in admins if can_see(admin, message)]


def _tell(rfi: RequestForInformation, org_id: int, kind: str, key: str, *,
          admins_only: bool = False, **params: Any) -> None:
    """A notice for ``org_id`` within the message's audience, leading to its thread.

    ``admins_only``: for the organisation's admins among the message's readers alone — a
    TLP:RED notice naming them, which is never wider than the message; when none of them
    may read it, the notice goes to the message's readers there, as any other."""
    message = rfi.message
    tlp, audience_id = message.tlp, message.audience_id
    admins = _admins_reading(message, org_id) if admins_only else []
    if admins:
        tlp, audience_id = TLP.RED, audience_for(Markings(recipients=admins)).pk
    notify(kind=kind, owner_id=org_id, group_key=key, tlp=tlp,
           audience_id=audience_id, target_name="messaging:message",
           target_args=[message.pk], params={
               "subject": message.subject[:200], "deadline": rfi.deadline.isoformat(),
               **params})


def tell_recipients(rfi: RequestForInformation) -> None:
    """Notice ``RFI`` to each recipient organisation: what is asked of it, by when."""
    sender = rfi.message.owner.name
    for org_id in rfi.message.recipients_rows.values_list("organisation_id", flat=True):
        _tell(rfi, org_id, Notice.Kind.RFI, f"rfi:{rfi.message_id}", sender=sender)


# --- Sending ---------------------------------------------------------------------------------

def send_rfi(*, user: User, recipients: Sequence[Organisation], subject: str, body: str,
             details: RfiDetails, markings: Markings, priority: str = Priority.ROUTINE,
             attachments: Sequence[UploadedFile] = (), request: Any = None
             ) -> RequestForInformation:
    """Ask ``recipients`` for information: a message (``services.send_message``: its
    checks of the text, recipients, markings and attachments) whose body says what is
    asked, and its RFI row (``details``: the deadline, in the future, the case reference
    and the reason), written in one transaction. Each recipient organisation gets one
    notice, ``RFI`` (instead of the message's). Refused as a whole, every problem keyed by
    its field, the RFI's and the message's together."""
    errors = clean_details(details)
    made: list[RequestForInformation] = []

    def add_rfi(message: Message) -> None:
        if errors:  # the message was good: its transaction is undone, files removed
            raise ValidationError(errors)
        rfi = RequestForInformation.objects.create(
            message=message, case_reference=details.case_reference, reason=details.reason,
            deadline=details.deadline)
        audit.record(audit.Action.CREATE, actor=user, target=rfi, request=request,
                     detail={"message": message.pk, "deadline": rfi.deadline.isoformat()})
        made.append(rfi)

    try:
        services.send_message(user=user, recipients=recipients, subject=subject, body=body,
                              priority=priority, markings=markings, attachments=attachments,
                              request=request, then=add_rfi,
                              notice=lambda message, org_ids: tell_recipients(made[0]))
    except ValidationError as error:
        if errors and hasattr(error, "error_dict"):
            raise ValidationError({**error.message_dict, **errors}) from error
        raise
    return made[0]


# --- Answering and closing -----------------------------------------------------------------

def _locked(rfi: RequestForInformation) -> RequestForInformation:
    return (RequestForInformation.objects.select_for_update()
            .select_related("message", "message__owner").get(pk=rfi.pk))


def answer_rfi(rfi: RequestForInformation, *, user: User, body: str,
               attachments: Sequence[UploadedFile] = (), request: Any = None
               ) -> MessageRecipient:
    """``user``'s organisation answers ``rfi``: a reply in its thread (``send_message``
    with ``reply_to``, marked as the request, ``services.reply_markings``) to the
    organisation that asked — the other recipients do not read each other's answers —
    marked as the organisation's answer, in one transaction. The RFI is ``answered``
    when it was the last answer missing. The asking organisation gets one notice,
    ``RFI_ANSWERED``. Refused, with the reason, when the organisation was not asked, has
    answered already, or the RFI is closed."""
    check_can_answer(user, rfi)
    message = rfi.message
    if not (body or "").strip():
        raise ValidationError({"body": [_("Write the answer.")]})
    answered: list[MessageRecipient] = []

    def mark(reply: Message) -> None:
        answered.append(_record_answer(rfi, reply, user=user, request=request))

    services.send_message(
        user=user, recipients=[message.owner], subject=services.reply_subject(message.subject),
        body=body, priority=message.priority, markings=services.reply_markings(message, user),
        attachments=attachments, reply_to=message, request=request, then=mark,
        notice=lambda reply, org_ids: tell_answered(rfi, answered[0]))
    return answered[0]


def _record_answer(rfi: RequestForInformation, reply: Message, *, user: User,
                   request: Any) -> MessageRecipient:
    """Within the reply's transaction: the answer on the organisation's row, checked again
    with the RFI locked (it may have been closed or answered meanwhile)."""
    rfi = _locked(rfi)
    row = check_can_answer(user, rfi)
    now = reply.sent_at
    row.answer, row.answered_at = reply, now
    row.save(update_fields=["answer", "answered_at"])
    if not MessageRecipient.objects.filter(message_id=rfi.message_id,
                                           answered_at__isnull=True).exists():
        rfi.status = Status.ANSWERED
        rfi.save(update_fields=["status"])
    audit.record(audit.Action.RFI_ANSWER, actor=user, target=rfi, request=request,
                 detail={"message": rfi.message_id, "answer": reply.pk,
                         "organisation": row.organisation_id, "late": now > rfi.deadline,
                         "status": rfi.status})
    return row


def tell_answered(rfi: RequestForInformation, row: MessageRecipient) -> None:
    """Notice ``RFI_ANSWERED`` to the asking organisation: who answered, and whether late."""
    _tell(rfi, rfi.message.owner_id, Notice.Kind.RFI_ANSWERED,
          f"rfi-answered:{rfi.message_id}:{row.organisation_id}",
          organisation=row.organisation.name, late=row.answered_at > rfi.deadline)


@transaction.atomic
def close_rfi(rfi: RequestForInformation, *, user: User, comment: str = "",
              request: Any = None) -> RequestForInformation:
    """The sender's organisation closes ``rfi``, answers missing or not: no more answers
    are taken, and it is no longer chased."""
    rfi = _locked(rfi)
    check_can_close(user, rfi)
    if rfi.status == Status.CLOSED:
        raise ValidationError(_("This request for information was already closed on "
                                "%(closed)s.") % {"closed": _when(rfi.closed_at)})
    missing = list(MessageRecipient.objects.filter(
        message_id=rfi.message_id, answered_at__isnull=True).values_list(
        "organisation_id", flat=True))
    before = rfi.status
    rfi.status, rfi.closed_at = Status.CLOSED, timezone.now()
    rfi.save(update_fields=["status", "closed_at"])
    audit.record(audit.Action.RFI_CLOSE, actor=user, target=rfi, request=request,
                 detail={"message": rfi.message_id, "from": before,
                         "unanswered": sorted(missing), "comment": comment.strip()[:500]})
    return rfi


# --- The overdue sweep ---------------------------------------------------------------------

def mark_overdue(now: datetime | None = None) -> dict[str, int]:
    """One scheduler round: every open RFI past its deadline with an answer missing
    becomes ``overdue``, and is escalated once — a notice ``RFI_OVERDUE`` to the sender's
    organisation's admins and to each late recipient's, and an ``RFI_ESCALATE``
    audit entry. Each RFI is claimed (open and not yet escalated → overdue, escalated
    now) in its own transaction before anything is told, so two schedulers never both
    escalate one, and one RFI's failure leaves the others' escalations done."""
    now = now or timezone.now()
    overdue = escalated = 0
    due = (RequestForInformation.objects.filter(status=Status.OPEN, deadline__lt=now,
                                                escalated_at__isnull=True)
           .select_related("message", "message__owner").order_by("deadline", "pk"))
    for rfi in due:
        with transaction.atomic():
            if not RequestForInformation.objects.filter(
                    pk=rfi.pk, status=Status.OPEN, escalated_at__isnull=True).update(
                    status=Status.OVERDUE, escalated_at=now):
                continue  # another scheduler took it, or it was answered or closed
            overdue += 1
            # An open RFI has an answer missing: the last answer makes it answered.
            late = list(MessageRecipient.objects.filter(
                message_id=rfi.message_id, answered_at__isnull=True)
                .select_related("organisation").order_by("organisation__name", "pk"))
            MessageRecipient.objects.filter(pk__in=[row.pk for row in late]).update(
                escalated_at=now)
            names = [row.organisation.name for row in late]
            _tell(rfi, rfi.message.owner_id, Notice.Kind.RFI_OVERDUE,
                  f"rfi-overdue:{rfi.message_id}", admins_only=True, side="sender",
                  missing=names)
            for row in late:
                _tell(rfi, row.organisation_id, Notice.Kind.RFI_OVERDUE,
                      f"rfi-overdue:{rfi.message_id}", admins_only=True, side="recipient",
                      sender=rfi.message.owner.name)
            audit.record(audit.Action.RFI_ESCALATE, target=rfi, actor_name="scheduler",
                         detail={"message": rfi.message_id, "deadline":
                                 rfi.deadline.isoformat(),
                                 "organisations": [rfi.message.owner_id,
                                                   *(row.organisation_id for row in late)]})
            escalated += 1
    return {"overdue": overdue, "escalated": escalated}
