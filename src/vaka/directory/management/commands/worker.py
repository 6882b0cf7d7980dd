"""``vaka worker``: the Celery worker that runs Vaka's background jobs (VAKA_BROKER_URL)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def require_broker(what: str) -> None:
    """Without a broker jobs run in-process: a worker or beat would have nothing to do."""
    if not settings.CELERY_BROKER_URL:
        raise CommandError(f"VAKA_BROKER_URL is not set: without a broker, background jobs "
                           f"run in-process (`vaka serve`) and no {what} is needed.")


class Command(BaseCommand):
    help = ("Run background jobs from the broker (VAKA_BROKER_URL): large submissions, "
            "feed polls, syncs and e-mail.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=settings.SERVE_WORKERS,
                            help="worker processes (default: VAKA_WORKERS)")
        parser.add_argument("--pool", default="prefork",
                            choices=["prefork", "solo", "threads"])
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        require_broker("worker")
        from django.db import connections

        from vaka.celery import app
        from vaka.policy import deferred

        # Side writes spooled while the database was busy (beat's round writes the later
        # ones); the connection is not carried into the pool's processes.
        deferred.flush_quietly()
        connections.close_all()

        app.worker_main(["worker", f"--concurrency={options['concurrency']}",
                         f"--pool={options['pool']}", f"--loglevel={options['loglevel']}",
                         "--without-gossip", "--without-mingle"])
