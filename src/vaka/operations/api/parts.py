"""An operation's parts over the REST API, nested under it:
``/api/operations/{operation_pk}/targets/``, ``tasks/``, ``actions/`` and ``results/``.

Each request first gets the operation through its selector (404 outside its audience,
whatever else the request says), then its part through the part's own selector, then
hands the write to the service; the parts are seen exactly where the operation is.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from vaka.operations import deconfliction, figures, selectors, targets, timeline
from vaka.operations import tasks as taskings
from vaka.operations.api.serializers import (
    ActionInputSerializer,
    ActionSerializer,
    LinkSerializer,
    ResultInputSerializer,
    ResultSerializer,
    TargetsAddedSerializer,
    TargetSerializer,
    TargetsInputSerializer,
    TaskInputSerializer,
    TaskSerializer,
    TaskStatusSerializer,
    TotalsSerializer,
)
from vaka.operations.api.views import ERRORS, operation_of
from vaka.operations.models import Action, Operation, Result, Target, Task
from vaka.operations.timeline import ActionInput, ResultInput
from vaka.web.throttling import OperationsThrottle

OPERATION = OpenApiParameter("operation_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                             description="The operation's id.")


def field_paths(errors: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors flattened to paths: ``targets[3].text``."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, inner in errors.items():
            if isinstance(key, int):
                where = f"{path}[{key}]"
            elif key == "non_field_errors":
                where = path or key
            else:
                where = f"{path}.{key}" if path else str(key)
            for name, messages in field_paths(inner, where).items():
                flat.setdefault(name, []).extend(messages)
        return flat
    if isinstance(errors, list) and any(isinstance(e, dict | list) for e in errors):
        return field_paths(dict(enumerate(errors)), path)
    return {path: [str(e) for e in errors] if isinstance(errors, list) else [str(errors)]}


class PartViewSet(viewsets.GenericViewSet):
    """A part of the operation named in the path, fetched through the selector first."""

    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    model: type

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return self.model.objects.none()
        return self.rows()

    def rows(self) -> QuerySet:
        raise NotImplementedError

    def get_throttles(self) -> list[BaseThrottle]:
        return [OperationsThrottle()]

    @property
    def operation(self) -> Operation:
        if not hasattr(self, "_operation"):
            self._operation = operation_of(self.request, self.kwargs["operation_pk"])
        return self._operation

    def part(self) -> Any:
        found = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if found is None:
            raise Http404
        return found

    def _input(self, serializer: type, *, partial: bool = False) -> Any:
        form = serializer(data=self.request.data, partial=partial)
        form.is_valid(raise_exception=True)
        return form.validated_data


# --- targets -----------------------------------------------------------------------------

@extend_schema(parameters=[OPERATION])
@extend_schema_view(
    list=extend_schema(responses=TargetSerializer(many=True)),
    retrieve=extend_schema(responses=TargetSerializer),
    create=extend_schema(request=TargetsInputSerializer,
                         responses={201: TargetsAddedSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class TargetViewSet(PartViewSet):
    """The operation's targets, each with its deconfliction status as you may be told it.
    Coordinators add a list (all or nothing; each bad item named by its place and field,
    e.g. `targets[3].text`), remove one, and link one to intelligence."""

    serializer_class, model = TargetSerializer, Target

    def rows(self) -> QuerySet[Target]:
        return selectors.targets_for(self.request.user, self.operation)

    def _context(self, rows: list[Target]) -> dict[str, Any]:
        return {**self.get_serializer_context(),
                "statuses": deconfliction.statuses(self.request.user, rows)}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The targets, a page at a time."""
        page = list(self.paginate_queryset(self.get_queryset()))
        return self.get_paginated_response(
            TargetSerializer(page, many=True, context=self._context(page)).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.part()
        return Response(TargetSerializer(target, context=self._context([target])).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add targets, all or none; values the operation already holds are counted, not
        added again. Deconfliction runs once they are stored."""
        operation = self.operation
        form = TargetsInputSerializer(data=request.data)
        if not form.is_valid():
            raise serializers.ValidationError(field_paths(form.errors))
        added = targets.add_targets(operation, user=request.user, request=request, targets=[
            targets.TargetInput(kind=item["kind"], text=item["text"], note=item["note"],
                                linked=item["linked"])
            for item in form.validated_data["targets"]])
        rows = list(self.get_queryset().filter(pk__in=[t.pk for t in added.targets]))
        return Response(TargetsAddedSerializer({
            "added": rows, "already": added.already}, context=self._context(rows)).data,
            status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a target (coordinators)."""
        target = self.part()
        targets.remove_target(self.operation, target.pk, user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=LinkSerializer,
                   responses={200: TargetSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def link(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Link the target to intelligence you may see (replacing the links you see)."""
        target = self.part()
        data = self._input(LinkSerializer)
        targets.link_target(self.operation, target.pk, user=request.user,
                            linked=data["linked"], request=request)
        return self.retrieve(request)


# --- tasks -------------------------------------------------------------------------------

@extend_schema(parameters=[OPERATION])
@extend_schema_view(
    list=extend_schema(responses=TaskSerializer(many=True)),
    retrieve=extend_schema(responses=TaskSerializer),
    create=extend_schema(request=TaskInputSerializer,
                         responses={201: TaskSerializer, **ERRORS}),
)
class TaskViewSet(mixins.ListModelMixin, PartViewSet):
    """The operation's taskings to participating organisations. Coordinators assign
    them; the assigned organisation's contributors, or a coordinator, move their status."""

    serializer_class, model = TaskSerializer, Task

    def rows(self) -> QuerySet[Task]:
        return selectors.tasks_for(self.request.user, self.operation)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(TaskSerializer(self.part()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Assign a task to a participating organisation, told through its inbox."""
        operation = self.operation
        data = self._input(TaskInputSerializer)
        task = taskings.create_task(operation, user=request.user, title=data["title"],
                                    assigned_to=data["assigned_to"], due=data["due"],
                                    detail=data["detail"], request=request)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskStatusSerializer,
                   responses={200: TaskSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Move the task to a status; done records when."""
        task = self.part()
        data = self._input(TaskStatusSerializer)
        taskings.set_task_status(task, user=request.user, status=data["status"],
                                 request=request)
        return Response(TaskSerializer(self.part()).data)


# --- the action log and results ---------------------------------------------------------

class EntryViewSet(mixins.ListModelMixin, PartViewSet):
    """An entry of the log or a result: list, record, change (PUT/PATCH), remove."""

    input_class: type
    record: Any
    change: Any
    remove: Any

    def as_input(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def base(self, entry: Any) -> dict[str, Any]:
        raise NotImplementedError

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.part()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        operation = self.operation
        data = self._input(self.input_class)
        entry = type(self).record(operation, user=request.user, data=self.as_input(data),
                                  request=request)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _change(self, request: Request, *, partial: bool) -> Response:
        entry = self.part()
        data = {**self.base(entry), **self._input(self.input_class, partial=partial)}
        type(self).change(entry, user=request.user, data=self.as_input(data),
                          request=request)
        return Response(self.get_serializer(self.part()).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change(request, partial=False)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change(request, partial=True)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        type(self).remove(self.part(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _entry_schema(output: type, given: type) -> Any:
    return extend_schema_view(
        list=extend_schema(responses=output(many=True)),
        retrieve=extend_schema(responses=output),
        create=extend_schema(request=given, responses={201: output, **ERRORS}),
        update=extend_schema(request=given,
                             responses={200: output, **ERRORS}),
        partial_update=extend_schema(request=given,
                                     responses={200: output, **ERRORS}),
        destroy=extend_schema(responses={204: None, **ERRORS}),
    )


@extend_schema(parameters=[OPERATION])
@_entry_schema(ActionSerializer, ActionInputSerializer)
class ActionViewSet(EntryViewSet):
    """The operation's action log in the order things really happened (stored in UTC,
    each shown in its own local time). Contributors and coordinators of a participating
    organisation record actions; whoever recorded one, or a coordinator, changes it."""

    serializer_class, model = ActionSerializer, Action
    input_class = ActionInputSerializer
    record, change, remove = (staticmethod(timeline.record_action),
                              staticmethod(timeline.change_action),
                              staticmethod(timeline.remove_action))

    def rows(self) -> QuerySet[Action]:
        return figures.actions_for(self.request.user, self.operation)

    def as_input(self, data: dict[str, Any]) -> ActionInput:
        return ActionInput(**data)

    def base(self, entry: Action) -> dict[str, Any]:
        return {"kind": entry.kind, "time_zone": entry.time_zone,
                "local_time": ActionSerializer._local(entry).replace(tzinfo=None),
                "country": entry.country_id, "organisation": entry.organisation_id,
                "summary": entry.summary, "target": entry.target_id}


@extend_schema(parameters=[OPERATION])
@_entry_schema(ResultSerializer, ResultInputSerializer)
class ResultViewSet(EntryViewSet):
    """The operation's results as figures (funds seized with their currency). Recorded
    like actions; `totals` adds them up, never across currencies."""

    serializer_class, model = ResultSerializer, Result
    input_class = ResultInputSerializer
    record, change, remove = (staticmethod(timeline.record_result),
                              staticmethod(timeline.change_result),
                              staticmethod(timeline.remove_result))

    def rows(self) -> QuerySet[Result]:
        return figures.results_for(self.request.user, self.operation)

    def as_input(self, data: dict[str, Any]) -> ResultInput:
        return ResultInput(**data)

    def base(self, entry: Result) -> dict[str, Any]:
        return {"kind": entry.kind, "quantity": entry.quantity, "currency": entry.currency,
                "country": entry.country_id, "organisation": entry.organisation_id,
                "on": entry.on, "note": entry.note, "action": entry.action_id}

    @extend_schema(responses=TotalsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def totals(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The results added up: counts per kind, funds per currency."""
        return Response(figures.totals_for(request.user, self.operation).as_json())
