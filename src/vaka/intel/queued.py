"""Large submissions stored by a Celery worker, so that the web request answers at once.

With a broker (``VAKA_BROKER_URL``), an upload, paste or API call larger than
``VAKA_BACKGROUND_INGEST_MB`` is not stored in the request: its bytes wait in the default
storage, its options and markings (as ids) on a submission row marked ``queued`` and
already carrying the markings it was sent with, so only its audience sees it. The worker
gets the row's id, claims it (queued → running: a task delivered twice stores it once)
and fills that same row with the outcome — stored, stored in part, rejected — or
``failed`` with the reason when something other than the input went wrong. A queue that
cannot be reached marks the row failed at once ("Background queue unreachable"): nothing
waits unseen. Its status page (``views_progress``) follows it.

Without a broker nothing here is used: submissions are stored in the request, as on a
laptop.
"""

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Community, Organisation, User
from vaka.intel import services
from vaka.intel.ingest import MARK_COLUMNS, MarkingResolver
from vaka.intel.models import Submission
from vaka.intel.originals import Original, save_whole
from vaka.policy.services import Markings

log = logging.getLogger(__name__)

QUEUED = "queued"  # the storage folder where queued inputs wait for the worker


def in_background(size: int) -> bool:
    """Whether an input of ``size`` bytes goes to the worker: only with a broker."""
    return bool(settings.CELERY_BROKER_URL) and size > settings.BACKGROUND_INGEST_MB * 2**20


def _markings_job(m: Markings) -> dict[str, Any]:
    return {"distribution": m.distribution, "tlp": m.tlp, "pap": m.pap,
            "handling": list(m.handling), "handling_note": m.handling_note,
            "grading_scheme": m.grading_scheme, "grading_source": m.grading_source,
            "grading_information": m.grading_information,
            "grading_handling": m.grading_handling,
            "communities": [c.pk for c in m.communities],
            "recipient_organisations": [o.pk for o in m.recipient_organisations],
            "recipients": [u.pk for u in m.recipients]}


def _markings_of(job: dict[str, Any]) -> Markings:
    ids = {name: job.pop(name) for name in
           ("communities", "recipient_organisations", "recipients")}
    return Markings(**job,
                    communities=list(Community.objects.filter(pk__in=ids["communities"])),
                    recipient_organisations=list(Organisation.objects.filter(
                        pk__in=ids["recipient_organisations"])),
                    recipients=list(User.objects.filter(pk__in=ids["recipients"])))


def _save(data: bytes) -> str:
    return save_whole(default_storage, f"{QUEUED}/{secrets.token_hex(16)}.bin", data)


def queue_ingest(
    data: bytes, *, organisation: Organisation, user: User, markings: Markings, source: str,
    fmt: str | None = None, filename: str = "", partial: bool = False,
    labels: list[str] | None = None, name: str = "", original: Original | None = None,
) -> Submission:
    """Queue ``data`` for the worker, as ``services.ingest_bytes`` would store it; the
    queued (or, when the queue is unreachable, failed) submission.

    Raises ``ValidationError`` at once for an unknown format or markings that break a
    rule, as storing it in the request would: the form shows it, nothing is queued."""
    fmt = fmt or services.guess_format(data[:65536], filename)
    if fmt not in services.FORMATS:
        raise ValidationError({"format": _("Unknown format “%s”.") % fmt})
    tlp_markings, audience = MarkingResolver(organisation, user, markings).for_tlp(
        markings.tlp)
    submission = Submission(
        organisation=organisation, user=user, source=source, format=fmt,
        filename=filename[:255], name=name[:255], status=Submission.Status.QUEUED,
        sha256=(original or Original(data)).sha256,
        markings={"distribution": markings.distribution, "tlp": markings.tlp,
                  "communities": [c.name for c in markings.communities]},
        pasted_lines=original.lines if original is not None
        and source == Submission.Source.PASTE else None)
    for column in MARK_COLUMNS:
        setattr(submission, column, getattr(tlp_markings, column))
    submission.audience = audience
    path = _save(data)
    kept = None
    try:
        if original is not None:
            kept = path if original.data == data else _save(original.data)
        submission.job = {"data": path, "original": kept,
                          "original_name": original.filename if original is not None else "",
                          "partial": partial, "labels": list(labels or []),
                          "markings": _markings_job(markings)}
        submission.save()
    except BaseException:  # a full disk: no waiting bytes without their submission
        _discard({"data": path, "original": kept})
        raise
    enqueue(submission)
    return submission


def enqueue(submission: Submission) -> None:
    """Hand the submission to the worker; if the broker cannot be reached it is marked
    failed with that reason (the caller shows it), never left queued with nobody to run it.
    """
    from vaka.intel import tasks

    try:
        tasks.ingest_submission.delay(submission.pk)
    except Exception as error:
        log.warning("submission %s could not be queued: %s", submission.pk, error)
        fail(submission, _("Background queue unreachable: nothing was stored. Send it again "
                           "later, or ask an administrator to start the queue (Redis)."))


def fail(submission: Submission, reason: str) -> None:
    """Mark a queued or running submission failed with ``reason``; its waiting bytes go."""
    _discard(submission.job)
    submission.status = Submission.Status.FAILED
    submission.errors = [{"message": reason}]
    submission.job = None
    Submission.objects.filter(pk=submission.pk).update(
        status=submission.status, errors=submission.errors, job=None)


def _discard(job: dict[str, Any] | None) -> None:
    for key in ("data", "original"):
        if job and job.get(key):
            default_storage.delete(job[key])


def run(submission_id: int) -> Submission | None:
    """Store a queued submission (the worker's task). None when it is not queued any
    more: another delivery of the task claimed it, or it failed or was erased."""
    claimed = Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED
                                        ).update(status=Submission.Status.RUNNING)
    if not claimed:
        return None
    submission = Submission.objects.select_related("organisation", "user").get(
        pk=submission_id)
    job = dict(submission.job or {})
    # When it started, for ``fail_stalled`` to tell a worker that died from a slow one.
    Submission.objects.filter(pk=submission_id).update(
        job={**job, "started": timezone.now().isoformat()})
    try:
        with default_storage.open(job["data"], "rb") as handle:
            data = handle.read()
        original = None
        if job.get("original"):
            if job["original"] == job["data"]:
                original = Original(data, job["original_name"])
            else:
                with default_storage.open(job["original"], "rb") as handle:
                    original = Original(handle.read(), job["original_name"])
        done = services.ingest_bytes(
            data, organisation=submission.organisation, user=submission.user,
            markings=_markings_of(dict(job["markings"])), source=submission.source,
            fmt=submission.format, filename=submission.filename, partial=job["partial"],
            labels=job["labels"], name=submission.name, original=original,
            queued=submission)
    except Exception as error:  # not the input's fault: the worker, storage or database
        log.exception("queued submission %s failed", submission_id)
        fail(submission, _("The worker could not store it (%(kind)s: %(error)s); nothing "
                           "was stored: send it again.") % {
            "kind": type(error).__name__, "error": str(error)[:300]})
        return submission
    _discard(job)
    return done


STALLED_AFTER = timedelta(hours=2)  # far beyond the largest upload's store (minutes)


def fail_stalled(now: datetime | None = None) -> int:
    """Submissions a worker claimed and never finished (it was killed, or its machine
    went down): marked failed, so their page stops waiting. Nothing of them was stored —
    a submission is one transaction — so they can simply be sent again. How many."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    failed = 0
    for submission in Submission.objects.filter(status=Submission.Status.RUNNING):
        started = (submission.job or {}).get("started")
        if started and datetime.fromisoformat(started) < cutoff:
            fail(submission, _("The worker stopped before it was stored; nothing was "
                               "stored: send it again."))
            failed += 1
    return failed
