"""Background entry points of the exchange, for Celery workers and beat."""

from vaka.celery import app
from vaka.exchange import feeds, scheduler


@app.task(name="vaka.exchange.tasks.poll_due_feeds")
def poll_due_feeds() -> list[dict[str, object]]:
    """Poll every due feed (each one claimed first, so workers never poll one twice)."""
    return [{"feed": p.feed.name, "poll": p.pk, "status": p.status}
            for p in feeds.poll_due()]


@app.task(name="vaka.exchange.tasks.run_due")
def run_due() -> dict[str, object]:
    """One round of the exchange's timetable, due feeds and due connected instances: what
    Celery beat runs every minute (``CELERY_BEAT_SCHEDULE``)."""
    return scheduler.run_due()
