"""Secure messages and requests for information in the REST API.

The markings are read with the one markings serializer and written with its flat form
(``policy.api.serializers``: a multipart upload cannot nest objects); the rules are the
services' (``messaging.services``, ``messaging.rfis``), so the API says what is wrong in
the same words as the pages. These serializers check only the shapes a request can get
wrong.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vaka.directory.models import Organisation
from vaka.messaging.models import Message, MessageAttachment, MessageRecipient, Priority
from vaka.messaging.models import RequestForInformation as Rfi
from vaka.messaging.services import BODY_LENGTH, SUBJECT_LENGTH
from vaka.policy.api.serializers import MarkingFieldsSerializer, MarkingInputSerializer


def _recipient_field(**kwargs: Any) -> serializers.Field:
    return serializers.PrimaryKeyRelatedField(
        many=True, queryset=Organisation.objects.filter(is_active=True, origin__isnull=True),
        **kwargs)


def _attachments_field() -> serializers.Field:
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list,
        help_text="Files (multipart only): documents, images, text and archives, at most "
                  "VAKA_MAX_UPLOAD_MB each; programs, scripts, web pages and SVG are refused.")


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to download it.")

    class Meta:
        model = MessageAttachment
        fields = ["id", "name", "content_type", "size", "sha256", "url"]
        read_only_fields = fields

    def get_url(self, attachment: MessageAttachment) -> str:
        return reverse("message-attachment", args=[attachment.message_id, attachment.pk])


class MessageSerializer(MarkingFieldsSerializer):
    """A message as lists show it, with its markings."""

    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    sent_at = serializers.DateTimeField(read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True,
                                     help_text="The sender organisation.")
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    sent_by = serializers.CharField(source="created_by.username", read_only=True,
                                    allow_null=True, help_text="Who sent it.")
    unread = serializers.BooleanField(read_only=True, help_text=(
        "Sent to your organisation and opened by nobody there yet."))
    forwarded = serializers.SerializerMethodField()

    def get_forwarded(self, message: Message) -> bool:
        return message.forwarded_from_id is not None


class MessageDetailSerializer(MessageSerializer):
    """One message: its text, recipients, attachments, and the messages of its thread it
    answers or forwards — named only when you may see them."""

    body = serializers.CharField(read_only=True)
    recipients_organisations = serializers.SerializerMethodField(
        help_text="The recipient organisations (ids).")
    attachments = AttachmentSerializer(many=True, read_only=True)
    thread = serializers.SerializerMethodField(
        help_text="The thread's first message, when you may see it.")
    reply_to = serializers.SerializerMethodField(
        help_text="The message this answers, when you may see it.")
    forwarded_from = serializers.SerializerMethodField(
        help_text="The message this forwards, when you may see it.")
    is_rfi = serializers.SerializerMethodField()

    def _seen(self, pk: int | None) -> int | None:
        return pk if pk is not None and pk in self.context.get("visible", set()) else None

    def get_recipients_organisations(self, message: Message) -> list[int]:
        return [row.organisation_id for row in message.recipients_rows.all()]

    def get_thread(self, message: Message) -> int | None:
        return self._seen(message.thread_id)

    def get_reply_to(self, message: Message) -> int | None:
        return self._seen(message.reply_to_id)

    def get_forwarded_from(self, message: Message) -> int | None:
        return self._seen(message.forwarded_from_id)

    def get_is_rfi(self, message: Message) -> bool:
        return Rfi.objects.filter(message=message).exists()


class ReceiptSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    read_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                           allow_null=True, help_text="Who opened it first.")

    class Meta:
        model = MessageRecipient
        fields = ["organisation", "organisation_name", "read_at", "read_by"]
        read_only_fields = fields


class MessageInputSerializer(MarkingInputSerializer):  # type: ignore[misc,valid-type]
    """A new message: recipient organisations (``to``), text, priority, files and
    markings. Markings left out are those of the compose page: distribution ``members``,
    TLP:AMBER to the recipients."""

    to = _recipient_field(help_text="Recipient organisations (ids).")
    subject = serializers.CharField(max_length=SUBJECT_LENGTH, trim_whitespace=False)
    body = serializers.CharField(max_length=BODY_LENGTH, allow_blank=True, required=False,
                                 default="", trim_whitespace=False)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    attachments = _attachments_field()


class ReplyInputSerializer(MarkingInputSerializer):  # type: ignore[misc,valid-type]
    """A reply to all the message's other parties. Markings left out are the message's
    (a reply is never wider); subject and priority default to the message's."""

    subject = serializers.CharField(max_length=SUBJECT_LENGTH, required=False,
                                    trim_whitespace=False)
    body = serializers.CharField(max_length=BODY_LENGTH, trim_whitespace=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    attachments = _attachments_field()


class ForwardInputSerializer(serializers.Serializer):
    to = _recipient_field(help_text="Organisations (ids) inside the original's audience.")
    note = serializers.CharField(max_length=4000, allow_blank=True, required=False,
                                 default="", help_text="Put before the original's text.")


class ImportInputSerializer(MarkingInputSerializer):  # type: ignore[misc,valid-type]
    """A ``.eml`` file and its recipients; the mail's valid ``X-Vaka-*`` headers mark it
    over the markings given (those left out: the compose page's)."""

    file = serializers.FileField(allow_empty_file=True, help_text="An RFC 5322 .eml file.")
    to = _recipient_field(help_text="Recipient organisations (ids).")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE,
                                       help_text="Unless the mail's X-Vaka-Priority says.")


class ImportedSerializer(serializers.Serializer):
    message = MessageDetailSerializer()
    ignored = serializers.ListField(child=serializers.CharField(), help_text=(
        "X-Vaka-* headers set aside for a value Vaka does not know, and why."))


# --- Requests for information -----------------------------------------------------------------

class RfiSerializer(serializers.Serializer):
    """An RFI (its id is its message's) with its status as shown now."""

    id = serializers.IntegerField(source="message_id", read_only=True)
    subject = serializers.CharField(source="message.subject", read_only=True)
    owner = serializers.IntegerField(source="message.owner_id", read_only=True)
    owner_name = serializers.CharField(source="message.owner.name", read_only=True)
    sent_at = serializers.DateTimeField(source="message.sent_at", read_only=True)
    tlp = serializers.CharField(source="message.tlp", read_only=True)
    case_reference = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    deadline = serializers.DateTimeField(read_only=True)
    status = serializers.ChoiceField(source="shown", choices=Rfi.Status.choices,
                                     read_only=True, help_text="Open past its deadline "
                                     "is overdue.")
    asked = serializers.IntegerField(read_only=True, help_text=(
        "Answers asked for that you may count (a recipient: its own)."))
    answered = serializers.IntegerField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class AnswerSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = MessageRecipient
        fields = ["organisation", "organisation_name", "answer", "answered_at",
                  "escalated_at"]
        read_only_fields = fields


class RfiDetailSerializer(RfiSerializer):
    question = serializers.CharField(source="message.body", read_only=True)
    answers = serializers.SerializerMethodField(help_text=(
        "Every recipient's answer for the sender organisation; a recipient its own."))

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, rfi: Rfi) -> list[dict[str, Any]]:
        return AnswerSerializer(self.context["answers"], many=True).data


class RfiInputSerializer(MessageInputSerializer):
    """A new RFI: a message whose body says what is asked, with a deadline (with its time
    zone, in the future), a case reference and why it is asked."""

    body = serializers.CharField(max_length=BODY_LENGTH, trim_whitespace=False,
                                 help_text="What is asked.")
    deadline = serializers.DateTimeField(help_text="ISO 8601 with its offset, e.g. "
                                                   "2026-12-01T17:00:00+13:00.")
    case_reference = serializers.CharField(allow_blank=True, required=False, default="",
                                           max_length=200)
    reason = serializers.CharField(allow_blank=True, required=False, default="",
                                   max_length=10_000)


class RfiAnswerInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_LENGTH, trim_whitespace=False)
    attachments = _attachments_field()


class RfiCloseSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="",
                                    max_length=4000)


class SideSerializer(serializers.Serializer):
    rfis = serializers.IntegerField()
    in_time = serializers.IntegerField()
    late = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed_unanswered = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)


class OrganisationFiguresSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(source="organisation_id")
    name = serializers.CharField()
    received = SideSerializer()
    sent = SideSerializer()
