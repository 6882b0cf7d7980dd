"""``vaka serve``: gunicorn serving the app, its static files, and in-process jobs.

Static files are collected first when they are missing or older than their sources.
"""

import gc
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.faults import is_disk_full

# A worker's requests after which what it still holds is frozen (see freeze_what_lasts).
FREEZE_AFTER = frozenset({1, 10, 100, 1000})


def freeze_what_lasts(worker: Any, request: Any, environ: Any, response: Any) -> None:
    """gunicorn's post_request hook: after a worker's 1st, 10th, 100th and 1,000th request,
    move what it still holds into the garbage collector's permanent generation.

    Loading the warninglists froze what was loaded before the fork, but a worker then loads
    more for good on its first requests (modules imported lazily, translation catalogues,
    compiled templates and URL patterns: some 150,000 objects). Left in the oldest
    generation, each full collection walks them all: about 150 ms in the middle of a
    request, the lists' p99. A collection first, so only what lasts is frozen."""
    if worker.nr in FREEZE_AFTER:
        gc.collect()
        gc.freeze()


class Command(BaseCommand):
    help = "Serve Vaka with gunicorn (production-grade), static files included."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from vaka.intel.parsing.warninglists import default_warninglists
        from vaka.web.staticfiles import collect_if_stale

        # Before the app loads: WhiteNoise lists the collected files once, when it starts.
        try:
            collect_if_stale(self.stdout.write)
        except OSError as error:
            advice = ("Free some space on it, then start again." if is_disk_full(error) else
                      "Run `vaka collectstatic` as the user that owns it.")
            raise CommandError(
                f"Static files could not be collected into {settings.STATIC_ROOT}: "
                f"{error.strerror or error}. {advice}") from None

        from django.db import connections

        from vaka.policy import deferred
        from vaka.wsgi import application

        # Side writes a stopped server left spooled (the database was busy) go in first; the
        # connection is not carried into the workers.
        if written := deferred.flush_quietly():
            self.stdout.write(f"Wrote {written} side writes left in the spool.")
        connections.close_all()

        self.stdout.write("Loading the MISP warninglists…")
        default_warninglists()

        host = options["host"]
        bind = f"[{host}]:{options['port']}" if ":" in host else f"{host}:{options['port']}"
        config = {
            "bind": bind,
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
            # Export link keys may be in URLs: the access log redacts them (and tokens).
            "logger_class": "vaka.web.redaction.GunicornLogger",
            # Load the app (and the warninglists, ~4 s) once, before forking: workers share
            # that memory and answer their first lookup at full speed.
            "preload_app": True,
            "post_request": freeze_what_lasts,
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        scheduler = None
        if settings.SCHEDULER and not settings.CELERY_BROKER_URL:
            # Feed polls and instance syncs, in their own process beside the web server.
            scheduler = subprocess.Popen([sys.executable, "-m", "django", "scheduler"],
                                         env={**os.environ,
                                              "DJANGO_SETTINGS_MODULE": "vaka.settings"})
            self.stdout.write("Feeds and connected instances: `vaka scheduler` started.")
        self.stdout.write(f"Vaka is serving on http://{bind}/ (Ctrl+C stops it).")
        try:
            Server().run()
        finally:
            if scheduler is not None:
                scheduler.terminate()
                scheduler.wait(timeout=10)

