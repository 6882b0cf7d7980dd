"""Background entry points of the intelligence store: thin wrappers over ``intel.queued``."""

from vaka.celery import app
from vaka.intel import queued


@app.task(name="vaka.intel.tasks.ingest_submission", ignore_result=True)
def ingest_submission(submission_id: int) -> dict[str, object] | None:
    """Store a queued submission (claimed first: a second delivery does nothing)."""
    done = queued.run(submission_id)
    return None if done is None else {"submission": done.pk, "status": done.status}
