"""Background jobs. Without VAKA_BROKER_URL they run in-process (eagerly), as on a laptop;
with it, ``vaka worker`` runs them and ``vaka beat`` starts the scheduler's round every
minute (``CELERY_BEAT_SCHEDULE``). Tasks are thin wrappers over services and take ids,
never model instances, so a worker reads the rows as they are when it runs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
app = Celery("vaka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

