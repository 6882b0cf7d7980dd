from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.policy import audit


class Command(BaseCommand):
    help = "Audit log tools: `vaka audit verify` checks the whole hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every entry's hash and link.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at entry #{result.broken_seq}: {result.reason} "
                f"({result.checked} entries before it are intact).")
        self.stdout.write(self.style.SUCCESS(
            f"Audit chain intact: {result.checked} entries; last hash {result.last_hash}"))
