from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.directory import selectors, services
from vaka.directory.api import serializers as s
from vaka.directory.filtersets import CountryFilter, OrganisationFilter, UserFilter
from vaka.directory.models import ApiToken, Community, Country, Organisation, User
from vaka.directory.roles import Capability


class PlatformAdminWrites(permissions.BasePermission):
    """Anyone signed in reads; platform admins write."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.can(Capability.MANAGE_PLATFORM)


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    """ISO 3166-1 countries and the programmes they take part in."""

    serializer_class = s.CountrySerializer
    lookup_value_regex = "[A-Za-z]{2}"  # the ISO code (the key): typed so in the schema
    filterset_class = CountryFilter
    search_fields = ["name", "code", "alpha3"]
    ordering_fields = ["name", "code"]

    def get_queryset(self) -> QuerySet[Country]:
        return selectors.countries()


class OrganisationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                          viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrganisationSerializer
    permission_classes = [permissions.IsAuthenticated, PlatformAdminWrites]
    filterset_class = OrganisationFilter
    search_fields = ["name", "short_name"]
    ordering_fields = ["name", "created"]

    def get_queryset(self) -> QuerySet[Organisation]:
        return Organisation.objects.select_related("country")

    def perform_create(self, serializer: s.OrganisationSerializer) -> None:
        serializer.instance = services.save_organisation(
            Organisation(**serializer.validated_data), actor=self.request.user,
            request=self.request)

    def perform_update(self, serializer: s.OrganisationSerializer) -> None:
        org = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(org, name, value)
        services.save_organisation(org, actor=self.request.user, request=self.request)


class UserViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                  viewsets.ReadOnlyModelViewSet):
    """The people of every organisation. Org admins manage their own organisation's users."""

    serializer_class = s.UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "last_login"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.users()

    def perform_create(self, serializer: s.UserSerializer) -> None:
        data = dict(serializer.validated_data)
        password = data.pop("password", None)
        # Optional, as in the web form (a platform admin may have none); the service
        # decides whether the actor may create a user there.
        organisation = data.pop("organisation", None)
        serializer.instance = services.create_user(
            actor=self.request.user, organisation=organisation, password=password,
            request=self.request, **data)

    def perform_update(self, serializer: s.UserSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("password", None)
        services.update_user(serializer.instance, actor=self.request.user,
                             request=self.request, **data)


class CommunityViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):
    """Communities your organisation belongs to (platform admins: all)."""

    serializer_class = s.CommunitySerializer
    permission_classes = [permissions.IsAuthenticated, PlatformAdminWrites]
    search_fields = ["name"]
    ordering_fields = ["name", "created"]

    def get_queryset(self) -> QuerySet[Community]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no user
            return Community.objects.none()
        return selectors.communities_for(self.request.user).prefetch_related("members")

    def perform_create(self, serializer: s.CommunitySerializer) -> None:
        data = dict(serializer.validated_data)
        members = data.pop("members", [])
        serializer.instance = services.save_community(
            Community(**data), members, actor=self.request.user, request=self.request)

    def perform_update(self, serializer: s.CommunitySerializer) -> None:
        community = serializer.instance
        data = dict(serializer.validated_data)
        members = data.pop("members", list(community.members.all()))
        for name, value in data.items():
            setattr(community, name, value)
        services.save_community(community, members, actor=self.request.user,
                                request=self.request)


class TokenViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    """Your API tokens. The key is returned once, on creation; DELETE revokes a token."""

    serializer_class = s.TokenSerializer
    ordering_fields = ["created"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no user
            return ApiToken.objects.none()
        return selectors.tokens_for(self.request.user)

    @transaction.atomic
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.create_token(
            request.user, name=serializer.validated_data["name"], actor=request.user,
            expires_in_days=serializer.validated_data.get("expires_in_days"), request=request)
        body = s.TokenSerializer(token, context={"new_key": key}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.revoke_token(instance, actor=self.request.user, request=self.request)
