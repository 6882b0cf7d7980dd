"""Requests for information over the REST API: ``/api/rfis/``.

An RFI's id is its message's (``/api/messages/<id>/`` is its thread's message). Thin, like
the messages' API: ``messaging.rfis`` writes, ``messaging.selectors_rfis`` and
``messaging.rfi_figures`` read; an RFI you may not see is a 404 on every route.
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from vaka.messaging import rfi_figures, rfis, selectors_rfis
from vaka.messaging.api.serializers import (
    OrganisationFiguresSerializer,
    RfiAnswerInputSerializer,
    RfiCloseSerializer,
    RfiDetailSerializer,
    RfiInputSerializer,
    RfiSerializer,
)
from vaka.messaging.api.views import ERRORS, compose_defaults, given_markings
from vaka.messaging.filtersets_rfis import RfiFilter
from vaka.messaging.models import RequestForInformation
from vaka.products.filtersets import AnalyticsFilter
from vaka.web.drf import JSONParser
from vaka.web.throttling import MessagesThrottle

FiguresSerializer = OrganisationFiguresSerializer(many=True)


@extend_schema_view(
    list=extend_schema(responses=RfiSerializer(many=True)),
    retrieve=extend_schema(responses=RfiDetailSerializer),
    create=extend_schema(request={"multipart/form-data": RfiInputSerializer,
                                  "application/json": RfiInputSerializer},
                         responses={201: RfiDetailSerializer, **ERRORS}),
)
class RfiViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Requests for information: what is asked (the message's text), why (the case
    reference and reason) and by when. Open until every recipient organisation answered
    (answered) or the sender closes it; overdue once its deadline passed with an answer
    missing. The sender sees every organisation's answer, a recipient its own."""

    serializer_class = RfiSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = RfiFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[RequestForInformation]:
        return selectors_rfis.rfis_for(self.request.user).order_by("-deadline", "-pk")

    def get_throttles(self) -> list[BaseThrottle]:
        return [MessagesThrottle()]

    def _rfi(self, request: Request, pk: Any) -> RequestForInformation:
        return selectors_rfis.rfi_for(request.user, int(pk))

    def _answer(self, rfi: RequestForInformation, code: int = status.HTTP_200_OK
                ) -> Response:
        rfi = selectors_rfis.rfi_for(self.request.user, rfi.message_id)
        context = {**self.get_serializer_context(),
                   "answers": selectors_rfis.answers_for(self.request.user, rfi)}
        return Response(RfiDetailSerializer(rfi, context=context).data, status=code)

    def _input(self, serializer: type, request: Request) -> Any:
        form = serializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form.validated_data

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One RFI with the answers you may see."""
        return self._answer(self._rfi(request, pk))

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Ask organisations for information by a deadline: a message (`to`, `subject`,
        `body` — what is asked —, markings, `attachments`) and its RFI. Refused as a
        whole, each problem under its field."""
        data = self._input(RfiInputSerializer, request)
        rfi = rfis.send_rfi(
            user=request.user, recipients=data["to"], subject=data["subject"],
            body=data["body"], priority=data["priority"],
            details=rfis.RfiDetails(deadline=data["deadline"],
                                    case_reference=data["case_reference"],
                                    reason=data["reason"]),
            markings=given_markings(request, data, compose_defaults()),
            attachments=data["attachments"], request=request)
        return self._answer(rfi, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": RfiAnswerInputSerializer,
                            "application/json": RfiAnswerInputSerializer},
                   responses={201: RfiDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Your organisation's answer: a reply in the RFI's thread to the organisation that
        asked, recorded as your organisation's answer (once)."""
        rfi = self._rfi(request, pk)
        data = self._input(RfiAnswerInputSerializer, request)
        rfis.answer_rfi(rfi, user=request.user, body=data["body"],
                        attachments=data["attachments"], request=request)
        return self._answer(rfi, status.HTTP_201_CREATED)

    @extend_schema(request=RfiCloseSerializer, responses={200: RfiDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The sender's organisation closes the RFI, answers missing or not."""
        rfi = self._rfi(request, pk)
        data = self._input(RfiCloseSerializer, request)
        rfis.close_rfi(rfi, user=request.user, comment=data["comment"], request=request)
        return self._answer(rfi)

    @extend_schema(parameters=[
        OpenApiParameter("since", str, description="From month, YYYY-MM (included)."),
        OpenApiParameter("until", str, description="To month, YYYY-MM (included).")],
        responses=FiguresSerializer)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def figures(self, request: Request, **kwargs: Any) -> Response:
        """How each organisation answers RFIs sent in the period — received and sent: in
        time, late, open (overdue among them), closed unanswered, median hours — counted
        only over the RFIs you may see (a recipient counts its own answers only)."""
        form = AnalyticsFilter({key: request.query_params.get(key)
                                for key in ("since", "until") if key in request.query_params}
                               or None)
        if form.is_bound and not form.is_valid():
            raise serializers.ValidationError(form.errors)
        filters = form.filters()
        figures = rfi_figures.figures_for(request.user, since=filters["since"],
                                          until=filters["until"])
        return Response(OrganisationFiguresSerializer(figures.organisations, many=True).data)
