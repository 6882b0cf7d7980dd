from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.directory import services
from vaka.directory.models import User


class Command(BaseCommand):
    help = "Manage API tokens: `vaka token create USERNAME [--expires DAYS] [--name NAME]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--expires", type=int, metavar="DAYS", default=None)
        create.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named '{options['username']}'.")
        try:
            _token, key = services.create_token(user, name=options["name"],
                                                expires_in_days=options["expires"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(key)
