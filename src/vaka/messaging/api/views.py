"""Secure messages over the REST API: ``/api/messages/``.

Thin: each request is parsed, handed to a service (``messaging.services``,
``messaging.eml``) or a selector (``messaging.selectors``) and answered. A message you may
not see is a 404 whatever the reason — on every route, POSTs included; what you may see
but not do is a 403; bad input is a 400 naming each field (the project's exception
handler turns the services' ``ValidationError`` and ``PermissionDenied`` into those).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from vaka.messaging import downloads, eml, selectors, services
from vaka.messaging.api.serializers import (
    ForwardInputSerializer,
    ImportedSerializer,
    ImportInputSerializer,
    MessageDetailSerializer,
    MessageInputSerializer,
    MessageSerializer,
    ReceiptSerializer,
    ReplyInputSerializer,
)
from vaka.messaging.filtersets import MessageFilter
from vaka.messaging.models import Message
from vaka.policy.inputs import NAMES, markings_from
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.web.api import ErrorSerializer
from vaka.web.drf import JSONParser
from vaka.web.throttling import ExportsThrottle, MessagesThrottle

ERRORS = {400: OpenApiResponse(ErrorSerializer, description="What was wrong, by field."),
          403: OpenApiResponse(ErrorSerializer, description="You may see the message but "
                                                            "not do this.")}
FILE = {(200, "application/octet-stream"): OpenApiTypes.BINARY}


def given_markings(request: Request, data: dict[str, Any], base: Markings) -> Markings:
    """The markings inputs the request sent, over ``base`` (what a left-out input means
    differs: the compose page's defaults, or the message answered)."""
    return markings_from({name: data[name] for name in NAMES if name in request.data}, base)


def compose_defaults() -> Markings:
    """The compose page's markings: every member may be reached, TLP:AMBER to the
    recipients."""
    return Markings(distribution=Distribution.MEMBERS, tlp=TLP.AMBER)


@extend_schema_view(
    list=extend_schema(responses=MessageSerializer(many=True)),
    create=extend_schema(request={"multipart/form-data": MessageInputSerializer,
                                  "application/json": MessageInputSerializer},
                         responses={201: MessageDetailSerializer, **ERRORS}),
)
class MessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Secure messages between organisations, received and sent.

    A message reaches only its sender and recipient organisations, and there only its
    markings' audience. Contributors send (JSON, or multipart with `attachments`), reply,
    and — at a coordination centre or the desk that received it — forward. Reading a
    message records your organisation's read receipt. Messages you may not see answer
    404."""

    serializer_class = MessageSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = MessageFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Message]:
        return selectors.messages_for(self.request.user).prefetch_related(
            "audience__communities", "audience__organisations", "audience__people")

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "eml":
            return [ExportsThrottle()]
        return [MessagesThrottle()]

    def _message(self, request: Request, pk: Any) -> Message:
        return selectors.message_for(request.user, int(pk), request=request)

    def _answer(self, message: Message, code: int = status.HTTP_200_OK) -> Response:
        message = self.get_queryset().prefetch_related(
            "attachments", "recipients_rows").get(pk=message.pk)
        refs = {message.thread_id, message.reply_to_id, message.forwarded_from_id} - {None}
        visible = set(selectors.messages_for(self.request.user).filter(pk__in=refs)
                      .values_list("pk", flat=True))
        context = {**self.get_serializer_context(), "visible": visible}
        return Response(MessageDetailSerializer(message, context=context).data, status=code)

    def _input(self, serializer: type, request: Request) -> Any:
        form = serializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form.validated_data

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One message with its text, recipients and attachments; your organisation's
        read receipt is recorded when it is a recipient and nobody there read it yet."""
        message = self._message(request, pk)
        if message.unread:
            services.mark_read(message, user=request.user, request=request)
        return self._answer(message)

    @extend_schema(responses={200: MessageDetailSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        """Send a message from your organisation. Every recipient must be inside its
        audience, or nothing is sent (`to` names each one outside, and why)."""
        data = self._input(MessageInputSerializer, request)
        message = services.send_message(
            user=request.user, recipients=data["to"], subject=data["subject"],
            body=data["body"], priority=data["priority"],
            markings=given_markings(request, data, compose_defaults()),
            attachments=data["attachments"], request=request)
        return self._answer(message, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": ReplyInputSerializer,
                            "application/json": ReplyInputSerializer},
                   responses={201: MessageDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Answer all the message's other parties, in its thread, marked as the message
        unless you give markings — no wider than its."""
        message = self._message(request, pk)
        data = self._input(ReplyInputSerializer, request)
        given = [name for name in NAMES if name in request.data]
        markings = (given_markings(request, data, services.reply_markings(message,
                                                                          request.user))
                    if given else None)
        sent = services.reply(message, user=request.user, body=data["body"],
                              subject=data.get("subject"), priority=data.get("priority"),
                              markings=markings, attachments=data["attachments"],
                              request=request)
        return self._answer(sent, status.HTTP_201_CREATED)

    @extend_schema(request=ForwardInputSerializer,
                   responses={201: MessageDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """A coordination centre or the desk forwards a message it received, with its
        markings and attachments, to organisations inside its audience."""
        message = self._message(request, pk)
        data = self._input(ForwardInputSerializer, request)
        sent = services.forward(message, user=request.user, recipients=data["to"],
                                note=data["note"], request=request)
        return self._answer(sent, status.HTTP_201_CREATED)

    @extend_schema(responses=ReceiptSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def receipts(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Read receipts: every recipient organisation's for the sender, your own
        organisation's for a recipient."""
        message = self._message(request, pk)
        return Response(ReceiptSerializer(selectors.receipts_for(request.user, message),
                                          many=True).data)

    @extend_schema(parameters=[OpenApiParameter("attachment", int, OpenApiParameter.PATH),
                               OpenApiParameter("inline", str, description=(
                                   "1: an image or PDF shown in the browser"))],
                   responses=FILE)
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment>[0-9]+)",
            url_name="attachment", filterset_class=None)
    def attachment(self, request: Request, pk: Any = None, attachment: Any = None,
                   **kwargs: Any) -> HttpResponse:
        """One file of the message, as the page serves it: a download (`Content-
        Disposition: attachment`) but for images and PDF asked with `?inline=1`, never
        sniffed again by the browser."""
        found = selectors.attachment_for(request.user, int(pk), int(attachment),
                                         request=request)
        return downloads.attachment_response(
            found, inline=request.query_params.get("inline") == "1")

    @extend_schema(responses={(200, "message/rfc822"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filterset_class=None)
    def eml(self, request: Request, pk: Any = None, **kwargs: Any) -> HttpResponse:
        """The message as an RFC 5322 `.eml` file: organisations as names with
        undeliverable `org-<id>@vaka.invalid` addresses, the markings in `X-Vaka-*`
        headers and a TLP banner, attachments as MIME parts."""
        message = self._message(request, pk)
        return downloads.eml_response(message, user=request.user, request=request)

    @extend_schema(request={"multipart/form-data": ImportInputSerializer},
                   responses={201: ImportedSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, FormParser], filterset_class=None)
    def import_eml(self, request: Request, **kwargs: Any) -> Response:
        """Send a `.eml` file's subject, text and attachments as a new message of your
        organisation to `to`. Its valid `X-Vaka-*` headers mark it over the markings
        given; `ignored` says which were set aside. One attachment refused refuses the
        whole import, naming it; a file that is no mail is refused saying so."""
        data = self._input(ImportInputSerializer, request)
        message, ignored = eml.import_eml(
            data["file"], user=request.user, recipients=data["to"],
            markings=given_markings(request, data, compose_defaults()),
            priority=data["priority"], request=request)
        answer = self._answer(message, status.HTTP_201_CREATED)
        return Response({"message": answer.data, "ignored": ignored},
                        status=status.HTTP_201_CREATED)

