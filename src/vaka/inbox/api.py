"""The inbox over the REST API: list (with the page's filters), one notice, mark read."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.inbox import selectors, services
from vaka.inbox.filtersets import NoticeFilter
from vaka.inbox.models import Notice
from vaka.inbox.presentation import describe, target_url


class NoticeSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(read_only=True)
    text = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = ["id", "kind", "count", "first_at", "last_at", "unread", "text", "url",
                  "params"]

    def get_text(self, notice: Notice) -> str:
        texts = self.context.get("texts") or {}
        return texts.get(notice.pk) or describe([notice])[0].text

    def get_url(self, notice: Notice) -> str:
        return target_url(notice)


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """Your inbox: notices for your organisation within what you may see, newest first.

    Filters: ``kind``, ``state`` (unread, read, all), ``period`` (day, week, month)."""

    serializer_class = NoticeSerializer
    filterset_class = NoticeFilter
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    def get_queryset(self) -> QuerySet[Notice]:
        return selectors.notices_for(self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        texts = {shown.notice.pk: shown.text for shown in describe(list(page))}
        serializer = self.get_serializer(
            page, many=True, context={**self.get_serializer_context(), "texts": texts})
        return self.get_paginated_response(serializer.data)

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Mark this notice read (until it repeats)."""
        notice = self.get_object()
        services.mark_read(request.user, [notice.pk])
        return Response(self.get_serializer(self.get_queryset().get(pk=notice.pk)).data)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {
        "marked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request, **kwargs: Any) -> Response:
        """Mark every unread notice read; how many were."""
        return Response({"marked": services.mark_all_read(request.user)})
