"""Background entry points of the inbox: thin wrappers over ``vaka.inbox.mail``."""

from vaka.celery import app
from vaka.inbox import mail


@app.task(name="vaka.inbox.tasks.send_immediate", ignore_result=True)
def send_immediate(owner_ids: list[int]) -> int:
    """Mail the people of these organisations who chose immediate mail (see ``mail``).
    Each user is claimed before their mail goes, so a second delivery mails nobody twice."""
    return mail.send_immediate(owner_ids)
