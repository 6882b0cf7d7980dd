"""``/api/saved-searches/``: the caller's own saved searches (filters, never results).
Anyone else's is 404, as a missing one; writes go through ``web.saved_searches``."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.web import saved_searches
from vaka.web.models import SavedSearch


class SavedSearchSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The list with these filters.")

    class Meta:
        model = SavedSearch
        fields = ["id", "list_name", "name", "query", "url", "created", "modified"]
        read_only_fields = ["id", "url", "created", "modified"]
        # The service checks these (and names the field in its error): not the model's
        # unique constraint, which would need the user in the request body.
        validators: list[Any] = []

    def get_url(self, search: SavedSearch) -> str:
        return saved_searches.url_of(search)


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class SavedSearchViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your saved searches. POST saves a list's filters (``list_name`` is the list's URL
    name, e.g. ``intel:objects``; ``query`` its query string); PATCH renames; DELETE
    deletes. Running one is opening its ``url``, which shows what that list shows you now."""

    serializer_class = SavedSearchSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[SavedSearch]:
        return saved_searches.searches_for(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        search = saved_searches.save_search(
            request.user, list_name=data["list_name"], name=data["name"],
            query=data.get("query", ""), request=request)
        return Response(self.get_serializer(search).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        search = self.get_object()
        rename = RenameSerializer(data=request.data)
        rename.is_valid(raise_exception=True)
        saved_searches.rename_search(search, user=request.user,
                                     name=rename.validated_data["name"], request=request)
        return Response(self.get_serializer(search).data)

    def perform_destroy(self, instance: SavedSearch) -> None:
        saved_searches.delete_search(instance, user=self.request.user, request=self.request)
