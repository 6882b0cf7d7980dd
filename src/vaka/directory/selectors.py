"""Reads of the directory."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from vaka.directory.models import ApiToken, Community, Country, Organisation, User
from vaka.directory.roles import Capability


def countries(*, search: str = "", programme: str = "") -> QuerySet[Country]:
    qs = Country.objects.prefetch_related("programmes").annotate(
        organisation_count=Count("organisations", distinct=True)).order_by("name")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__iexact=search)
                       | Q(alpha3__iexact=search))
    if programme:
        qs = qs.filter(programmes__code=programme)
    return qs


def organisations(*, search: str = "", kind: str = "", country: str = "") -> QuerySet[Organisation]:
    qs = Organisation.objects.select_related("country", "served_by").annotate(
        user_count=Count("users", distinct=True)).order_by("name")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(short_name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if country:
        qs = qs.filter(country_id=country.upper())
    return qs


def users(*, search: str = "", organisation: str = "", role: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("organisation", "organisation__country")
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(first_name__icontains=search)
                       | Q(last_name__icontains=search) | Q(email__icontains=search))
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    if role:
        qs = qs.filter(role=role)
    return qs


def communities_for(user: Any) -> QuerySet[Community]:
    """Communities are known to their member organisations and to platform admins."""
    qs = Community.objects.annotate(member_count=Count("members", distinct=True)).order_by("name")
    if user.can(Capability.MANAGE_PLATFORM):
        return qs
    if user.organisation_id is None:
        return qs.none()
    return qs.filter(members=user.organisation_id)


def tokens_for(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
