"""Pages of the feed subscriptions (platform admins only)."""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.exchange import feeds, jobs
from vaka.exchange.forms_feeds import FeedForm
from vaka.exchange.models import Feed, FeedPoll
from vaka.exchange.views_jobs import job_progress
from vaka.web.pagination import paginate

# "Poll now" without a broker runs in the request: it stops after this many seconds, and
# the scheduler's next round continues where it stopped. With one, a worker runs it whole.
POLL_NOW_BUDGET = 60


def _require_admin(request: HttpRequest) -> None:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied


@login_required
def feed_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    latest = FeedPoll.objects.order_by("-started", "-pk")
    items = Feed.objects.select_related("organisation").prefetch_related(
        Prefetch("polls", queryset=latest[:1], to_attr="latest"))
    return render(request, "exchange/feed_list.html", {"feeds": items})


@login_required
def feed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    feed = get_object_or_404(Feed.objects.select_related("organisation", "created_by"), pk=pk)
    queued = jobs.parse_id(request.GET.get("job", ""))
    return render(request, "exchange/feed_detail.html", {
        "feed": feed, "url": feeds.shown(feed.url), "communities": feed.communities.all(),
        "events_known": len(feed.state.get("events") or {}),
        "page": paginate(request, feed.polls.all(), per_page=20),
        "job": jobs.job(queued, key="feed", pk=feed.pk) if queued else None,
        "job_url": reverse("exchange:feed_job", args=[feed.pk, queued]) if queued else ""})


@login_required
def feed_job(request: HttpRequest, pk: int, job: uuid.UUID) -> HttpResponse:
    """How a queued "poll now" is going, for the feed's page to follow (htmx)."""
    _require_admin(request)
    feed = get_object_or_404(Feed, pk=pk)
    return job_progress(request, key="feed", pk=feed.pk, job=job, kind="poll")


@login_required
def feed_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    feed = get_object_or_404(Feed, pk=pk) if pk else None
    form = FeedForm(request.POST or None, instance=feed)
    if request.method == "POST" and form.is_valid():
        try:
            saved = feeds.save_feed(form.save(commit=False), user=request.user,
                                    markings=form.markings(),
                                    start_over=form.cleaned_data.get("start_over", False),
                                    request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Feed saved: it is polled within a minute."))
            return redirect(saved)
    return render(request, "exchange/feed_form.html", {
        "form": form, "feed": feed,
        "title": _("Edit feed") if feed else _("Subscribe to a feed")})


@login_required
@require_POST
def feed_poll(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    feed = get_object_or_404(Feed.objects.select_related("organisation"), pk=pk)
    if settings.CELERY_BROKER_URL:  # a worker polls; the page follows the job
        try:
            queued = jobs.queue_poll(feed.pk, request.user.pk)
        except jobs.Unreachable as error:
            messages.error(request, str(error))
            return redirect(feed)
        return redirect(f"{feed.get_absolute_url()}?{urlencode({'job': queued})}")
    done = feeds.poll(feed, user=request.user, request=request, budget=POLL_NOW_BUDGET)
    if done.status == FeedPoll.Status.OK:
        messages.success(request, _("Polled: %(new)d new, %(updated)d updated, %(rejected)d "
                                    "rejected.") % {"new": done.new, "updated": done.updated,
                                                    "rejected": done.rejected})
    else:
        messages.error(request, _("The poll failed: %s") % done.message.splitlines()[0])
    return redirect(feed)
