"""``vaka training_statistics [--check]``: rebuild (or check) the rows the training
statistics count (``training.trained``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.training import trained


class Command(BaseCommand):
    help = ("Rebuild the rows the training statistics count (one per trained enrolment, "
            "copied from the enrolment, its session, course and person) from what they "
            "copy; with --check, only say how many differ. Every save keeps them in step: "
            "this is for a database changed behind Vaka's back (a restored table, an SQL "
            "fix).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true",
                            help="Change nothing; exit 1 if any row differs.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            if differing := trained.differences():
                raise CommandError(f"{differing} training statistics rows differ from what "
                                   "they copy: run `vaka training_statistics` to rebuild them.")
            self.stdout.write("The training statistics rows are in step.")
            return
        self.stdout.write(f"{trained.rebuild()} training statistics rows rebuilt.")
