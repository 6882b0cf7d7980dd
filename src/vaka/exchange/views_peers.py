"""Pages of the connected instances (platform admins only)."""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.exchange import jobs, sync
from vaka.exchange.forms_peers import PeerForm
from vaka.exchange.models import Peer
from vaka.exchange.views_jobs import job_progress

# "Sync now" without a broker runs in the request: it stops after this many seconds, and
# the next scheduled sync continues where it stopped. With one, a worker runs it whole.
SYNC_NOW_BUDGET = 60


def _require_admin(request: HttpRequest) -> None:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied


def _detail(request: HttpRequest, peer: Peer, new_token: str | None = None) -> HttpResponse:
    queued = jobs.parse_id(request.GET.get("job", ""))
    return render(request, "exchange/peer_detail.html", {
        "peer": peer, "new_token": new_token, "runs": peer.runs.all()[:50],
        "communities": peer.communities.all(),
        "organisations": peer.organisations.count(),
        "job": jobs.job(queued, key="peer", pk=peer.pk) if queued else None,
        "job_url": reverse("exchange:peer_job", args=[peer.pk, queued]) if queued else "",
    })


@login_required
def peer_job(request: HttpRequest, pk: int, job: uuid.UUID) -> HttpResponse:
    """How a queued "sync now" is going, for the peer's page to follow (htmx)."""
    _require_admin(request)
    peer = get_object_or_404(Peer, pk=pk)
    return job_progress(request, key="peer", pk=peer.pk, job=job, kind="sync")


@login_required
def peer_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    peers = Peer.objects.annotate(organisation_count=Count("organisations")).prefetch_related(
        "communities")
    return render(request, "exchange/peer_list.html", {"peers": peers})


@login_required
def peer_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PeerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            peer, token = sync.create_peer(actor=request.user, request=request,
                                           **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Instance connected."))
            return _detail(request, peer, token)
    return render(request, "exchange/peer_form.html",
                  {"form": form, "title": _("Connect an instance")})


@login_required
def peer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    return _detail(request, get_object_or_404(Peer, pk=pk))


@login_required
def peer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    peer = get_object_or_404(Peer, pk=pk)
    form = PeerForm(request.POST or None, peer=peer)
    if request.method == "POST" and form.is_valid():
        try:
            token = sync.update_peer(peer, actor=request.user, request=request,
                                     **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
            peer.refresh_from_db()
        else:
            messages.success(request, _("Connected instance saved."))
            if token:
                return _detail(request, peer, token)
            return redirect("exchange:peer", pk=peer.pk)
    return render(request, "exchange/peer_form.html", {
        "form": form, "peer": peer, "title": _("Edit %s") % peer.name})


@login_required
@require_POST
def peer_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    peer = get_object_or_404(Peer, pk=pk)
    if not peer.enabled:
        messages.error(request, _("This instance is disabled: enable it first."))
        return redirect("exchange:peer", pk=peer.pk)
    if settings.CELERY_BROKER_URL:  # a worker syncs; the page follows the job
        try:
            queued = jobs.queue_sync(peer.pk)
        except jobs.Unreachable as error:
            messages.error(request, str(error))
            return redirect("exchange:peer", pk=peer.pk)
        return redirect(f"{reverse('exchange:peer', args=[peer.pk])}?"
                        f"{urlencode({'job': queued})}")
    run = sync.sync(peer, budget=SYNC_NOW_BUDGET)
    if run.status == run.Status.OK:
        messages.success(request, _("Synced: %(pulled)d received, %(pushed)d sent, "
                                    "%(rejected)d refused.") % {
            "pulled": run.pulled, "pushed": run.pushed, "rejected": run.rejected})
    else:
        messages.error(request, _("The sync failed: %s") % peer.last_error)
    return redirect("exchange:peer", pk=peer.pk)
