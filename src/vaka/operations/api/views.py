"""Operations over the REST API: ``/api/operations/``.

Thin: each request is parsed, handed to a service (``operations.services``,
``after_action``, ``deconfliction``) or a selector (``operations.selectors``) and
answered. An operation the reader may not see is a 404 whatever the reason — a platform
admin outside its participants included — on every route and action; what a participant
may see but not do is a 403; bad input is a 400 naming each field (the project's exception
handler turns the services' ``ValidationError`` and ``PermissionDenied`` into those). Its
targets, tasks, action log and results are nested under it (``operations.api.parts``).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import BaseThrottle

from vaka.operations import after_action, deconfliction, selectors, services, stix
from vaka.operations.api.serializers import (
    AfterActionSerializer,
    CheckLineSerializer,
    CheckSerializer,
    CloseSerializer,
    OperationCreateSerializer,
    OperationInputSerializer,
    OperationSerializer,
    ParticipantsSerializer,
    PhaseSerializer,
)
from vaka.operations.filtersets import OperationFilter
from vaka.operations.models import Operation
from vaka.operations.services import OperationDetails
from vaka.policy.inputs import NAMES
from vaka.policy.services import Markings
from vaka.web.api import ErrorSerializer
from vaka.web.throttling import ExportsThrottle, LookupThrottle, OperationsThrottle

# An operation you may not see is a 404, as a made-up id is: left undocumented, like the
# other lists' (the products API does the same).
ERRORS = {400: OpenApiResponse(ErrorSerializer, description="What was wrong, by field."),
          403: OpenApiResponse(ErrorSerializer, description="You may see the operation but "
                                                            "not do this.")}
AUDIENCE = ("audience__communities", "audience__organisations", "audience__people")


def operation_of(request: Request, pk: Any) -> Operation:
    """The operation through its selector: 404 outside its audience (reads audited)."""
    return selectors.operation_for(request.user, int(pk), request=request)


def _details_of(operation: Operation) -> OperationDetails:
    return OperationDetails(
        code_name=operation.code_name, objective=operation.objective, lead=operation.lead_id,
        crime_types=list(operation.crime_types),
        countries=sorted(operation.countries.values_list("code", flat=True)),
        starts=operation.starts, ends=operation.ends, phase=operation.phase,
        lessons=operation.lessons)


@extend_schema_view(
    list=extend_schema(responses=OperationSerializer(many=True)),
    retrieve=extend_schema(responses=OperationSerializer),
    create=extend_schema(request=OperationCreateSerializer,
                         responses={201: OperationSerializer, **ERRORS}),
    update=extend_schema(request=OperationInputSerializer,
                         responses={200: OperationSerializer, **ERRORS}),
    partial_update=extend_schema(request=OperationInputSerializer,
                                 responses={200: OperationSerializer, **ERRORS}),
)
class OperationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Joint operations, seen only by their participating organisations' people within
    their markings (platform admins included only when their organisation takes part).
    Coordinators open them and run them; the list takes the operations page's filters.
    Operations you may not see answer 404."""

    serializer_class = OperationSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = OperationFilter
    ordering_fields = ["created", "modified", "reference", "code_name", "starts"]

    def get_queryset(self) -> QuerySet[Operation]:
        return selectors.operations_for(self.request.user).prefetch_related(
            "countries", "compartment__organisations", *AUDIENCE)

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "stix":
            return [ExportsThrottle()]
        if self.action == "check":
            return [LookupThrottle()]
        return [OperationsThrottle()]

    def _answer(self, operation: Operation, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().filter(pk=operation.pk).first() or operation
        return Response(OperationSerializer(found, context=self.get_serializer_context())
                        .data, status=code)

    def retrieve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """One operation: its details, participants and markings."""
        return self._answer(operation_of(request, pk))

    def _input(self, request: Request, serializer: type, *, partial: bool = False) -> Any:
        form = serializer(data=request.data, partial=partial,
                          context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form

    def create(self, request: Request, **kwargs: Any) -> Response:
        """Open an operation (coordinators): numbered OP-<year>-<nnnn>, owned by your
        organisation; without markings it is TLP:AMBER to its participants."""
        form = self._input(request, OperationCreateSerializer)
        data = form.validated_data
        details = OperationDetails(
            code_name=data["code_name"], objective=data["objective"], lead=data.get("lead"),
            participants=data["participants"], crime_types=data.get("crime_types", []),
            countries=data.get("countries", []), starts=data.get("starts"),
            ends=data.get("ends"), phase=data["phase"], lessons=data.get("lessons", ""))
        marked = any(name in request.data for name in (*NAMES, "grading"))
        operation = services.open_operation(user=request.user, details=details,
                                            markings=form.markings() if marked else None,
                                            request=request)
        return self._answer(operation, status.HTTP_201_CREATED)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        operation = operation_of(request, pk)
        form = self._input(request, OperationInputSerializer, partial=partial)
        details = _details_of(operation)
        for name, value in form.validated_data.items():
            if hasattr(details, name):
                setattr(details, name, value)
        services.update_operation(operation, user=request.user, details=details,
                                  markings=form.markings(Markings.of(operation)),
                                  request=request)
        return self._answer(operation)

    def update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change the details and markings (coordinators of a participant)."""
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Change some details or markings; the rest keep their values."""
        return self._update(request, pk, partial=True)

    @extend_schema(request=ParticipantsSerializer,
                   responses={200: OperationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Set the participating organisations; new ones are told through their inbox."""
        operation = operation_of(request, pk)
        form = self._input(request, ParticipantsSerializer)
        services.change_participants(operation, user=request.user, request=request,
                                     participants=form.validated_data["participants"])
        return self._answer(operation)

    @extend_schema(request=PhaseSerializer, responses={200: OperationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def phase(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Move the operation to a phase of the cycle (any order)."""
        operation = operation_of(request, pk)
        form = self._input(request, PhaseSerializer)
        services.set_phase(operation, user=request.user, phase=form.validated_data["phase"],
                           request=request)
        return self._answer(operation)

    @extend_schema(request=CloseSerializer, responses={200: OperationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Close the operation, optionally with its lessons learned: nothing of it changes
        afterwards."""
        operation = operation_of(request, pk)
        form = self._input(request, CloseSerializer)
        services.close_operation(operation, user=request.user, request=request,
                                 lessons=form.validated_data["lessons"])
        return self._answer(operation)

    @extend_schema(request=None, responses={201: AfterActionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="after-action")
    def after_action(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Draft the after-action report (objective, participants, timeline, results,
        lessons) as an activity report with the operation's markings, narrowed to its
        readers; it then goes through the products workflow."""
        operation = operation_of(request, pk)
        product, exact = after_action.write_report(operation, user=request.user,
                                                   request=request)
        return Response(AfterActionSerializer({
            "id": product.pk, "reference": product.reference,
            "url": reverse("product-detail", kwargs={"pk": product.pk}, request=request),
            "page": request.build_absolute_uri(product.get_absolute_url()),
            "exact_audience": exact}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, stix.CONTENT_TYPE): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def stix(self, request: Request, pk: Any = None, **kwargs: Any) -> StreamingHttpResponse:
        """The operation's shareable intelligence as a STIX 2.1 bundle: a `grouping` under
        its TLP naming the infrastructure targets as observables and the linked
        intelligence you may see, and a `note` with the objective, phase, period, lessons
        and the targets STIX has no observable for. Target people and organisations are
        not exported. Counted as an export, and audited."""
        return stix.download(request.user, operation_of(request, pk), request=request)

    @extend_schema(request=CheckSerializer,
                   responses={200: CheckLineSerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="deconfliction/check",
            url_name="deconfliction-check", pagination_class=None, filterset_class=None)
    def check(self, request: Request, **kwargs: Any) -> Response:
        """Is any of these values held by an operation or in the observable index?
        Coordinators; nothing asked is stored. Each value gets its canonical form or why
        it is not one, the operations you see holding it, whether others hold it (the
        desk will put you in touch) and hit/no-hit for records you may not see (their
        owners are told). Counted as a look-up."""
        form = CheckSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        lines = deconfliction.check_values(
            request.user, [(v["kind"], v["text"]) for v in form.validated_data["values"]],
            request=request)
        return Response(CheckLineSerializer(lines, many=True).data)
