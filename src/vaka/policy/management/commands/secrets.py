from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.policy import crypto


def _key_name(number: int) -> str:
    return "the current key" if number == 0 else f"previous key {number}"


class Command(BaseCommand):
    help = ("Secrets at rest: `vaka secrets check` counts the stored values each key "
            "decrypts; `vaka secrets rotate` re-encrypts them all under the current key; "
            "`vaka secrets new-key` prints a fresh key for VAKA_ENCRYPTION_KEY; "
            "`vaka secrets current-key` prints the key in use (also one derived from "
            "VAKA_SECRET_KEY), to keep in VAKA_ENCRYPTION_KEYS_PREVIOUS across a change.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="Count the stored values each key decrypts (reads only).")
        sub.add_parser("rotate", help="Re-encrypt every stored secret under the current key.")
        sub.add_parser("new-key", help="Print a new random key for VAKA_ENCRYPTION_KEY.")
        sub.add_parser("current-key", help="Print the key in use, derived or configured.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new-key":
            self.stdout.write(crypto.new_key())
            return
        if options["action"] == "current-key":
            self.stdout.write(crypto.keys()[0].decode())
            return
        reports = crypto.rotate() if options["action"] == "rotate" else crypto.check()
        for report in reports:
            self.stdout.write(f"{report.label}: {self._describe(report, options['action'])}")
        if unreadable := [r for r in reports if r.unreadable]:
            raise CommandError(
                "No configured key decrypts "
                + "; ".join(f"{r.label} of rows {', '.join(map(str, r.unreadable[:20]))}"
                            for r in unreadable)
                + ". Put the key they were written with in VAKA_ENCRYPTION_KEYS_PREVIOUS, "
                "or enter those secrets again.")
        if options["action"] == "check" and any(
                r.plain or set(r.by_key) - {0} for r in reports):
            self.stdout.write(self.style.WARNING(
                "Some values are not under the current key: run `vaka secrets rotate`."))

    @staticmethod
    def _describe(report: crypto.FieldReport, action: str) -> str:
        if not report.total:
            return "none stored"
        parts = [f"{count} under {_key_name(number)}"
                 for number, count in sorted(report.by_key.items())]
        if report.plain:
            parts.append(f"{report.plain} plain text (not yet encrypted)")
        if action == "rotate" and report.rewritten:
            parts = [f"{report.rewritten} re-encrypted under the current key (before: "
                     f"{', '.join(parts)})"]
        elif action == "rotate":
            parts = [] if report.unreadable else ["all under the current key already"]
        if report.unreadable:
            parts.append(f"{len(report.unreadable)} no key decrypts")
        return ", ".join(parts)
