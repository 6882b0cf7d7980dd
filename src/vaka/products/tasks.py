"""Background entry points of the products: thin wrappers over ``products.dissemination``."""

from vaka.celery import app
from vaka.products import dissemination


@app.task(name="vaka.products.tasks.send_mail_due", ignore_result=True)
def send_mail_due() -> dict[str, int]:
    """Send the products' e-mail notices that are due; each is claimed before it goes."""
    return dissemination.send_mail_due()
