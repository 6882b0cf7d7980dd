"""REST API for correcting stored intelligence (``intel.corrections``), mixed into the
objects viewset: ``PATCH /api/objects/<id>/`` edits and re-marks, ``DELETE`` revokes,
``POST /api/objects/remark/`` and ``/api/objects/revoke/`` act on a filtered selection."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.directory.roles import Capability
from vaka.ids import MAX_ID
from vaka.intel import corrections, selectors
from vaka.intel.models import StixObject
from vaka.policy.api.serializers import MarkingInputSerializer
from vaka.policy.inputs import NAMES
from vaka.policy.services import Markings


class ObjectEditSerializer(serializers.Serializer):
    """Fields of the STIX object an owner may change; each change is a new version."""

    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True,
                                        trim_whitespace=False)
    labels = serializers.ListField(child=serializers.CharField(max_length=300),
                                   required=False)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    widen = serializers.BooleanField(
        default=False, help_text="Confirm markings that reach people the current ones do "
                                 "not (re-marking never widens silently).")


class SelectionSerializer(MarkingInputSerializer):  # type: ignore[misc,valid-type]
    """Which records: ``ids`` and/or ``submission``, within the query's filters."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)
    submission = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    widen = serializers.BooleanField(default=False)


class RemarkedSerializer(serializers.Serializer):
    remarked = serializers.IntegerField(help_text="How many records were re-marked.")


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many records were revoked.")


def _marking_names(data: Any) -> list[str]:
    return [name for name in NAMES if name in data]


class CorrectionsMixin:
    """Adds the correcting actions to ``StixObjectViewSet``."""

    request: Request

    def _own(self, pk: Any) -> StixObject:
        return selectors.object_for(self.request.user, int(pk), request=self.request)

    @extend_schema(request=ObjectEditSerializer)
    def partial_update(self, request: Request, pk: str, **kwargs: Any) -> Response:
        """Edit name, description, labels or validity, and/or re-mark (any markings
        field; ``widen: true`` to widen). Only the owner organisation's contributors."""
        obj = self._own(pk)
        edit = ObjectEditSerializer(data=request.data)
        edit.is_valid(raise_exception=True)
        changes = {name: edit.validated_data[name] for name in
                   corrections.EDITABLE if name in edit.validated_data}
        with transaction.atomic():
            if _marking_names(request.data):
                form = MarkingInputSerializer(data=request.data, partial=True,
                                              context={"request": request})
                form.is_valid(raise_exception=True)
                corrections.remark(obj, user=request.user,
                                   markings=form.markings(Markings.of(obj)),
                                   widen=edit.validated_data["widen"], request=request)
            if changes:
                corrections.edit(obj, user=request.user, changes=changes, request=request)
        obj = selectors.object_for(request.user, obj.pk)
        return Response(self.get_serializer_class()(obj).data)

    def destroy(self, request: Request, pk: str, **kwargs: Any) -> Response:
        """Revoke the object (STIX ``revoked: true``): off lookups, blocklists, export
        links and TAXII's current versions at once. Stored versions are kept."""
        obj = corrections.revoke(self._own(pk), user=request.user, request=request)
        return Response(self.get_serializer_class()(obj).data)

    def _selection(self, request: Request, form: SelectionSerializer) -> QuerySet[StixObject]:
        if not request.user.can(Capability.CONTRIBUTE):
            raise PermissionDenied(_("Your role may not change records."))
        objects = self.filter_queryset(selectors.objects_for(request.user,
                                                             include_revoked=True))
        objects = objects.filter(owner_id=request.user.organisation_id,
                                 owner__origin__isnull=True)
        data = form.validated_data
        if "ids" in data:
            objects = objects.filter(pk__in=data["ids"])
        if "submission" in data:
            objects = objects.filter(submission_id=data["submission"])
        return objects.order_by("pk")

    @extend_schema(request=SelectionSerializer, responses=RemarkedSerializer,
                   parameters=[OpenApiParameter(
                       "type", str,
                       description="Any filter of the object list narrows the selection.")])
    @action(detail=False, methods=["post"])
    def remark(self, request: Request, **kwargs: Any) -> Response:
        """Re-mark every record of yours in the selection (all or nothing)."""
        form = SelectionSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        count = corrections.bulk_remark(
            self._selection(request, form), user=request.user, markings=form.markings(),
            widen=form.validated_data["widen"], request=request)
        return Response(RemarkedSerializer({"remarked": count}).data)

    @extend_schema(request=SelectionSerializer, responses=RevokedSerializer)
    @action(detail=False, methods=["post"])
    def revoke(self, request: Request, **kwargs: Any) -> Response:
        """Revoke every record of yours in the selection (all or nothing)."""
        form = SelectionSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        count = corrections.bulk_revoke(self._selection(request, form), user=request.user,
                                        request=request)
        return Response(RevokedSerializer({"revoked": count}).data)
