""""Poll now" and "sync now" with a broker: queue the run for a worker and read back how it
is going, so the feed's or peer's page answers at once and follows the job.

The outcome is read from the broker's result store (``CELERY_RESULT_BACKEND``): queued
until a worker takes it, running, then done with the run's counts — or failed with why.
A broker that cannot be reached fails the enqueue at once (``Unreachable``): the page says
so, and nothing is queued in secret.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _


class Unreachable(Exception):
    """The broker could not be reached: the job was not queued."""


@dataclass(frozen=True)
class Job:
    """How a queued run is going: ``state`` is queued, running, done or failed."""

    id: str
    state: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def queue_poll(feed_id: int, user_id: int | None) -> str:
    """Queue one poll of the feed for a worker; the job's id."""
    from vaka.exchange import tasks

    return _queue(tasks.poll_feed, feed_id, user_id)


def queue_sync(peer_id: int) -> str:
    """Queue one sync with the peer for a worker; the job's id."""
    from vaka.exchange import tasks

    return _queue(tasks.sync_peer, peer_id)


def _queue(task: Any, *args: Any) -> str:
    try:
        return task.delay(*args).id
    except Exception as error:  # the broker, or its result store, is down
        raise Unreachable(_("Background queue unreachable: nothing was queued. Try again "
                            "later, or ask an administrator to start the queue (Redis).")
                          ) from error


def parse_id(text: str) -> str | None:
    """A job id from a query string, or None: only a UUID is ever looked up, and only
    where there is a broker (without one, "poll now" and "sync now" queue nothing)."""
    if not settings.CELERY_BROKER_URL:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def job(job_id: str, *, key: str, pk: int) -> Job:
    """How job ``job_id`` of the feed or peer ``pk`` is going (``key``: "feed" or "peer").
    A finished job of another feed or peer reads as unknown (queued), never its outcome."""
    from celery.result import AsyncResult

    from vaka.celery import app

    found = AsyncResult(job_id, app=app)
    state = found.state
    if state == "SUCCESS":
        result = found.result if isinstance(found.result, dict) else {}
        if result.get(key) != pk:
            return Job(job_id, "queued")
        return Job(job_id, "done", result)
    if state == "FAILURE":
        return Job(job_id, "failed", error=f"{type(found.result).__name__}: {found.result}")
    return Job(job_id, "running" if state in ("STARTED", "RETRY") else "queued")
