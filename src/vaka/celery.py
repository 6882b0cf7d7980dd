"""Background jobs. Without VAKA_BROKER_URL they run in-process (eagerly)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
app = Celery("vaka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
