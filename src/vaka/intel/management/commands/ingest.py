import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.directory.models import Organisation
from vaka.intel import services
from vaka.intel.models import Submission
from vaka.policy import inputs


class Command(BaseCommand):
    help = ("Ingest STIX 2.x bundles, MISP JSON, CSV or free-text files. Prints one JSON "
            "summary line per file; exits 1 if anything was rejected (unless --partial).")

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
        failed = False
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
            try:
                submission = services.ingest_path(
                    path, organisation=org, user=None, markings=markings,
                    source=Submission.Source.CLI, fmt=options["format"],
                    partial=options["partial"])
            except ValidationError as error:
                raise CommandError(f"{path}: " + "; ".join(error.messages)) from error
            self.stdout.write(json.dumps({"file": str(path), **submission.summary()},
                                         ensure_ascii=False))
            failed |= submission.rejected > 0 and not options["partial"]
        if failed:
            raise SystemExit(1)
