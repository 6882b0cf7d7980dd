from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.policy import deferred
from vaka.policy.backup import BackupError, create_backup


class Command(BaseCommand):
    help = ("Write one compressed archive of the database and the stored files, with a "
            "manifest of SHA-256 sums and the audit chain's last hash: `vaka backup FILE`. "
            "Keys are never in it: keep VAKA_SECRET_KEY and VAKA_ENCRYPTION_KEY apart.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the archive (.tar.gz), mode 0600.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Entries spooled while the database was busy go in first, so the backup holds them.
        deferred.flush_quietly()
        try:
            manifest = create_backup(Path(options["file"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = sum(1 for name in manifest["members"] if name.startswith("files/"))
        self.stdout.write(f"Backup written to {options['file']}: {manifest['database']['vendor']} "
                          f"database and {files} stored files.")
        last = manifest["audit"]
        if last["last_hash"] is None:
            self.stdout.write("The audit log is empty.")
        else:
            self.stdout.write(f"Audit chain at entry #{last['last_seq']}, last hash "
                              f"{last['last_hash']}: record it (`vaka audit verify --expect "
                              "HASH` checks it later).")
