"""Secure messages as RFC 5322 e-mail files (``.eml``), out and in.

**Export** (:func:`export_eml`): one message as the reader may see it, built with Python's
``email`` package (``EmailMessage``, ``email.policy.default``) and written with CRLF line
ends. Organisations have no mailbox here, so each is written with its name and an address
that can never be delivered anywhere (:func:`address_of`)::

    From: "Fiji Cybercrime Unit" <org-12@vaka.invalid>

``.invalid`` is reserved for exactly this (RFC 2606 §2): no mail server will ever accept
it, so an exported file forwarded or replied to by mistake in a mail program goes nowhere.
The number is the organisation's id on the exporting instance. ``Message-ID`` is
``<message-<id>@<host of VAKA_BASE_URL>>``; ``In-Reply-To`` and ``References`` name the
message it answers and its thread's first message, only when the reader may see them (a
message of the thread the reader may not see is never named, not even by its id). The
markings travel in ``X-Vaka-TLP``, ``X-Vaka-PAP``, ``X-Vaka-Handling`` (codes, ``none``
when none), ``X-Vaka-Handling-Note``, ``X-Vaka-Grading`` (``scheme; source=B;
information=2; handling=``) and ``X-Vaka-Priority``; the body starts with the TLP label
on a line of its own, a banner for whoever opens the file in a mail program. Attachments
are MIME parts of their stored content type.

**Import** (:func:`import_eml`): a ``.eml`` file becomes a new message of the importing
user's organisation, sent through ``services.send_message`` — its checks, audit entry and
notices — to the recipients chosen with it. Markings are those chosen with it, except
where the mail's ``X-Vaka-*`` headers give a valid value (its TLP, PAP, handling, handling
note, grading, priority); a header with a wrong value is set aside and said so, never
guessed at. The body loses the TLP banner the export put there and the line end the mail
format ends it with; its line ends become ``\\n``. Each attachment goes through the same
checks as a message's (``vaka.uploads``): one refused refuses the whole import, naming
the attachment. A file over ``VAKA_MAX_UPLOAD_MB``, or one that is no mail (no headers, a
broken MIME structure), is refused saying so.
"""

import email
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation, User
from vaka.messaging import selectors, services
from vaka.messaging.models import Message, Priority
from vaka.policy import audit
from vaka.policy.inputs import markings_from
from vaka.policy.markings import PAP, TLP, Handling
from vaka.policy.services import Markings
from vaka.uploads import check_kind, read_upload, upload_limit

ADDRESS_DOMAIN = "vaka.invalid"
# What is written: CRLF line ends, as RFC 5322 has them.
WRITE_POLICY = policy.default.clone(linesep="\r\n")
FILE_FIELD = "file"
_BANNER = re.compile(r"\ATLP:[A-Z+]+\r?\n\r?\n")
_TLP_BY_LABEL = {label: code for code, label in TLP.choices}
_PAP_BY_LABEL = {label: code for code, label in PAP.choices}


def address_of(org: Organisation) -> Address:
    """The one address form of an organisation in a ``.eml`` file: its name, and
    ``org-<id>@vaka.invalid``, which no mail server delivers (see the module's doc)."""
    return Address(display_name=org.name, username=f"org-{org.pk}", domain=ADDRESS_DOMAIN)


def message_id(pk: int) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"<message-{pk}@{host}>"


def grading_header(m: Markings) -> str:
    return (f"{m.grading_scheme}; source={m.grading_source}; "
            f"information={m.grading_information}; handling={m.grading_handling}")


def filename_of(message: Message) -> str:
    return f"vaka-message-{message.pk}.eml"


# --- Export ---------------------------------------------------------------------------------

def build(message: Message, user: Any) -> EmailMessage:
    """``message`` (which ``user`` may see) as an e-mail, naming only what ``user`` may see
    of its thread."""
    mail = EmailMessage(policy=policy.default)
    mail["From"] = address_of(message.owner)
    mail["To"] = [address_of(row.organisation) for row in selectors.recipients_of(message)]
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.sent_at)
    mail["Message-ID"] = message_id(message.pk)
    refs = [pk for pk in dict.fromkeys(
        (message.thread_id, message.reply_to_id)) if pk and pk != message.pk]
    seen = set(selectors.messages_for(user).filter(pk__in=refs).values_list("pk", flat=True))
    refs = [pk for pk in refs if pk in seen]
    if message.reply_to_id in seen:
        mail["In-Reply-To"] = message_id(message.reply_to_id)
    if refs:
        mail["References"] = " ".join(message_id(pk) for pk in refs)
    m = Markings.of(message)
    mail["X-Vaka-TLP"] = message.get_tlp_display()
    mail["X-Vaka-PAP"] = message.get_pap_display()
    mail["X-Vaka-Handling"] = ", ".join(m.handling) or "none"
    if m.handling_note:
        mail["X-Vaka-Handling-Note"] = m.handling_note
    mail["X-Vaka-Grading"] = grading_header(m)
    mail["X-Vaka-Priority"] = message.priority
    mail.set_content(f"{message.get_tlp_display()}\n\n{message.body}")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        maintype, _sep, subtype = attachment.content_type.partition(";")[0].partition("/")
        mail.add_attachment(data, maintype=maintype or "application",
                            subtype=subtype or "octet-stream", filename=attachment.name)
    return mail


def export_eml(message: Message, *, user: User, request: Any = None) -> bytes:
    """The ``.eml`` file of ``message`` for ``user`` (who may see it); audited as an
    export. ``OSError`` when an attachment's file is gone from storage."""
    data = build(message, user).as_bytes(policy=WRITE_POLICY)
    audit.record("export", actor=user, target=message, request=request,
                 detail={"format": "eml", "attachments": message.attachments.count()})
    return data


# --- Import ---------------------------------------------------------------------------------

@dataclass
class Parsed:
    """What an imported mail says; ``ignored`` explains each header set aside."""

    subject: str
    body: str
    attachments: list[SimpleUploadedFile]
    headers: dict[str, Any] = field(default_factory=dict)
    priority: str | None = None
    ignored: list[str] = field(default_factory=list)


def _refuse(message: str) -> ValidationError:
    return ValidationError({FILE_FIELD: [message]})


def _marking_headers(mail: EmailMessage, parsed: Parsed) -> None:
    """The valid ``X-Vaka-*`` headers as markings inputs; the others in ``ignored``."""

    def ignore(name: str, value: str) -> None:
        parsed.ignored.append(_("%(header)s: “%(value)s” is not a value Vaka knows; the "
                                "value chosen with the import was used.")
                              % {"header": name, "value": value[:100]})

    if (value := str(mail.get("X-Vaka-TLP", "")).strip()):
        if value.upper() in _TLP_BY_LABEL:
            parsed.headers["tlp"] = _TLP_BY_LABEL[value.upper()]
        else:
            ignore("X-Vaka-TLP", value)
    if (value := str(mail.get("X-Vaka-PAP", "")).strip()):
        if value.upper() in _PAP_BY_LABEL:
            parsed.headers["pap"] = _PAP_BY_LABEL[value.upper()]
        else:
            ignore("X-Vaka-PAP", value)
    if (value := str(mail.get("X-Vaka-Handling", "")).strip()):
        codes = [] if value.lower() == "none" else [c.strip() for c in value.split(",")
                                                    if c.strip()]
        if all(code in Handling.values for code in codes):
            parsed.headers["handling"] = codes
        else:
            ignore("X-Vaka-Handling", value)
    if (value := str(mail.get("X-Vaka-Handling-Note", "")).strip()):
        parsed.headers["handling_note"] = value
    if (value := str(mail.get("X-Vaka-Grading", "")).strip()):
        scheme, *parts = [p.strip() for p in value.split(";")]
        grades = dict(p.partition("=")[::2] for p in parts)
        names = {"source": "grading_source", "information": "grading_information",
                 "handling": "grading_handling"}
        data = {"grading_scheme": scheme,
                **{names[k]: v.strip() for k, v in grades.items() if k.strip() in names}}
        problems: dict[str, list[str]] = {}
        markings_from(data, errors=problems)
        if problems or set(grades) - set(names):
            ignore("X-Vaka-Grading", value)
        else:
            parsed.headers.update(data)
    if (value := str(mail.get("X-Vaka-Priority", "")).strip()):
        if value in Priority.values:
            parsed.priority = value
        else:
            ignore("X-Vaka-Priority", value)


def _attachment_file(n: int, part: EmailMessage) -> SimpleUploadedFile:
    content_type = part.get_content_type()
    if part.is_multipart():
        raise _refuse(_("Attachment %(n)d (%(type)s) holds other parts, not a file: "
                        "attach files only.") % {"n": n, "type": content_type})
    if content_type == "message/rfc822":
        inner = part.get_payload(0)
        data = inner.as_bytes(policy=WRITE_POLICY)
        name = part.get_filename() or f"attachment-{n}.eml"
    else:
        data = part.get_payload(decode=True) or b""
        ending = mimetypes.guess_extension(content_type) or ""
        name = part.get_filename() or f"attachment-{n}{ending}"
    return SimpleUploadedFile(name.replace("/", "_").replace("\\", "_")[-255:], data,
                              content_type=content_type)


def parse(data: bytes) -> Parsed:
    """The subject, body, attachments and ``X-Vaka-*`` markings of a mail; refused
    (``ValidationError`` under ``file``) when it is no mail or its structure is broken."""
    mail = email.message_from_bytes(data, policy=policy.default)
    if not mail.keys() or (mail.get("Subject") is None and mail.get("From") is None):
        raise _refuse(_("This is not an e-mail message: it has no mail headers "
                        "(Subject, From)."))
    for n, part in enumerate(mail.walk()):
        if part.defects:
            where = _("the mail") if n == 0 else _("MIME part %d") % n
            raise _refuse(_("The mail is malformed in %(where)s (%(type)s): %(defect)s.")
                          % {"where": where, "type": part.get_content_type(),
                             "defect": type(part.defects[0]).__name__})
    subject = str(mail.get("Subject", "")).strip()
    if not subject:
        raise _refuse(_("The mail has no subject: a message needs one."))
    body_part = mail.get_body(preferencelist=("plain",))
    if body_part is None and mail.get_body(preferencelist=("html",)) is not None:
        raise _refuse(_("The mail has only an HTML body: messages here are text. Save it "
                        "with a plain-text part."))
    body = body_part.get_content() if body_part is not None else ""
    body = _BANNER.sub("", body.replace("\r\n", "\n"), count=1)
    body = body.removesuffix("\n")  # the line end the mail format puts at the end
    attachments = [_attachment_file(n, part)
                   for n, part in enumerate(mail.iter_attachments(), start=1)]
    parsed = Parsed(subject=subject, body=body, attachments=attachments)
    _marking_headers(mail, parsed)
    return parsed


def _check_attachments(files: list[SimpleUploadedFile]) -> None:
    """Every attachment through the checks of a message's (``vaka.uploads``), the first
    refused one named with its place in the mail."""
    for n, upload in enumerate(files, start=1):
        try:
            check_kind(read_upload(upload, field="attachments"))
        except ValidationError as error:
            raise ValidationError({"attachments": [
                _("Attachment %(n)d of the mail: %(reason)s")
                % {"n": n, "reason": reason} for reason in error.message_dict["attachments"]]
            }) from None


def import_eml(upload: UploadedFile, *, user: User, recipients: list[Organisation],
               markings: Markings, priority: str = Priority.ROUTINE, request: Any = None
               ) -> tuple[Message, list[str]]:
    """Send the mail in ``upload`` as a new message of ``user``'s organisation to
    ``recipients`` (``services.send_message``), marked by its valid ``X-Vaka-*`` headers
    over ``markings`` (and ``priority``). Answers the message and what was set aside
    (``Parsed.ignored``).
    Raises ``ValidationError`` keyed ``file`` for the mail, ``attachments`` naming the
    attachment refused, and the message's own fields as ``send_message`` does."""
    services.check_can_send(user)
    if upload.size > upload_limit():
        raise _refuse(_("%(name)s is larger than the %(mb)d MB limit.")
                      % {"name": upload.name, "mb": settings.MAX_UPLOAD_MB})
    parsed = parse(b"".join(upload.chunks()))
    _check_attachments(parsed.attachments)
    for upload_file in parsed.attachments:
        upload_file.seek(0)
    marked = markings_from(parsed.headers, markings)
    message = services.send_message(
        user=user, recipients=recipients, subject=parsed.subject, body=parsed.body,
        priority=parsed.priority or priority, markings=marked,
        attachments=parsed.attachments, request=request)
    return message, parsed.ignored
