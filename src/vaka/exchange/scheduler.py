"""The exchange's timetable: poll the feeds and sync the connected instances that are due
(and, being the one in-process timetable, send the inbox's e-mail that is due).

``run_due`` does one round; ``vaka scheduler`` runs rounds forever (``vaka serve`` starts
it beside the web server when there is no Celery broker; with one, Celery beat calls the
``run_due`` task instead). Each feed and peer is claimed before it is worked on, so two
schedulers never do the same one, and one failure never stops the round.
"""

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


def run_due() -> dict[str, Any]:
    """Poll every due feed and sync every due peer, once; a summary of what ran."""
    from vaka.exchange import feeds, sync

    summary: dict[str, Any] = {}
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
