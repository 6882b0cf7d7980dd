import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.extract import extract, text_of


class Command(BaseCommand):
    help = ("Print the indicators found in a free-text file (.txt, .md, .html, .pdf) as JSON "
            "lines {\"type\": …, \"value\": …}, refanged and canonical. With --uncertain, "
            "also the values that may be wrong, with \"certain\": false and a \"reason\".")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--uncertain", action="store_true",
                            help="also print uncertain values (a version number or OID in "
                                 "context, a value cut by a line break), flagged")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            text = text_of(path.read_bytes(), path.name)
        except InputError as error:
            raise CommandError(str(error)) from error
        for indicator in extract(text, uncertain=options["uncertain"]):
            line: dict[str, Any] = {"type": indicator.kind, "value": indicator.value}
            if not indicator.certain:
                line.update(certain=False, reason=indicator.reason)
            self.stdout.write(json.dumps(line, ensure_ascii=False))
