"""Background entry points of the exchange, for Celery workers and beat: thin wrappers over
``feeds``, ``sync`` and ``scheduler`` that take ids.

"Poll now" and "sync now" keep their result (the run's id and counts) in the broker's
result store, so the feed's or peer's page can show the queued job until it is done; the
scheduler's round keeps none.
"""

from typing import Any

from vaka.celery import app
from vaka.exchange import feeds, scheduler, sync


@app.task(name="vaka.exchange.tasks.poll_due_feeds", ignore_result=True)
def poll_due_feeds() -> list[dict[str, object]]:
    """Poll every due feed (each one claimed first, so workers never poll one twice)."""
    return [{"feed": p.feed.name, "poll": p.pk, "status": p.status}
            for p in feeds.poll_due()]


@app.task(name="vaka.exchange.tasks.run_due", ignore_result=True)
def run_due() -> dict[str, object]:
    """One round of the exchange's timetable, due feeds and due connected instances: what
    Celery beat runs every minute (``CELERY_BEAT_SCHEDULE``). With a broker, submissions a
    dead worker left "being stored" are failed too, so their page stops waiting."""
    from vaka.intel import queued

    summary = scheduler.run_due()
    if stalled := queued.fail_stalled():
        summary["stalled_submissions"] = stalled
    return summary


@app.task(name="vaka.exchange.tasks.poll_feed")
def poll_feed(feed_id: int, user_id: int | None = None) -> dict[str, Any]:
    """An admin's "poll now": one poll of the feed, recorded like any other. A second
    delivery polls again, which stores nothing twice (a poll reads only what is new)."""
    from vaka.directory.models import User
    from vaka.exchange.models import Feed

    feed = Feed.objects.select_related("organisation").get(pk=feed_id)
    done = feeds.poll(feed, user=User.objects.filter(pk=user_id).first())
    return {"feed": feed_id, "poll": done.pk, "status": done.status, "new": done.new,
            "updated": done.updated, "rejected": done.rejected,
            "message": (done.message.splitlines() or [""])[0]}


@app.task(name="vaka.exchange.tasks.sync_peer")
def sync_peer(peer_id: int) -> dict[str, Any]:
    """An admin's "sync now": one sync with the peer, recorded like any other; its cursors
    move with what was stored, so a second delivery sends and takes nothing twice."""
    from vaka.exchange.models import Peer

    run = sync.sync(Peer.objects.get(pk=peer_id))
    return {"peer": peer_id, "run": run.pk, "status": run.status, "pulled": run.pulled,
            "pushed": run.pushed, "rejected": run.rejected,
            "message": (run.message.splitlines() or [""])[0]}
