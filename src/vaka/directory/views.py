"""Directory pages: countries, organisations, users, communities."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory import selectors, services
from vaka.directory.filtersets import OrganisationFilter, UserFilter
from vaka.directory.forms import CommunityForm, CoordinatorsForm, OrganisationForm, UserForm
from vaka.directory.models import Community, Country, Organisation, Programme, User
from vaka.directory.roles import Capability, Role
from vaka.web.pagination import paginate, query_without_page


def _list(request: HttpRequest, template: str, items: Any, filterset: Any = None,
          **context: Any) -> HttpResponse:
    """A directory list; a filter value that names nothing (``filterset`` refuses it) is a
    400 page naming the filter and the value, not an empty list."""
    checked = filterset(request.GET, queryset=items.none()) if filterset else None
    refused = checked is not None and not checked.is_valid()
    return render(request, template, {
        "page": paginate(request, items.none() if refused else items),
        "query": query_without_page(request), "q": request.GET.get("q", ""),
        "filter_form": checked.form if refused else None, **context},
        status=400 if refused else 200)


@login_required
def country_list(request: HttpRequest) -> HttpResponse:
    items = selectors.countries(search=request.GET.get("q", "").strip(),
                                programme=request.GET.get("programme", ""))
    return _list(request, "directory/country_list.html", items,
                 programmes=Programme.objects.all(), programme=request.GET.get("programme", ""))


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    kind, country = request.GET.get("kind", ""), request.GET.get("country", "")
    items = selectors.organisations(search=request.GET.get("q", "").strip(), kind=kind,
                                    country=country)
    return _list(request, "directory/organisation_list.html", items, OrganisationFilter,
                 kinds=Organisation.Kind.choices, kind=kind, country=country,
                 countries=Country.objects.all())


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(selectors.organisations(), pk=pk)
    return render(request, "directory/organisation_detail.html", {
        "org": org,
        "members": selectors.users(organisation=str(org.pk)).filter(is_active=True),
        "communities": selectors.communities_for(request.user).filter(members=org),
        "can_manage_users": services.can_manage_user(request.user, org),
    })


def _save_form(request: HttpRequest, form: Any, save: Any) -> Any:
    if request.method == "POST" and form.is_valid():
        try:
            return save(form)
        except ValidationError as error:
            form.apply_errors(error)
    return None


@login_required
def organisation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    org = get_object_or_404(Organisation, pk=pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=org)
    saved = _save_form(request, form, lambda f: services.save_organisation(
        f.save(commit=False), actor=request.user, request=request))
    if saved:
        messages.success(request, _("Organisation saved."))
        return redirect("organisation", pk=saved.pk)
    return render(request, "directory/form.html", {
        "form": form, "title": _("Edit organisation") if org else _("New organisation")})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    org, role = request.GET.get("organisation", ""), request.GET.get("role", "")
    items = selectors.users(search=request.GET.get("q", "").strip(), organisation=org, role=role)
    if not request.GET.get("inactive"):
        items = items.filter(is_active=True)
    return _list(request, "directory/user_list.html", items, UserFilter, roles=Role.choices,
                 role=role, organisation=org)


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.users(), pk=pk)
    return render(request, "directory/user_detail.html", {
        "person": person,
        "can_manage": services.can_manage_user(request.user, person.organisation, person.role),
        "has_totp": services.has_totp(person),
    })


@login_required
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = get_object_or_404(User, pk=pk) if pk else None
    if person is not None and not services.can_manage_user(
            request.user, person.organisation, person.role):
        raise PermissionDenied
    if person is None and not request.user.can(Capability.MANAGE_ORG_USERS):
        raise PermissionDenied
    # The form edits a copy, so the service sees the user as stored and what changed.
    form = UserForm(request.POST or None, actor=request.user,
                    instance=User.objects.get(pk=person.pk) if person else None)

    def save(f: UserForm) -> User:
        data = {k: f.cleaned_data[k] for k in UserForm.Meta.fields}
        if person is None:
            return services.create_user(actor=request.user, request=request,
                                        password=f.cleaned_data.get("password"), **data)
        return services.update_user(person, actor=request.user, request=request, **data)

    saved = _save_form(request, form, save)
    if saved:
        messages.success(request, _("User saved."))
        return redirect("user", pk=saved.pk)
    return render(request, "directory/form.html", {
        "form": form, "title": _("Edit user") if person else _("New user")})


@login_required
@require_POST
def user_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    try:
        services.reset_two_factor(person, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Two-factor sign-in of %s is off; their recovery codes no "
                                    "longer work.") % person)
    return redirect("user", pk=person.pk)


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    """Platform admins: the programmes and their coordinators."""
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    return render(request, "directory/programme_list.html", {
        "programmes": Programme.objects.prefetch_related("coordinators__organisation")})


@login_required
def programme_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Platform admins set a programme's coordinators."""
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    programme = get_object_or_404(Programme, code=code)
    form = CoordinatorsForm(request.POST or None, initial={
        "coordinators": list(programme.coordinators.all())})
    saved = _save_form(request, form, lambda f: services.set_coordinators(
        programme, list(f.cleaned_data["coordinators"]), actor=request.user,
        request=request))
    if saved:
        messages.success(request, _("Coordinators saved."))
        return redirect("programmes")
    return render(request, "directory/form.html", {
        "form": form, "title": _("Coordinators of %(programme)s") % {
            "programme": programme.name}})


@login_required
def community_list(request: HttpRequest) -> HttpResponse:
    items = selectors.communities_for(request.user)
    if q := request.GET.get("q", "").strip():
        items = items.filter(name__icontains=q)
    return _list(request, "directory/community_list.html", items)


@login_required
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = get_object_or_404(selectors.communities_for(request.user), pk=pk)
    return render(request, "directory/community_detail.html", {
        "community": community,
        "members": community.members.select_related("country"),
    })


@login_required
def community_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    community = get_object_or_404(Community, pk=pk) if pk else None
    form = CommunityForm(request.POST or None, instance=community)
    saved = _save_form(request, form, lambda f: services.save_community(
        f.save(commit=False), list(f.cleaned_data["members"]), actor=request.user,
        request=request))
    if saved:
        messages.success(request, _("Community saved."))
        return redirect("community", pk=saved.pk)
    return render(request, "directory/form.html", {
        "form": form, "title": _("Edit community") if community else _("New community")})
