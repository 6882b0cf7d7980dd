"""Feed subscriptions: poll external TAXII 2.1 collections and MISP feeds into the store.

A poll reads only what is new since the last one: TAXII objects added after the resume
point (``added_after``), MISP events whose manifest timestamp changed. Each TAXII page and
each MISP event is stored as its own submission (partial: a bad object is listed, the rest
kept), and the resume point moves in the same transaction, so an interrupted poll resumes
after what was stored and never stores half a page.

A feed's faults (network, HTTP, malformed answers) never raise: the poll is recorded as
failed with a one-line reason, the feed backs off (interval × 2^failures, at most a day),
and what was stored before the fault stays stored.
"""

import codecs
import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from taxii2client.exceptions import AccessError, InvalidJSONError, TAXIIServiceException
from taxii2client.v21 import Collection

from vaka.backoff import retry_delay
from vaka.directory.models import User
from vaka.directory.roles import Capability
from vaka.exchange import outbound, scheduler
from vaka.exchange.models import MARKING_COLUMNS, Feed, FeedPoll
from vaka.intel import originals
from vaka.intel.ingest_turn import ingest_turn
from vaka.intel.models import Submission
from vaka.intel.originals import Original
from vaka.intel.parsing import jsonlimits
from vaka.intel.services import ingest_bytes
from vaka.policy import audit, crypto
from vaka.policy.services import Markings, clean_markings

log = logging.getLogger(__name__)

# Seconds to connect, and between two bytes of an answer; each answer also has a total
# time and size limit (VAKA_OUTBOUND_TIMEOUT_SECONDS, VAKA_OUTBOUND_MAX_MB: see outbound).
TIMEOUT = 60
PAGE_SIZE = 1000  # TAXII objects asked for per request (servers may send fewer)
MAX_ERRORS = 500  # errors listed on one poll; the counts stay exact
USER_AGENT = "Vaka-feeds/1"
TAXII_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


class FeedError(Exception):
    """The poll cannot go on; the message is the reason admins read."""


class Unreachable(FeedError):
    """The server cannot be reached at all: there is no point asking it for more."""


@dataclass
class _Run:
    """What one poll did so far."""

    record: FeedPoll
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str = ""
    deadline: float | None = None  # time.monotonic() after which the poll stops
    stopped: bool = False  # out of time: the next poll continues at once

    def out_of_time(self) -> bool:
        self.stopped = self.deadline is not None and time.monotonic() > self.deadline
        return self.stopped

    def stored(self, submission: Submission, where: dict[str, Any]) -> None:
        self.record.submissions.add(submission)
        self.new += submission.new
        self.updated += submission.updated
        self.unchanged += submission.unchanged
        self.rejected += submission.rejected
        for error in submission.errors:
            self.error({**where, **error})

    def error(self, error: dict[str, Any]) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def alive(self) -> None:
        """A sign of life: this poll's process is still at work (see ``scheduler``)."""
        FeedPoll.objects.filter(pk=self.record.pk).update(alive=timezone.now())


# --- HTTP ------------------------------------------------------------------------------------

class _Bearer(requests.auth.AuthBase):
    """``Authorization: Bearer <token>``, or the token as it is when it names its scheme
    (``Token …`` for another Vaka instance)."""

    def __init__(self, token: str) -> None:
        self.value = token if " " in token.strip() else f"Bearer {token.strip()}"

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = self.value
        return request


class _DepthLimited(requests.Response):
    """A response whose ``json()`` (which taxii2-client calls) refuses JSON nested deeper
    than ``jsonlimits.MAX_DEPTH``: a hostile server's nesting is a failed poll, not a
    RecursionError."""

    def json(self, **options: Any) -> Any:
        return jsonlimits.loads(self.content.removeprefix(codecs.BOM_UTF8), **options)


def _limit_json(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    response.__class__ = _DepthLimited
    return response


def _prepared(session: requests.Session, feed: Feed) -> requests.Session:
    # taxii2-client sets no timeout: without one a silent server would hang the poller.
    outbound.guard(session, timeout=TIMEOUT)
    session.hooks["response"].append(_limit_json)
    session.headers["User-Agent"] = USER_AGENT
    session.verify = feed.verify_tls
    return session


shown = outbound.shown


def _network_reason(error: requests.RequestException, url: str) -> str:
    reason = outbound.failure_reason(error, url)
    if isinstance(error, requests.exceptions.SSLError):
        reason += " " + _("Fix the certificate, or untick “verify TLS certificates” for a "
                          "test server.")
    return reason


def describe(error: Exception, url: str) -> str:
    """A one-line reason for a network, HTTP or TAXII client error."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return outbound.status_reason(error.response.status_code, error.response.url or url)
    if isinstance(error, requests.RequestException):
        return _network_reason(error, getattr(error.request, "url", None) or url)
    if isinstance(error, AccessError):
        return _("The collection at %(url)s may not be read with these credentials.") % {
            "url": shown(url)}
    if isinstance(error, InvalidJSONError):
        if isinstance(error.__cause__, jsonlimits.TooDeep):
            return _too_deep(url)
        return _("%(url)s did not answer JSON.") % {"url": shown(url)}
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return _("%(url)s did not answer as a TAXII 2.1 collection: %(why)s") % {
        "url": shown(url), "why": first_line}


def _download(session: requests.Session, url: str) -> bytes:
    """The body at ``url``, read within the outbound time and size limits."""
    try:
        response = session.get(url)
    except requests.RequestException as error:
        raise Unreachable(_network_reason(error, url)) from error
    if not response.ok:
        raise FeedError(outbound.status_reason(response.status_code, url))
    return response.content


def _too_deep(url: str) -> str:
    return _("%(url)s answered JSON nested more than %(limit)d levels deep.") % {
        "url": shown(url), "limit": jsonlimits.MAX_DEPTH}


def _json(data: bytes, url: str) -> Any:
    try:
        return jsonlimits.loads(data.removeprefix(codecs.BOM_UTF8))
    except jsonlimits.TooDeep as error:
        raise FeedError(_too_deep(url)) from error
    except ValueError as error:
        raise FeedError(_("%(url)s is not JSON (%(error)s).") % {
            "url": shown(url), "error": error}) from error


# --- storing ---------------------------------------------------------------------------------

def _markings(feed: Feed) -> Markings:
    """The feed's markings, checked; a fresh copy for each submission."""
    markings = feed.markings()
    try:
        clean_markings(feed.organisation, None, replace(markings))
    except ValidationError as error:
        raise FeedError(_("The feed's markings are not valid: %s") % " ".join(error.messages)
                        ) from error
    return markings


def _store(feed: Feed, run: _Run, data: bytes, *, fmt: str, filename: str,
           where: dict[str, Any], state: dict[str, Any]) -> Submission:
    """One page or event, and the resume point after it, in one transaction. What was
    fetched is kept as the submission's original when it is within the upload limit."""
    kept = Original(data, filename) if len(data) <= settings.MAX_UPLOAD_MB * 2**20 else None
    submission = None
    try:
        # The ingest turn before the transaction: it takes SQLite's write lock at once,
        # which the ingest ahead of this one needs to finish (intel.ingest_turn).
        with scheduler.writing(), ingest_turn(), transaction.atomic():
            submission = ingest_bytes(
                data, organisation=feed.organisation, user=None, markings=_markings(feed),
                source=Submission.Source.FEED, fmt=fmt, filename=filename, partial=True,
                name=feed.name, original=kept)
            Feed.objects.filter(pk=feed.pk).update(state=state)
            feed.state = state
            run.stored(submission, where)
            run.alive()
    except BaseException:
        if submission is not None:
            originals.discard(submission)  # its row was rolled back: the file goes too
        raise
    return submission


# --- TAXII 2.1 -------------------------------------------------------------------------------

def _taxii_collection(feed: Feed) -> Collection:
    if feed.username and feed.password:
        collection = Collection(feed.url, user=feed.username, password=feed.password,
                                verify=feed.verify_tls)
    elif feed.token:
        collection = Collection(feed.url, auth=_Bearer(feed.token), verify=feed.verify_tls)
    else:
        collection = Collection(feed.url, verify=feed.verify_tls)
    _prepared(collection._conn.session, feed)
    return collection


def just_before(stamp: str) -> str | None:
    """The TAXII timestamp one microsecond earlier (None if ``stamp`` is not one)."""
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - timedelta(microseconds=1)).astimezone(UTC).strftime(TAXII_STAMP)


def _taxii_pages(collection: Collection, after: str | None, latest: dict[str, Any]
                 ) -> Iterator[tuple[list[Any], str | None, bool]]:
    """(objects, X-TAXII-Date-Added-Last, more) for each page, following ``next``, or
    ``added_after`` when the server pages without ``next`` (as the spec allows)."""
    query: dict[str, Any] = {"added_after": after}
    while True:
        envelope = collection.get_objects(limit=PAGE_SIZE, **query)
        objects = envelope.get("objects", []) if isinstance(envelope, dict) else None
        if not isinstance(objects, list):
            raise FeedError(_("The answer from %(url)s is not a TAXII envelope.") % {
                "url": shown(collection.objects_url)})
        headers = latest.get("headers") or {}
        last, more = headers.get("X-TAXII-Date-Added-Last"), bool(envelope.get("more"))
        yield objects, last, more
        if not more:
            return
        token = envelope.get("next")
        if objects and isinstance(token, str) and token:
            query = {"added_after": after, "next": token}
        elif objects and last and last != query["added_after"]:
            after = last
            query = {"added_after": last}
        else:
            raise FeedError(_("%(url)s says there is more but gives no way to read on.") % {
                "url": shown(collection.objects_url)})


def _poll_taxii(feed: Feed, run: _Run) -> None:
    after = feed.state.get("added_after") or None
    collection = _taxii_collection(feed)
    latest: dict[str, Any] = {}

    def keep_headers(response: Any, *args: Any, **kwargs: Any) -> None:
        latest["headers"] = response.headers

    collection._conn.session.hooks["response"].append(keep_headers)
    pages = 0
    try:
        for objects, last, more in _taxii_pages(collection, after, latest):
            pages += 1
            # Objects added in the same instant may straddle two pages: until the last
            # page, resume from just before this one's last, so none is skipped.
            resume = (just_before(last) if more else last) if last else None
            state = {**feed.state, "added_after": resume} if resume else feed.state
            if objects:
                bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
                _store(feed, run, json.dumps(bundle).encode(), fmt="stix",
                       filename=f"{feed.name} page {pages}", where={"page": pages}, state=state)
            elif state is not feed.state:
                with scheduler.writing():
                    Feed.objects.filter(pk=feed.pk).update(state=state)
                    feed.state = state
                    run.alive()
            if more and run.out_of_time():
                break
    finally:
        collection.close()
        start = (_("objects added after %s") % after) if after else _("the beginning")
        run.notes.insert(0, ngettext("%(pages)d page read, from %(start)s.",
                                     "%(pages)d pages read, from %(start)s.", pages)
                         % {"pages": pages, "start": start})


# --- MISP feeds ------------------------------------------------------------------------------

def _misp_session(feed: Feed) -> requests.Session:
    session = _prepared(requests.Session(), feed)
    if feed.token:
        session.headers["Authorization"] = feed.token.strip()
    elif feed.username and feed.password:
        session.auth = (feed.username, feed.password)
    return session


def _manifest_entry(key: Any, entry: Any) -> tuple[str, int] | None:
    """(event UUID, timestamp) of a manifest entry, or None if it is not one."""
    try:
        event_uuid = str(uuid.UUID(str(key)))
        return event_uuid, int(str(entry["timestamp"]))
    except (ValueError, TypeError, KeyError):
        return None


def _poll_misp(feed: Feed, run: _Run) -> None:
    base = feed.url.rstrip("/") + "/"
    with _misp_session(feed) as session:
        manifest_url = base + "manifest.json"
        manifest = _json(_download(session, manifest_url), manifest_url)
        if not isinstance(manifest, dict):
            raise FeedError(_("%(url)s is not a MISP feed manifest: expected an object keyed "
                              "by event UUID.") % {"url": shown(manifest_url)})
        known = feed.state.get("events")
        known = known if isinstance(known, dict) else {}
        wanted, failed = [], []
        for key, entry in manifest.items():
            found = _manifest_entry(key, entry)
            if found is None:
                failed.append(_("manifest entry “%s” has no event UUID and timestamp")
                              % str(key)[:80])
                run.error({"event": str(key)[:80], "message": failed[-1]})
            elif known.get(found[0]) != found[1]:
                wanted.append((found[1], found[0]))
        run.notes.append(_("%(changed)d of %(total)d events new or changed.") % {
            "changed": len(wanted), "total": len(manifest)})
        for stamp, event_uuid in sorted(wanted):
            url = f"{base}{event_uuid}.json"
            try:
                data = _download(session, url)
                _json(data, url)
            except Unreachable:
                raise
            except FeedError as error:  # this event only: the others are still read
                failed.append(str(error))
                run.error({"event": event_uuid, "message": str(error)})
                continue
            events = {**(feed.state.get("events") or {}), event_uuid: stamp}
            _store(feed, run, data, fmt="misp", filename=f"{event_uuid}.json",
                   where={"event": event_uuid}, state={**feed.state, "events": events})
            if run.out_of_time():
                break
        if failed:
            raise FeedError(ngettext(
                "%(count)d of %(total)d event could not be read; the first: %(first)s",
                "%(count)d of %(total)d events could not be read; the first: %(first)s",
                len(manifest)) % {"count": len(failed), "total": len(manifest),
                                  "first": failed[0]})


# --- polls -----------------------------------------------------------------------------------

def poll(feed: Feed, *, user: User | None = None, request: Any = None,
         budget: float | None = None) -> FeedPoll:
    """Poll ``feed`` once: store what is new, record the poll, schedule the next one.

    Never raises for the feed's, the server's or the network's faults (they are the
    poll's ``message`` and the feed's ``last_error``). ``user``: the admin who asked for
    it, for the audit log; the scheduler polls as nobody. With ``budget`` (seconds) it
    stops after the page or event that exhausts it, and the feed is due again at once.
    """
    with scheduler.writing():
        record = FeedPoll.objects.create(feed=feed, status=FeedPoll.Status.RUNNING)
    run = _Run(record, deadline=time.monotonic() + budget if budget else None)
    try:
        _markings(feed)
        if feed.kind == Feed.Kind.TAXII:
            _poll_taxii(feed, run)
        else:
            _poll_misp(feed, run)
    except (FeedError, crypto.SecretUnreadable) as error:
        run.failure = str(error)
    except (requests.RequestException, TAXIIServiceException) as error:
        run.failure = describe(error, feed.url)
    except Exception as error:  # a bug: recorded like a fault, so the scheduler goes on
        log.exception("poll of feed %s failed", feed)
        run.failure = _("Unexpected error (%(kind)s): %(error)s") % {
            "kind": type(error).__name__, "error": str(error)[:300]}
    return _finish(feed, run, user=user, request=request)


@scheduler.writing()
def _finish(feed: Feed, run: _Run, *, user: User | None, request: Any) -> FeedPoll:
    now = timezone.now()
    if run.failure:
        feed.failures += 1
        feed.last_error = run.failure[:2000]
        # interval × 2ⁿ after n failures in a row (this one counted), at most a day
        feed.next_poll_at = now + retry_delay(
            feed.failures, base=2 * timedelta(minutes=feed.interval_minutes))
    else:
        feed.failures, feed.last_error, feed.last_success = 0, "", now
        feed.next_poll_at = now + timedelta(minutes=feed.interval_minutes)
        if run.stopped:
            feed.next_poll_at = now
            run.notes.append(_("Stopped for time; the next poll continues."))
    Feed.objects.filter(pk=feed.pk).update(
        failures=feed.failures, last_error=feed.last_error, last_success=feed.last_success,
        next_poll_at=feed.next_poll_at)
    record = run.record
    record.finished = record.alive = now
    record.status = FeedPoll.Status.FAILED if run.failure else FeedPoll.Status.OK
    record.new, record.updated = run.new, run.updated
    record.unchanged, record.rejected = run.unchanged, run.rejected
    record.errors = run.errors
    record.message = "\n".join([run.failure, *run.notes] if run.failure else run.notes)
    record.save()
    audit.record("feed_poll", actor=user, target=feed, request=request, actor_name="feeds",
                 detail={"poll": record.pk, "status": record.status, "new": record.new,
                         "updated": record.updated, "unchanged": record.unchanged,
                         "rejected": record.rejected, "reason": run.failure})
    return record


def poll_due(now: datetime | None = None) -> list[FeedPoll]:
    """Poll every enabled feed whose next poll has come, each on its own: one failing
    never stops the others, and a slow one does not hold them back (they run at once,
    ``VAKA_SCHEDULER_THREADS`` at a time). A feed is claimed (its next poll moved on)
    before it is polled, so two schedulers never poll the same feed at once."""
    now = now or timezone.now()
    claimed = []
    due = Feed.objects.filter(enabled=True, next_poll_at__lte=now).order_by("next_poll_at")
    for pk, due_at, minutes in due.values_list("pk", "next_poll_at", "interval_minutes"):
        # Should this process die mid-poll, the next round marks the poll interrupted and
        # the feed due again (scheduler.fail_interrupted).
        if Feed.objects.filter(pk=pk, enabled=True, next_poll_at=due_at).update(
                next_poll_at=now + timedelta(minutes=minutes)):
            claimed.append(pk)
    return [done for done in scheduler.each(claimed, _poll_claimed) if done is not None]


def _poll_claimed(pk: int) -> FeedPoll | None:
    try:
        return poll(Feed.objects.select_related("organisation").get(pk=pk))
    except Exception:  # recording the poll itself failed (the database): go on
        log.exception("poll of feed %s could not be recorded", pk)
        return None


# --- subscriptions ---------------------------------------------------------------------------

SETTINGS = ("name", "kind", "url", "username", "password", "token", "verify_tls",
            "organisation", "interval_minutes", "enabled", *MARKING_COLUMNS)


@transaction.atomic
def save_feed(feed: Feed, *, user: User, markings: Markings,
              start_over: bool = False, request: Any = None) -> Feed:
    """Create or change a subscription (platform admins only) and the markings of what it
    brings in, checked for its owner organisation; it is polled at the next round. A new
    kind or URL, or ``start_over``, forgets where the last poll stopped."""
    if not user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins manage feeds."))
    created = feed.pk is None
    # Kept as the admin chose them (AMBER's organisations are resolved at each poll).
    clean_markings(feed.organisation, None, replace(markings))
    feed.set_marking_columns(markings)
    communities = markings.communities
    feed.next_poll_at = timezone.now()
    reset = False
    before = None if created else Feed.objects.values("kind", "url").get(pk=feed.pk)
    # Only a new address is checked: a saved one the allow-list no longer covers must not
    # stop an admin from disabling the feed (its polls are refused anyway).
    if before is None or feed.url != before["url"]:
        feed.url = outbound.check_url(feed.url)
    if before is None:
        feed.created_by = user
        feed.save()
    else:
        reset = start_over or before != {"kind": feed.kind, "url": feed.url}
        if reset:
            feed.state = {}
        # Only what the admin changes: a poll running meanwhile keeps its resume point.
        feed.save(update_fields=[*SETTINGS, "next_poll_at", *(["state"] if reset else [])])
    feed.set_marking_relations(markings)
    audit.record(audit.Action.CREATE if created else audit.Action.UPDATE, actor=user,
                 target=feed, request=request, detail={
                     "kind": feed.kind, "url": shown(feed.url), "enabled": feed.enabled,
                     "organisation": feed.organisation_id, "tlp": feed.tlp,
                     "distribution": feed.distribution, "pap": feed.pap,
                     "communities": sorted(c.name for c in communities),
                     "recipient_organisations": sorted(
                         o.pk for o in markings.recipient_organisations),
                     "recipients": sorted(u.pk for u in markings.recipients),
                     "interval_minutes": feed.interval_minutes,
                     "credentials": crypto.is_set(feed, "password") or crypto.is_set(
                         feed, "token"), "start_over": reset})
    return feed
