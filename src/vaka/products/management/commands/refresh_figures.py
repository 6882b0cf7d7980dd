"""``vaka refresh_figures``: compute the analytics dashboard's figures now."""

from typing import Any

from django.core.management.base import BaseCommand

from vaka.products import figures


class Command(BaseCommand):
    help = ("Compute the analytics dashboard's figures now (the scheduler does it every "
            "VAKA_ANALYTICS_REFRESH_MINUTES).")

    def handle(self, *args: Any, **options: Any) -> None:
        state = figures.refresh()
        self.stdout.write(f"Counted {state.counted:,} objects in {state.seconds:.1f} s.")
