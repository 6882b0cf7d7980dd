from typing import Any

from django.core.management.base import BaseCommand

from vaka.directory import demo


class Command(BaseCommand):
    help = "Load the demo region (idempotent) and print the demo sign-in."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo.load()
        summary = ", ".join(f"{n} {kind}" for kind, n in created.items())
        self.stdout.write(f"Demo region loaded ({summary or 'nothing new'} created).")
        password = demo.demo_password()
        self.stdout.write(self.style.SUCCESS(
            f"Sign in as '{demo.ADMIN_USERNAME}' with password '{password}' "
            "(you will be asked to set up two-factor sign-in)."))
        others = ", ".join(u.username for u in demo.USERS if u.username != demo.ADMIN_USERNAME)
        self.stdout.write(f"Other demo users (same password): {others}")
