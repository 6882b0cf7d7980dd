"""``vaka feeds``: list the feed subscriptions, or poll them now."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vaka.exchange import feeds
from vaka.exchange.models import Feed, FeedPoll


class Command(BaseCommand):
    help = ("Feed subscriptions. `vaka feeds poll [NAME …]` polls the named feeds now, or "
            "every due feed when none is named, and prints one JSON line per poll (exit "
            "status 1 if one failed); `vaka feeds list` shows them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        polling = sub.add_parser("poll", help="Poll named feeds now, or all due feeds.")
        polling.add_argument("names", nargs="*", metavar="NAME")
        sub.add_parser("list", help="Each feed, its schedule and its last error.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        names = options["names"]
        if names:
            found = {f.name: f for f in Feed.objects.select_related("organisation")
                     .filter(name__in=names)}
            missing = [name for name in names if name not in found]
            if missing:
                raise CommandError("No feed named " + ", ".join(f"'{n}'" for n in missing))
            done = [feeds.poll(found[name]) for name in dict.fromkeys(names)]
        else:
            done = feeds.poll_due()
        for record in done:
            self.stdout.write(json.dumps({
                "feed": record.feed.name, "poll": record.pk, "status": record.status,
                "new": record.new, "updated": record.updated, "unchanged": record.unchanged,
                "rejected": record.rejected, "errors": len(record.errors),
                "message": record.message}, ensure_ascii=False))
        if any(record.status == FeedPoll.Status.FAILED for record in done):
            raise SystemExit(1)

    def _list(self) -> None:
        rows = [("NAME", "KIND", "ENABLED", "NEXT POLL", "FAILURES", "LAST ERROR")]
        for feed in Feed.objects.all():
            next_poll = timezone.localtime(feed.next_poll_at).strftime("%Y-%m-%d %H:%M")
            rows.append((feed.name, feed.kind, "yes" if feed.enabled else "no", next_poll,
                         str(feed.failures), feed.last_error.splitlines()[0][:80]
                         if feed.last_error else ""))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
