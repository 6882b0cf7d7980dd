"""The desk's broker view: the page and its API. 404 for everyone but a desk broker."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.intel import broker
from vaka.intel.models import HitNotification
from vaka.web.pagination import paginate, query_without_page


def _used(filterset: broker.BrokerHitFilter) -> dict[str, str]:
    return {name: str(filterset.data[name]) for name in filterset.filters
            if filterset.data.get(name, "") != ""}


@login_required
def hit_list(request: HttpRequest) -> HttpResponse:
    """Every hit: the value, who holds it, who asked, when and how; a bad filter is a 400."""
    broker.require_broker(request.user)
    filterset = broker.BrokerHitFilter(request.GET or None,
                                       queryset=broker.hits_for_broker(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    page = paginate(request, filterset.qs if valid else filterset.queryset.none())
    broker.audit_view(request.user, request=request, channel="page",
                      filters_used=_used(filterset) if valid else {},
                      shown=len(page.object_list))
    return render(request, "intel/broker.html", {
        "form": filterset.form, "page": page, "query": query_without_page(request)},
        status=200 if valid else 400)


class BrokerHitSerializer(serializers.ModelSerializer):
    holder = serializers.SerializerMethodField()
    asked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    asked_by_organisation_name = serializers.CharField(source="asked_by_organisation.name",
                                                       read_only=True, default="")

    class Meta:
        model = HitNotification
        fields = ["id", "at", "channel", "kind", "value", "holder", "asked_by",
                  "asked_by_organisation", "asked_by_organisation_name"]

    def get_holder(self, hit: Any) -> dict[str, Any]:
        return {"id": hit.holder_id, "name": hit.holder_name, "country": hit.holder_country}


class BrokerHitList(generics.ListAPIView):
    """The desk's broker view (desk brokers only; 404 for anyone else): every hit on this
    instance — the value, the agency holding it, the agency and person who asked, when and
    how; never the holding record. Each read is audited."""

    serializer_class = BrokerHitSerializer
    filterset_class = broker.BrokerHitFilter

    def get_queryset(self) -> Any:
        return broker.hits_for_broker(self.request.user)

    @extend_schema(responses=BrokerHitSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not broker.is_broker(request.user):
            raise NotFound
        response = super().list(request, *args, **kwargs)
        used = {k: v for k, v in request.query_params.items()
                if k in broker.BrokerHitFilter.base_filters and v != ""}
        broker.audit_view(request.user, request=request, channel="api", filters_used=used,
                          shown=len(response.data.get("results", [])))
        return response
