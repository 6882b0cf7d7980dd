"""The exchange's timetable: poll the feeds and sync the connected instances that are due
(and, being the one in-process timetable, send the inbox's and the products' e-mail that
is due, chase overdue acknowledgements of alerts, escalate overdue requests for
information and send learners' xAPI statements to the learning record store).

``run_due`` does one round; ``vaka scheduler`` runs rounds forever (``vaka serve`` starts
it beside the web server when there is no Celery broker; with one, Celery beat calls the
``run_due`` task instead). Each feed and peer is claimed before it is worked on, so two
schedulers never do the same one, and one failure never stops the round.

Due feeds (and due peers) are worked on at once, ``VAKA_SCHEDULER_THREADS`` at a time
(``each``): a poll mostly waits on the network, so one slow feed no longer holds back the
others. On SQLite their writes take turns (``writing``): the database has one writer, and
a turn waited for in the process is better than a "database is locked" once SQLite's busy
timeout runs out behind a long store.

Each poll and sync is recorded as running when it starts and shows a sign of life after
each page or event. A run silent for far longer than one page can take was left by a
process that died (killed, out of memory, the machine down): each round marks it failed,
interrupted, and makes its feed or peer due again (``fail_interrupted``).
"""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Between two signs of life a run reads one answer (at most VAKA_OUTBOUND_TIMEOUT_SECONDS,
# with redirects a few times that) and stores it (minutes at most): silent this much longer
# than two answers' limit, its process is gone.
SILENCE = timedelta(minutes=30)


def each(items: Iterable[Item], work: Callable[[Item], Result]) -> list[Result]:
    """``work(item)`` for every item, ``VAKA_SCHEDULER_THREADS`` at a time, the results in
    the items' order. Inside a transaction they run one by one in it: another thread's
    connection would not see what the transaction holds."""
    from django.conf import settings
    from django.db import connection, connections

    items = list(items)
    threads = min(settings.SCHEDULER_THREADS, len(items))
    if threads <= 1 or connection.in_atomic_block:
        return [work(item) for item in items]

    def in_thread(item: Item) -> Result:
        try:
            return work(item)
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(threads, thread_name_prefix="vaka-exchange") as pool:
        return list(pool.map(in_thread, items))


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Hold the process's write turn on SQLite (see the module docstring), the one its
    ingests take among threads (``intel.ingest_turn``); elsewhere, writes run side by side."""
    from vaka.intel.ingest_turn import thread_turn

    with thread_turn():
        yield


def silent_since(now: datetime) -> datetime:
    """Runs with no sign of life since this moment are taken as interrupted."""
    from django.conf import settings

    return now - SILENCE - timedelta(seconds=2 * settings.OUTBOUND_TIMEOUT_SECONDS)


def fail_interrupted(now: datetime | None = None) -> int:
    """Feed polls and sync runs a dead process left running: marked failed, saying they
    were interrupted, and their feed or peer made due again (the retry resumes after what
    was stored: each page is stored whole, with its resume point, or not at all). How many."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from vaka.exchange.models import Feed, FeedPoll, Peer, RunStatus, SyncRun

    now = now or timezone.now()
    cutoff = silent_since(now)
    failed = 0
    for model, owner, owners in ((FeedPoll, "feed", Feed), (SyncRun, "peer", Peer)):
        for run in model.objects.filter(status=RunStatus.RUNNING, alive__lt=cutoff):
            message = _("Interrupted: the process running it stopped (last sign of life "
                        "%(alive)s). What it stored stays stored; the next attempt goes on "
                        "from there.") % {"alive": f"{run.alive:%Y-%m-%d %H:%M:%S} UTC"}
            done = model.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, finished=now,
                message="\n".join(filter(None, [message, run.message])))
            if not done:
                continue  # it finished meanwhile
            failed += 1
            owner_id = getattr(run, f"{owner}_id")
            if not model.objects.filter(**{f"{owner}_id": owner_id},
                                        status=RunStatus.RUNNING).exists():
                due = "next_poll_at" if owners is Feed else "next_sync_at"
                owners.objects.filter(pk=owner_id, **{f"{due}__gt": now}).update(
                    **{due: now, "last_error": message})
    return failed


def run_due() -> dict[str, Any]:
    """Poll every due feed and sync every due peer, once; a summary of what ran."""
    from vaka.exchange import feeds, sync

    summary: dict[str, Any] = {}
    try:
        if interrupted := fail_interrupted():
            summary["interrupted"] = interrupted
    except Exception:  # as below: never stops the round
        log.exception("scheduler: marking interrupted runs failed")
    for name, job in (("feeds", feeds.poll_due), ("peers", sync.sync_due)):
        try:
            done = job()
        except Exception:  # a bug must not stop the other job, nor the next round
            log.exception("scheduler: %s failed", name)
            summary[name] = "error"
        else:
            summary[name] = [{"name": str(getattr(d, "feed", None) or getattr(d, "peer", "")),
                              "status": d.status} for d in done]
    try:
        from vaka.inbox import mail

        sent = mail.send_due()
    except Exception:  # as above: the inbox's mail must not stop the exchange's round
        log.exception("scheduler: inbox mail failed")
        summary["mail"] = "error"
    else:
        if any(sent.values()):
            summary["mail"] = sent
    try:
        from vaka.products import figures

        refreshed = figures.refresh_if_due()
    except Exception:  # as above: the dashboard's figures must not stop the round
        log.exception("scheduler: analytics figures failed")
        summary["figures"] = "error"
    else:
        if refreshed is not None:
            summary["figures"] = {"objects": refreshed.counted, "seconds": refreshed.seconds}
    try:
        from vaka.products import dissemination

        products = {**dissemination.chase_overdue(), **dissemination.send_mail_due()}
    except Exception:  # as above
        log.exception("scheduler: products' reminders and mail failed")
        summary["products"] = "error"
    else:
        if any(products.values()):
            summary["products"] = products
    try:
        from vaka.messaging import rfis

        overdue = rfis.mark_overdue()
    except Exception:  # as above
        log.exception("scheduler: overdue requests for information failed")
        summary["rfis"] = "error"
    else:
        if any(overdue.values()):
            summary["rfis"] = overdue
    try:
        from vaka.training import xapi

        statements = xapi.send_due()
    except Exception:  # as above
        log.exception("scheduler: xAPI statements failed")
        summary["xapi"] = "error"
    else:
        if any(statements.values()):
            summary["xapi"] = statements
    from vaka.policy import deferred

    # Side writes spooled while the database was busy, should no request come to write them.
    if written := deferred.flush_quietly():
        summary["deferred_writes"] = written
    return summary


def run_forever(interval: float = 60, stop: threading.Event | None = None) -> None:
    """Rounds every ``interval`` seconds until ``stop`` is set."""
    from django.db import close_old_connections

    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        summary = run_due()
        if any(summary.values()):
            log.info("scheduler: %s", summary)
        stop.wait(interval)
