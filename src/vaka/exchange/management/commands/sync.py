"""``vaka sync``: sync with connected instances now, or connect one."""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaka.directory.models import Community
from vaka.exchange import sync
from vaka.exchange.models import Peer, SyncRun


def _line(run: SyncRun) -> str:
    return json.dumps({
        "peer": run.peer.name, "status": run.status, "pulled": run.pulled,
        "pushed": run.pushed, "rejected": run.rejected, "message": run.message,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat() if run.finished else None,
    }, ensure_ascii=False)


class Command(BaseCommand):
    help = ("Sync with the named connected instances now, or with every enabled one that "
            "is due (run it from cron or a timer every few minutes). Prints one JSON line "
            "per run; exits 1 if one failed. `--add-peer NAME URL` connects an instance "
            "and prints, once, the token it must present here.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("peers", nargs="*", metavar="PEER",
                            help="Names of connected instances (default: all that are due).")
        parser.add_argument("--add-peer", nargs=2, metavar=("NAME", "URL"),
                            help="Connect an instance instead of syncing.")
        parser.add_argument("--token", default="", metavar="TOKEN",
                            help="With --add-peer: the token the other instance gave you.")
        parser.add_argument("--community", action="append", default=[], metavar="NAME",
                            help="With --add-peer: a community spanning both instances; "
                                 "repeatable.")
        parser.add_argument("--no-push", action="store_true",
                            help="With --add-peer: send nothing to it.")
        parser.add_argument("--no-pull", action="store_true",
                            help="With --add-peer: take nothing from it.")
        parser.add_argument("--interval", type=int, default=15, metavar="MINUTES",
                            help="With --add-peer: minutes between syncs (default 15).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["add_peer"]:
            self._add(options)
            return
        if options["peers"]:
            peers = []
            for name in options["peers"]:
                peer = Peer.objects.filter(name=name).first()
                if peer is None:
                    raise CommandError(f"No connected instance named '{name}'.")
                if not peer.enabled:
                    raise CommandError(f"'{name}' is disabled.")
                peers.append(peer)
            runs = [sync.sync(peer) for peer in peers]
        else:
            runs = sync.sync_due()
        for run in runs:
            self.stdout.write(_line(run))
        if any(run.status == SyncRun.Status.FAILED for run in runs):
            raise SystemExit(1)

    def _add(self, options: dict[str, Any]) -> None:
        communities = []
        for name in options["community"]:
            community = Community.objects.filter(name=name).first()
            if community is None:
                raise CommandError(f"No community named '{name}'.")
            communities.append(community)
        name, url = options["add_peer"]
        try:
            _peer, token = sync.create_peer(
                actor=None, name=name, url=url, outgoing_token=options["token"],
                communities=communities, push=not options["no_push"],
                pull=not options["no_pull"], interval_minutes=options["interval"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(token)
