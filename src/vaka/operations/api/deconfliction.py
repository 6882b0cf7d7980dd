"""The desk's broker view of deconfliction clashes, as an API: desk brokers only, 404 for
anyone else (``vaka.operations.desk``)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.operations import desk
from vaka.operations.models import Clash
from vaka.policy.brokering import is_broker
from vaka.web.api import ErrorSerializer


class ClashSideSerializer(serializers.Serializer):
    """One side of a clash: the operation and its lead organisation."""

    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    code_name = serializers.CharField(read_only=True)
    lead = serializers.IntegerField(source="lead_id", read_only=True)
    lead_name = serializers.CharField(source="lead.name", read_only=True)


class BrokerClashSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="target.kind", read_only=True)
    value = serializers.CharField(source="target.value", read_only=True)
    operation = ClashSideSerializer(source="target.operation", read_only=True)
    other_operation = ClashSideSerializer(source="other.operation", read_only=True)
    introduced_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Clash
        fields = ["id", "kind", "value", "operation", "other_operation", "found_at",
                  "introduced_at", "introduced_by", "introduction_note"]


class IntroduceSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=desk.NOTE_LENGTH, trim_whitespace=True,
                                 help_text="For the desk's record; the leads are not shown it.")


class BrokerClashViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The desk's broker view of deconfliction clashes (desk brokers only; 404 for anyone
    else): every pair of operations targeting the same value, both sides named — reference,
    code name, lead organisation — and whether the desk has introduced their leads. Each
    read is audited."""

    serializer_class = BrokerClashSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return desk.clashes_for_broker(self.request.user)

    @extend_schema(responses=BrokerClashSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_broker(request.user):
            raise NotFound
        response = super().list(request, *args, **kwargs)
        desk.audit_view(request.user, request=request, channel="api",
                        shown=len(response.data.get("results", [])))
        return response

    # Its 404 is left out of the schema, as every other route's: an id the route does
    # not match is answered by the site's HTML page, not the API's JSON.
    @extend_schema(request=IntroduceSerializer,
                   responses={200: BrokerClashSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def introduce(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Introduce the two leads: recorded on the clash, audited, and each lead told the
        other lead organisation's name (never the other operation). 400 when already
        introduced."""
        if not is_broker(request.user):
            raise NotFound
        clash = self.get_object()
        given = IntroduceSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        clash = desk.introduce(clash, user=request.user, note=given.validated_data["note"],
                               request=request)
        return Response(BrokerClashSerializer(clash).data)
