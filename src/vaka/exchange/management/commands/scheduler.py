"""``vaka scheduler``: poll due feeds and sync due peers, every minute (or once)."""

import contextlib
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vaka.exchange import scheduler


class Command(BaseCommand):
    help = "Poll the feeds and sync the connected instances that are due, every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=60, help="seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(json.dumps(scheduler.run_due()))
            return
        self.stdout.write(f"Scheduler: a round every {options['interval']:g} s (Ctrl+C stops).")
        with contextlib.suppress(KeyboardInterrupt):
            scheduler.run_forever(options["interval"])
