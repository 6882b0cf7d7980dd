"""``vaka beat``: Celery beat, starting the scheduler's round every minute on the broker.

Run exactly one beat per instance (two would queue every round twice; the rounds' claims
keep that harmless, but it is wasted work). Its schedule state is kept in VAKA_DATA_DIR.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from vaka.directory.management.commands.worker import require_broker


class Command(BaseCommand):
    help = ("Queue the exchange's round (feed polls, syncs, e-mail due) every minute for "
            "the workers (VAKA_BROKER_URL).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        require_broker("beat")
        from vaka.celery import app

        app.start(["beat", f"--schedule={settings.DATA_DIR / 'celerybeat-schedule'}",
                   f"--loglevel={options['loglevel']}"])
