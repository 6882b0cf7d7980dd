from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.policy import audit, deferred


class Command(BaseCommand):
    help = ("Audit log tools: `vaka audit verify [--expect HASH]` checks the whole hash chain "
            "and, with --expect, that it still holds a hash recorded earlier.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check every entry's hash and link.")
        verify.add_argument(
            "--expect", metavar="HASH",
            help="A last hash recorded earlier (with a backup, or printed daily): fail unless "
                 "the chain still holds it.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Entries spooled while the database was busy join the chain first, so they are checked.
        deferred.flush()
        if deferred.pending():
            self.stderr.write("Some audit entries are still waiting in the spool (the database "
                              f"is busy): {deferred.spool_path()}. They are not checked yet.")
        result = audit.verify(expect=options.get("expect"))
        if not result.ok:
            raise CommandError(result.message())
        self.stdout.write(self.style.SUCCESS(result.message()))
