from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.policy.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = ("Restore an archive made by `vaka backup` into an empty VAKA_DATA_DIR (and an "
            "empty database): `vaka restore FILE`.")
    # Nothing may open (and so create) the database before it is checked to be empty.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="An archive written by `vaka backup`.")
        parser.add_argument(
            "--other-secret-key", action="store_true",
            help="Restore although this instance's secret key differs from the backed-up "
                 "one's (sessions end; encrypted credentials need their old key).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore_backup(Path(options["file"]),
                                      other_secret_key=options["other_secret_key"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        last = manifest["audit"]
        self.stdout.write(f"Restored the backup of {manifest['created']} (Vaka "
                          f"{manifest['vaka_version']}, {len(manifest['members'])} members).")
        if last["last_hash"] is not None:
            self.stdout.write(f"Audit chain intact up to entry #{last['last_seq']}, last hash "
                              f"{last['last_hash']}.")
        self.stdout.write("Run `vaka migrate` if this Vaka is newer than the backup's.")
