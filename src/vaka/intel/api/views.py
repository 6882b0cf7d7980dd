from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.intel import selectors, services
from vaka.intel.api.serializers import NoteSerializer
from vaka.intel.models import Note
from vaka.policy.services import Markings
from vaka.web.filters import StrictFilterSet


class NoteFilter(StrictFilterSet):
    created_after = filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")

    class Meta:
        model = Note
        fields = ["tlp", "distribution", "owner", "pap"]


class NoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Analyst notes. Records outside your audience answer 404."""

    serializer_class = NoteSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = NoteFilter
    search_fields = ["title", "body"]
    ordering_fields = ["created", "modified", "title"]

    def get_queryset(self) -> QuerySet[Note]:
        return selectors.notes_for(self.request.user).prefetch_related(
            "audience__communities", "audience__organisations", "audience__people")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = selectors.note_for(request.user, int(kwargs["pk"]), request=request)
        return Response(self.get_serializer(note).data)

    def perform_create(self, serializer: NoteSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_note(
            user=self.request.user, title=data["title"], body=data.get("body", ""),
            markings=serializer.markings(), request=self.request)

    def perform_update(self, serializer: NoteSerializer) -> None:
        note, data = serializer.instance, serializer.validated_data
        serializer.instance = services.update_note(
            note, user=self.request.user, title=data.get("title", note.title),
            body=data.get("body", note.body), markings=serializer.markings(Markings.of(note)),
            request=self.request)

    def perform_destroy(self, instance: Note) -> None:
        services.delete_note(instance, user=self.request.user, request=self.request)
