"""Writing secure messages: send, reply, forward through a hub, and read receipts.

Every message is checked whole before anything is kept: its subject and body, its
markings (the one markings input, :mod:`vaka.policy.inputs`, checked by
``policy.services.clean_markings``), its attachments (:mod:`vaka.uploads`: size, type,
content matching the name) and each recipient organisation against the message's
audience — the visibility policy itself (``audience_q``) decides, as for a product's
dissemination, and a refusal names every organisation outside and why. The rows and the
files are then written in one transaction: a file stored before a failing commit is
removed, so nothing is left half-written. Recipients are told (inbox notice, and the
inbox's content-free e-mail) only once the transaction has committed.

Call these outside any transaction of your own (or pass ``then`` to write more in the
same one, as requests for information do): a file is removed when *this* transaction
fails, which an outer one failing later would not undo.
"""

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Capability
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.messaging.models import Message, MessageAttachment, MessageRecipient, Priority
from vaka.policy import audit
from vaka.policy.markings import TLP, Handling
from vaka.policy.models import Compartment
from vaka.policy.narrowing import Reach, stricter_pap, within
from vaka.policy.services import (
    Markings,
    apply_markings,
    clean_markings,
    markings_detail,
    new_compartment,
    why_not_reached,
)
from vaka.policy.visibility import can_see, reaches
from vaka.uploads import Upload, check_kind, read_upload

SUBJECT_LENGTH = 300
BODY_LENGTH = 100_000
MAX_RECIPIENTS = 200
# Organisations that act as a hub: they forward what they receive to other organisations.
HUB_KINDS = (Organisation.Kind.COORDINATION_CENTRE, Organisation.Kind.DESK)


# --- Who may do what ------------------------------------------------------------------------

def check_can_send(user: User) -> None:
    """Contributors of an organisation send messages; viewers only read them."""
    if user.organisation_id is None:
        raise PermissionDenied(_("Your account belongs to no organisation."))
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not send messages."))


def is_hub(user: Any) -> bool:
    """Whether ``user``'s organisation forwards messages: a coordination centre or the desk."""
    org = getattr(user, "organisation", None) if getattr(user, "is_authenticated", False) \
        else None
    return org is not None and org.kind in HUB_KINDS and org.origin_id is None


def may_forward(user: Any, message: Message) -> bool:
    """A contributor of a hub organisation that received ``message`` (and may see it)."""
    return (is_hub(user) and user.can(Capability.CONTRIBUTE)
            and Handling.NO_ONWARD not in message.handling
            and MessageRecipient.objects.filter(message=message,
                                                organisation_id=user.organisation_id).exists()
            and can_see(user, message))


# --- Checks ---------------------------------------------------------------------------------

def _clean_text(subject: str, body: str, priority: str, errors: dict[str, list[str]]
                ) -> tuple[str, str]:
    subject, body = (subject or "").strip(), body or ""
    if not subject:
        errors.setdefault("subject", []).append(_("A message needs a subject."))
    elif len(subject) > SUBJECT_LENGTH or "\n" in subject:
        errors.setdefault("subject", []).append(
            _("The subject is one line of at most %d characters.") % SUBJECT_LENGTH)
    if len(body) > BODY_LENGTH:
        errors.setdefault("body", []).append(
            _("The message is %(n)d characters long; at most %(max)d fit.")
            % {"n": len(body), "max": BODY_LENGTH})
    for name, text in (("subject", subject), ("body", body)):
        if "\x00" in text:
            errors.setdefault(name, []).append(_("The text holds a NUL character."))
    if priority not in Priority.values:
        errors.setdefault("priority", []).append(
            _("Unknown priority “%(value)s” (allowed: %(allowed)s).")
            % {"value": priority, "allowed": ", ".join(Priority.values)})
    return subject, body


def _clean_recipients(sender: Organisation, recipients: Iterable[Organisation],
                      errors: dict[str, list[str]]) -> list[Organisation]:
    found: dict[int, Organisation] = {}
    for org in recipients:
        if org.pk == sender.pk:
            errors.setdefault("to", []).append(
                _("%s is your own organisation: it has the message as its sender.") % org)
        elif not org.is_active or org.origin_id is not None:
            errors.setdefault("to", []).append(
                _("%s does not take messages here (inactive, or of a connected instance).")
                % org)
        else:
            found.setdefault(org.pk, org)
    if not found and "to" not in errors:
        errors.setdefault("to", []).append(_("Choose at least one recipient "
                                                     "organisation."))
    if len(found) > MAX_RECIPIENTS:
        errors.setdefault("to", []).append(
            _("At most %d recipient organisations.") % MAX_RECIPIENTS)
    return list(found.values())


def _read_attachments(attachments: Sequence[UploadedFile], errors: dict[str, list[str]]
                      ) -> list[tuple[Upload, UploadedFile]]:
    """Each file's size, hash and type, refused with the reason when it may not be sent."""
    checked = []
    for upload in attachments:
        try:
            found = read_upload(upload, field="attachments")
            check_kind(found, field="attachments")
        except ValidationError as error:
            errors.setdefault("attachments", []).extend(error.message_dict["attachments"])
            continue
        checked.append((found, upload))
    return checked


# --- Writing --------------------------------------------------------------------------------

def _store(message: Message, files: list[tuple[Upload, UploadedFile]],
           stored: list[MessageAttachment]) -> None:
    for found, upload in files:
        attachment = MessageAttachment(message=message, name=found.name, size=found.size,
                                       content_type=found.content_type, sha256=found.sha256)
        attachment.file.save(f"{found.sha256[:16]}.bin", upload, save=False)
        stored.append(attachment)  # before the row: a failing save still removes the file
        attachment.save()


def _remove_files(stored: list[MessageAttachment]) -> None:
    for attachment in stored:
        if attachment.file.name:
            with contextlib.suppress(OSError):
                attachment.file.storage.delete(attachment.file.name)


def _tell(message: Message, org_ids: Iterable[int]) -> None:
    """Inbox notices to the recipient organisations, within the message's audience; the
    notice names only the subject (the inbox's e-mail names nothing)."""
    for org_id in org_ids:
        notify(kind=Notice.Kind.MESSAGE, owner_id=org_id, group_key=f"message:{message.pk}",
               tlp=message.tlp, audience_id=message.audience_id,
               target_name="messaging:message", target_args=[message.pk],
               params={"sender": message.owner.name, "subject": message.subject[:200],
                       "priority": message.priority,
                       "forwarded": message.forwarded_from_id is not None})


def _write(*, user: User, recipients: list[Organisation], parties: set[int],
           fields: dict[str, Any], markings: Markings, files: list[tuple[Upload, UploadedFile]],
           action: str, detail: dict[str, Any], request: Any,
           then: Callable[[Message], None] | None,
           notice: Callable[[Message, list[int]], None] | None) -> Message:
    """Write a checked message (markings already clean) with its recipients and files in
    one transaction; refused, with nothing kept, when a recipient is outside its audience.
    Recipients are told after the commit."""
    stored: list[MessageAttachment] = []
    try:
        with transaction.atomic():
            compartment = new_compartment(Compartment.Kind.MESSAGE, parties)
            message = Message(owner=user.organisation, created_by=user,
                              compartment=compartment, **fields)
            apply_markings(message, markings)
            message.save()
            # The check runs on the row inside this transaction, with the one policy
            # (``audience_q``): a refusal rolls it back before any file is written.
            conflicts = [why_not_reached(message.owner, markings, org) for org in recipients
                         if not reaches(message, org)]
            if conflicts:
                raise ValidationError({"to": sorted(conflicts)})
            MessageRecipient.objects.bulk_create(
                [MessageRecipient(message=message, organisation=org) for org in recipients])
            _store(message, files, stored)
            audit.record(action, actor=user, target=message, request=request, detail={
                **detail, **markings_detail(markings),
                "recipients": sorted(org.pk for org in recipients),
                "attachments": [a.sha256 for a in stored]})
            if then is not None:
                then(message)
            org_ids = [org.pk for org in recipients]
            tell = notice or _tell
            transaction.on_commit(lambda: tell(message, org_ids))
    except BaseException:
        _remove_files(stored)
        raise
    return message


def _markings_for(user: User, recipients: list[Organisation], markings: Markings,
                  errors: dict[str, list[str]]) -> Markings | None:
    # TLP:AMBER and AMBER+STRICT name recipient organisations; none given means the
    # message's recipients (not every organisation the distribution reaches).
    implied = (markings.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
               and not markings.recipient_organisations)
    if implied:
        markings.recipient_organisations = list(recipients)
    try:
        return clean_markings(user.organisation, user, markings)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            # What is wrong with recipient organisations the sender did not name is
            # wrong with the recipients they chose.
            key = "to" if implied and name == "recipient_organisations" else name
            errors.setdefault(key, []).extend(messages)
        return None


def send_message(*, user: User, recipients: Sequence[Organisation], subject: str, body: str,
                 priority: str = Priority.ROUTINE, markings: Markings,
                 attachments: Sequence[UploadedFile] = (), reply_to: Message | None = None,
                 request: Any = None, then: Callable[[Message], None] | None = None,
                 notice: Callable[[Message, list[int]], None] | None = None) -> Message:
    """Send a message from ``user``'s organisation to ``recipients``.

    ``markings`` come from the one markings input (``policy.inputs.markings_from``, or a
    form's ``markings()``). With TLP:AMBER or AMBER+STRICT and no recipient organisations
    in them, the message's recipients are its recipient organisations. Every recipient
    must be inside the message's audience: otherwise the whole message is refused, one
    reason per organisation, before anything is stored. ``attachments`` are checked
    (``vaka.uploads``: at most ``VAKA_MAX_UPLOAD_MB`` each, no programs, scripts, web pages
    or SVG, content matching the name) and stored with their SHA-256.

    ``reply_to``: the message this answers (use :func:`reply`, which sets the recipients
    and keeps the markings no wider); the reply joins its thread. ``then(message)`` runs
    inside the transaction after the message is written (an RFI adds its row there);
    ``notice(message, org_ids)`` replaces the MESSAGE inbox notice sent after the commit.

    Raises ``ValidationError`` keyed by field: ``to`` for the recipient organisations
    (``recipients`` is the markings' named people), ``subject``, ``body``, ``priority``,
    ``attachments`` and the markings' fields; ``PermissionDenied`` when the user may not
    send."""
    check_can_send(user)
    errors: dict[str, list[str]] = {}
    subject, body = _clean_text(subject, body, priority, errors)
    found = _clean_recipients(user.organisation, recipients, errors)
    files = _read_attachments(attachments, errors)
    m = _markings_for(user, found, markings, errors)
    if errors or m is None:
        raise ValidationError(errors)
    fields: dict[str, Any] = {"subject": subject, "body": body, "priority": priority}
    if reply_to is not None:
        fields.update(reply_to=reply_to, thread_id=reply_to.thread_id_or_own)
    return _write(user=user, recipients=found,
                  parties={user.organisation_id, *(org.pk for org in found)}, fields=fields,
                  markings=m, files=files, action=audit.Action.MESSAGE_SEND,
                  detail={"reply_to": reply_to.pk if reply_to else None}, request=request,
                  then=then, notice=notice)


# --- Replies --------------------------------------------------------------------------------

def parties_of(message: Message) -> list[Organisation]:
    """The organisations of ``message``'s compartment: its sender and recipients (and for
    a forward, the original's sender)."""
    return list(Organisation.objects.filter(pk__in=message.compartment.organisations.values(
        "pk")))


def reply_markings(message: Message, user: User) -> Markings:
    """A reply's default markings: the original's, with the same circle — for TLP:AMBER
    and AMBER+STRICT the original's recipient organisations and its sender, less the
    replying organisation (which owns the reply)."""
    m = Markings.of(message)
    if m.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        orgs = {org.pk: org for org in [*m.recipient_organisations, message.owner]}
        orgs.pop(user.organisation_id, None)
        m.recipient_organisations = list(orgs.values())
    return m


def _reach(owner_id: int, m: Markings) -> Reach:
    # The owner is always in its record's TLP:AMBER audience: counted with the lists, so
    # that markings of two owners (a message and its reply) compare.
    return Reach(m.distribution, m.tlp, frozenset(c.pk for c in m.communities),
                 frozenset({owner_id, *(o.pk for o in m.recipient_organisations)}),
                 frozenset(u.pk for u in m.recipients))


def check_not_wider(message: Message, user: User, m: Markings) -> None:
    """A reply reaches nobody the original does not, keeps all its handling codes and a PAP
    at least as strict: what was said in confidence is answered in the same confidence.
    The reply's audience (distribution and TLP with their lists, its owner counted) must
    lie within the original's (``policy.narrowing.within``)."""
    original = Markings.of(message)
    errors: dict[str, list[str]] = {}
    if not within(_reach(user.organisation_id, m), _reach(message.owner_id, original),
                  owner_id=user.organisation_id):
        errors["tlp"] = [_("A reply may not reach anyone the message it answers does not "
                           "(%(tlp)s, %(distribution)s): mark it the same or narrower.")
                         % {"tlp": message.get_tlp_display(),
                            "distribution": message.get_distribution_display()}]
    missing = [code for code in original.handling if code not in m.handling]
    if missing:
        errors["handling"] = [_("A reply keeps the handling of the message it answers: "
                                "%s.") % ", ".join(str(Handling(c).label) for c in missing)]
    if stricter_pap(m.pap, original.pap) != m.pap:
        errors["pap"] = [_("A reply's PAP is at least as strict as the message's (%s).")
                         % message.get_pap_display()]
    if errors:
        raise ValidationError(errors)


def reply(message: Message, *, user: User, body: str, subject: str | None = None,
          priority: str | None = None, markings: Markings | None = None,
          attachments: Sequence[UploadedFile] = (), request: Any = None) -> Message:
    """Answer ``message`` (which ``user`` must see): to all its other parties, in its
    thread, marked as the original (``reply_markings``) unless ``markings`` are given —
    then they must be no wider (``check_not_wider``)."""
    if not can_see(user, message):
        raise PermissionDenied(_("You may not answer this message."))
    check_can_send(user)
    m = markings if markings is not None else reply_markings(message, user)
    if markings is not None and m.tlp in (TLP.AMBER, TLP.AMBER_STRICT) \
            and not m.recipient_organisations:
        m.recipient_organisations = reply_markings(message, user).recipient_organisations
    check_not_wider(message, user, m)
    others = [org for org in parties_of(message) if org.pk != user.organisation_id]
    subject = subject if subject is not None else reply_subject(message.subject)
    return send_message(user=user, recipients=others, subject=subject, body=body,
                        priority=priority or message.priority, markings=m,
                        attachments=attachments, reply_to=message, request=request)


def reply_subject(subject: str) -> str:
    """``Re: subject``, once (the prefix of e-mail, understood in every language)."""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"[:SUBJECT_LENGTH]


# --- Forwarding through a hub ---------------------------------------------------------------

def forward_markings(message: Message) -> Markings:
    """The forward's markings: the original's exactly (distribution, TLP, lists, PAP,
    handling, grading). For TLP:AMBER and AMBER+STRICT the original's sender joins the
    recipient organisations: it owned the original, and sees where its message went."""
    m = Markings.of(message)
    if m.tlp in (TLP.AMBER, TLP.AMBER_STRICT) and message.owner not in \
            m.recipient_organisations:
        m.recipient_organisations = [*m.recipient_organisations, message.owner]
    return m


def forward(message: Message, *, user: User, recipients: Sequence[Organisation],
            note: str = "", request: Any = None) -> Message:
    """Forward ``message``, received by ``user``'s hub organisation (a coordination centre
    or the desk), to other organisations: a new message (``forwarded_from``) with the
    original's subject, body (after the hub's ``note``), attachments (the same stored
    files) and markings (``forward_markings``). Each recipient must be inside the
    *original*'s audience. The original's sender is a party of the forward; refused for a
    message marked not to be passed on. Audited as MESSAGE_FORWARD."""
    if not can_see(user, message):
        raise PermissionDenied(_("You may not forward this message."))
    if not may_forward(user, message):
        if Handling.NO_ONWARD in message.handling:
            raise ValidationError(_("The sender marked this message “%s”: it is not "
                                    "forwarded.") % Handling.NO_ONWARD.label)
        raise PermissionDenied(_("Only a coordination centre or the desk that received a "
                                 "message forwards it."))
    errors: dict[str, list[str]] = {}
    found = _clean_recipients(user.organisation, recipients, errors)
    original = Markings.of(message)
    conflicts = [why_not_reached(message.owner, original, org) for org in found
                 if org.pk != message.owner_id and not reaches(message, org)]
    if conflicts:
        errors.setdefault("to", []).extend(sorted(conflicts))
    note = (note or "").strip()
    body = f"{note}\n\n---\n\n{message.body}" if note else message.body
    _clean_text(message.subject, body, message.priority, errors)
    if errors:
        raise ValidationError(errors)
    fields = {"subject": message.subject, "body": body, "priority": message.priority,
              "forwarded_from": message, "thread_id": message.thread_id_or_own,
              "sent_at": timezone.now()}
    copies = list(message.attachments.all())

    def copy_attachments(forwarded: Message) -> None:
        MessageAttachment.objects.bulk_create([MessageAttachment(
            message=forwarded, file=a.file.name, name=a.name, content_type=a.content_type,
            size=a.size, sha256=a.sha256) for a in copies])

    return _write(user=user, recipients=found,
                  parties={user.organisation_id, message.owner_id, *(o.pk for o in found)},
                  fields=fields, markings=forward_markings(message), files=[],
                  action=audit.Action.MESSAGE_FORWARD,
                  detail={"forwarded_from": message.pk, "original_sender": message.owner_id},
                  request=request, then=copy_attachments, notice=None)


# --- Read receipts --------------------------------------------------------------------------

def mark_read(message: Message, *, user: User, request: Any = None) -> bool:
    """``user`` opened ``message``: their organisation's receipt, if it is a recipient and
    nobody there read it before, records the first reader and time (audited MESSAGE_READ).
    True when this was the first read."""
    if user.organisation_id is None or not can_see(user, message):
        return False
    with transaction.atomic():
        first = MessageRecipient.objects.filter(
            message=message, organisation_id=user.organisation_id,
            read_at__isnull=True).update(read_at=timezone.now(), read_by=user)
        if first:
            audit.record(audit.Action.MESSAGE_READ, actor=user, target=message,
                         request=request, detail={"organisation": user.organisation_id})
    return bool(first)

