import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from vaka import faults
from vaka.directory.models import Organisation
from vaka.intel import blank, services
from vaka.intel.ingest_turn import ingest_turn
from vaka.intel.models import Submission
from vaka.policy import inputs


def failure(error: BaseException) -> str:
    """What went wrong, in a few words for an operator (the traceback is for --traceback)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if faults.is_disk_full(error):
        return "the disk is full"
    if faults.is_database_unavailable(error):
        return "the database is unavailable"
    if isinstance(error, DatabaseError):
        if "locked" in text or "busy" in text:
            return "the database stayed busy with another write; try again"
        return f"database error ({text})"
    if isinstance(error, OSError):
        return f"cannot read it: {error.strerror or text}"
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"{type(error).__name__}: {text}"


class Command(BaseCommand):
    help = ("Ingest STIX 2.x bundles, MISP JSON, CSV or free-text files. Prints one JSON "
            "summary line per file; exits 1 if anything was rejected (unless --partial). "
            "On SQLite, ingests take turns: a second one waits for the first to finish. "
            "A failure is one line on stderr (exit 1); --traceback shows its traceback.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--org", required=True, metavar="ORG_NAME",
                            help="The owner organisation (name or short name).")
        inputs.add_options(parser)
        parser.add_argument("--partial", action="store_true",
                            help="Keep the valid objects when some are rejected.")
        parser.add_argument("--format", choices=services.FORMATS, default=None,
                            help="Guessed from each file when omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            failed = self.ingest(options)
        except (CommandError, SystemExit):
            raise
        except (Exception, KeyboardInterrupt) as error:
            if options["traceback"] or options["verbosity"] >= 3:
                raise
            raise CommandError(failure(error)) from error
        if failed:
            raise SystemExit(1)

    def ingest(self, options: dict[str, Any]) -> bool:
        """Ingest each file; True if any rejected something (and --partial was not given)."""
        org = (Organisation.objects.filter(name=options["org"], origin__isnull=True).first()
               or Organisation.objects.filter(short_name=options["org"],
                                               origin__isnull=True).first())
        if org is None:
            raise CommandError(f"No organisation named '{options['org']}'.")
        try:
            # Checked once here, so a wrong option stops before any file; ingest checks
            # each object's (possibly narrower) markings again.
            inputs.parse_markings(inputs.options_data(options), owner=org, creator=None)
        except ValidationError as error:
            raise CommandError("; ".join(
                f"{inputs.BY_NAME[name].option}: {' '.join(messages)}"
                if name in inputs.BY_NAME else " ".join(messages)
                for name, messages in error.message_dict.items())) from error
        markings = inputs.markings_from(inputs.options_data(options), owner=org)
        for path in options["files"]:  # all checked before any is stored
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
            if blank.is_blank_file(path):
                raise CommandError(blank.empty_file(str(path)))
        failed = False
        for path in options["files"]:
            try:
                with ingest_turn(on_wait=lambda: self.stderr.write(
                        "waiting for another ingest to finish…")):
                    submission = services.ingest_path(
                        path, organisation=org, user=None, markings=markings,
                        source=Submission.Source.CLI, fmt=options["format"],
                        partial=options["partial"])
            except ValidationError as error:
                raise CommandError(f"{path}: " + "; ".join(error.messages)) from error
            except (Exception, KeyboardInterrupt) as error:
                if options["traceback"] or options["verbosity"] >= 3:
                    raise
                # The submission is written in one transaction: a failure leaves none of it.
                raise CommandError(f"{path}: {failure(error)}; nothing of it was stored"
                                   ) from error
            self.stdout.write(json.dumps({"file": str(path), **submission.summary()},
                                         ensure_ascii=False))
            failed |= submission.rejected > 0 and not options["partial"]
        return failed
