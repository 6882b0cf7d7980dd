import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.directory.models import Community, Organisation
from vaka.intel import services
from vaka.intel.models import Submission
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings


class Command(BaseCommand):
    help = ("Ingest STIX 2.x bundles, MISP JSON, CSV or free-text files. Prints one JSON "
            "summary line per file; exits 1 if anything was rejected (unless --partial).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--org", required=True, metavar="ORG_NAME",
                            help="The owner organisation (name or short name).")
        parser.add_argument("--tlp", choices=TLP.values, default=TLP.AMBER)
        parser.add_argument("--distribution", choices=Distribution.values,
                            default=Distribution.ORGANISATION)
        parser.add_argument("--community", action="append", default=[], metavar="NAME",
                            help="A community (for --distribution communities); repeatable.")
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
        communities = []
        for name in options["community"]:
            community = Community.objects.filter(name=name).first()
            if community is None:
                raise CommandError(f"No community named '{name}'.")
            communities.append(community)
        markings = Markings(distribution=options["distribution"], tlp=options["tlp"],
                            communities=communities)
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
