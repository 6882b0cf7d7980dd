"""Secure messages and requests for information (RFIs) between organisations.

A ``Message`` is a shareable record in a **compartment** (:mod:`vaka.policy.visibility`)
holding its sender and recipient organisations: it reaches only their users, and among
them only its markings' audience. A coordination centre acting as a hub forwards a
message as a new message (``forwarded_from``) carrying the original's markings, to
recipients inside the original's audience; the original's sender sees the forward.

An RFI is a message with a ``RequestForInformation``: what is asked (the body), why (the
case reference), a deadline, and per recipient organisation the answer and when it came.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaka.policy.models import Shareable
from vaka.policy.visibility import ShareableQuerySet


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    PRIORITY = "priority", _("Priority")
    URGENT = "urgent", _("Urgent")


class Message(Shareable):
    """One message: the sender is ``owner`` (and ``created_by``); the recipients are
    ``MessageRecipient`` rows; ``thread`` is the first message of its conversation."""

    compartment_path = "compartment_id"

    compartment = models.OneToOneField("policy.Compartment", on_delete=models.PROTECT,
                                       related_name="+")
    thread = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("thread"))
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("in reply to"))
    forwarded_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="forwards",
                                       verbose_name=_("forwarded from"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices,
                                default=Priority.ROUTINE)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("messaging:message", args=[self.pk])

    @property
    def thread_id_or_own(self) -> int:
        return self.thread_id or self.pk


class MessagePart(models.Model):
    """Abstract: a part of a message, seen exactly where the message is."""

    owner_path = "message__owner_id"
    markings_path = "message__"
    compartment_path = "message__compartment_id"

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True


class MessageRecipient(MessagePart):
    """A recipient organisation of a message: when it was read there and by whom (the
    read receipt the sender sees), and for an RFI its answer."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients_rows")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("organisation"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    # An RFI's answer from this organisation: the reply that answered it.
    answer = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("answer"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "pk"]
        verbose_name = _("message recipient")
        verbose_name_plural = _("message recipients")
        constraints = [models.UniqueConstraint(fields=["message", "organisation"],
                                               name="messaging_one_row_per_recipient")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.organisation_id}"


class MessageAttachment(MessagePart):
    """A file sent with a message: stored with its SHA-256 and the content type its bytes
    show, and served as a download (images and PDF may be shown inline). A forward refers
    to the same stored file."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messages/%Y/%m/", max_length=200)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    added = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class RequestForInformation(MessagePart):
    """A message that asks for information by a deadline. Open until every recipient
    has answered (then answered) or the sender closes it; overdue once the deadline has
    passed with an answer missing — then both sides' organisation admins are told."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        OVERDUE = "overdue", _("Overdue")
        CLOSED = "closed", _("Closed")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="rfi")
    case_reference = models.CharField(_("case reference"), max_length=100, blank=True)
    reason = models.TextField(_("why it is asked"), blank=True)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")
        indexes = [models.Index(fields=["status", "deadline"], name="messaging_rfi_due")]

    def __str__(self) -> str:
        return f"RFI {self.message_id}"
