"""TAXII collections: every user sees the ones they may use and how to connect; platform
admins define them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from vaka.directory.roles import Capability
from vaka.exchange import taxii
from vaka.exchange.forms_collections import CollectionForm, WriteMarkingsForm
from vaka.exchange.models import Collection
from vaka.policy import audit


@login_required
def collection_list(request: HttpRequest) -> HttpResponse:
    manage = request.user.can(Capability.MANAGE_PLATFORM)
    collections = Collection.objects.all() if manage else taxii.collections_for(request.user)
    return render(request, "exchange/collection_list.html", {
        "collections": collections.prefetch_related("readers"), "manage": manage,
        "discovery": request.build_absolute_uri(reverse("taxii:discovery")),
        "root": request.build_absolute_uri(reverse("taxii:root"))})


@login_required
def collection_edit(request: HttpRequest, pk: str | None = None) -> HttpResponse:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    collection = get_object_or_404(Collection, pk=pk) if pk else None
    form = CollectionForm(request.POST or None, instance=collection)
    marking_form = WriteMarkingsForm(request.POST or None, collection=collection)
    if request.method == "POST" and all([form.is_valid(), marking_form.is_valid()]):
        try:
            taxii.save_collection(form.save(commit=False),
                                  readers=form.cleaned_data["readers"],
                                  markings=marking_form.markings(), user=request.user,
                                  request=request)
        except ValidationError as error:
            marking_form.apply_errors(error)
        else:
            messages.success(request, _("Collection saved."))
            return redirect("exchange:collections")
    return render(request, "exchange/collection_form.html", {
        "form": form, "marking_form": marking_form, "collection": collection,
        "title": _("Edit collection") if collection else _("New TAXII collection")})


@login_required
def collection_delete(request: HttpRequest, pk: str) -> HttpResponse:
    if not request.user.can(Capability.MANAGE_PLATFORM) or request.method != "POST":
        raise PermissionDenied
    collection = get_object_or_404(Collection, pk=pk)
    audit.record(audit.Action.DELETE, actor=request.user, target=collection, request=request)
    collection.delete()
    messages.success(request, _("Collection deleted."))
    return redirect("exchange:collections")
