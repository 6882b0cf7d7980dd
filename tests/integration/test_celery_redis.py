"""Background work through a real Redis server and a real Celery worker process.

The test starts ``redis-server`` on a free loopback port and ``vaka worker`` against it,
both on a data directory of its own (a file SQLite database that the worker and the web
side, driven by ``tests.integration.driver`` in processes of their own, all open). Then: a
large upload answers at once, queued, and the worker stores it; an admin's "poll now" of
a local MISP feed is queued and its page shows the outcome; the upload's notice is mailed
by the worker; and once Redis is stopped, an upload and a "poll now" fail visibly.

Needs Debian's ``redis-server`` (``scripts/install-system-deps`` installs it).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import redis_server
from tests.exchange.conftest import MispFeed
from tests.ports import free_port
from tests.redis_server import stop

pytestmark = pytest.mark.skipif(not redis_server.installed(), reason=redis_server.MISSING)

ROOT = Path(__file__).resolve().parents[2]
LARGE = 80_000  # bytes: over VAKA_BACKGROUND_INGEST_MB below, so the worker stores it


def wait_for(what: str, check: Callable[[], Any], seconds: float = 90,
              every: float = 0.2) -> Any:
    """``check()``'s first true answer, polled for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")


class Instance:
    """The processes of one Vaka instance on a broker: driven steps, and a worker."""

    def __init__(self, data: Path, broker_port: int) -> None:
        self.data = data
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("VAKA_")},
            "DJANGO_SETTINGS_MODULE": "vaka.settings", "PYTHONPATH": str(ROOT),
            "VAKA_DATA_DIR": str(data), "VAKA_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
            "VAKA_BACKGROUND_INGEST_MB": "0.05", "VAKA_OUTBOUND_ALLOW": "127.0.0.0/8",
            "VAKA_ALLOWED_HOSTS": "testserver,localhost", "VAKA_STATIC_STORAGE":
            "django.contrib.staticfiles.storage.StaticFilesStorage",
            "VAKA_SCHEDULER": "false"}

    def run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, timeout=timeout,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def step(self, *args: object) -> dict[str, Any]:
        out = self.run("-m", "tests.integration.driver", *map(str, args))
        return json.loads(out.strip().splitlines()[-1])

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.data / "vaka.sqlite3", timeout=20) as db:
            return db.execute(sql, params).fetchall()


def test_background_work_goes_through_redis_and_a_worker_and_fails_visibly_without(
        tmp_path: Path, new_instance: Path) -> None:
    port = free_port()
    # A migrated copy of the suite's new instance (migrating takes a while).
    shutil.copytree(new_instance, tmp_path / "data", ignore=shutil.ignore_patterns("files"))
    instance = Instance(tmp_path / "data", port)
    worker_log = tmp_path / "worker.log"
    redis = worker = None
    (tmp_path / "misp").mkdir()
    feed_server = MispFeed(tmp_path / "misp")
    try:
        redis = redis_server.start(port, tmp_path)
        with worker_log.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "django", "worker", "--pool=solo", "--loglevel=INFO"],
                env=instance.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_for("the worker to be ready", lambda: "ready" in worker_log.read_text(), 60)

        event = str(uuid.uuid4())
        feed_server.publish({"Event": {
            "uuid": event, "info": "Phishing kit", "date": "2026-01-10",
            "threat_level_id": "2", "analysis": "1", "published": True,
            "timestamp": "1767139200", "publish_timestamp": "1767139200",
            "Orgc": {"name": "Partner CERT", "uuid": "5f6e7d8c-1111-4c3f-9a3e-0a1b2c3d4e5f"},
            "Attribute": [{"uuid": str(uuid.uuid4()), "type": "domain", "to_ids": True,
                           "category": "Network activity", "value": "kit.feed-poll.net",
                           "timestamp": "1767139200", "comment": ""}]}})
        feed = instance.step("setup", feed_server.url)["feed"]

        # A large upload: the request answers at once, queued; the worker stores it.
        sent = instance.step("submit", LARGE)
        # Queued, or already claimed by the waiting worker: never stored in the request.
        assert sent["code"] == 302 and sent["status"] in ("queued", "running"), sent
        assert sent["location"] == f"/intel/submissions/{sent['submission']}/"

        def outcome() -> tuple | None:
            [row] = instance.query("SELECT status, new, rejected FROM intel_submission "
                                   "WHERE id = ?", sent["submission"])
            return row if row[0] not in ("queued", "running") else None

        assert wait_for("the worker to store the upload", outcome) == (
            "partial", sent["values"], 1)
        shown = instance.step("page", sent["submission"])
        assert "Stored in part." in shown["box"] and "hx-trigger" not in shown["box"]
        assert f"{sent['values']} objects stored or updated" in shown["page"]

        # The notice of its rejected line is mailed by the worker (console mail backend).
        wait_for("the worker to mail the notice",
                 lambda: "something is waiting for you" in worker_log.read_text())

        # "Poll now": queued for the worker, and the feed's page follows it to its end.
        asked = instance.step("poll", feed)
        assert asked["code"] == 302 and "?job=" in asked["location"], asked
        assert 'id="queued-job"' in asked["page"]
        job = asked["location"].split("?job=")[1]
        [(status, new)] = wait_for("the worker to poll the feed", lambda: instance.query(
            "SELECT status, new FROM exchange_feedpoll WHERE feed_id = ? AND finished "
            "IS NOT NULL", feed))
        assert status == "ok" and new > 0  # the event, its indicator, its creator…
        box = wait_for("the poll's outcome", lambda: (
            found if "Polled." in (found := instance.step("job", feed, job))["box"] else None),
            30, every=0.5)
        assert f"{new} new, 0 updated, 0 rejected." in box["box"]
        assert box["refresh"] == "true" and "hx-trigger" not in box["box"]

        # The broker goes away: what would be queued fails at once, and says so.
        stop(redis)
        lost = instance.step("submit", LARGE)
        assert lost["code"] == 302 and lost["status"] == "failed", lost
        assert lost["seconds"] < 30  # the enqueue gives up in seconds (a loaded machine)
        assert "Background queue unreachable" in instance.step("page", lost["submission"])[
            "page"]
        refused = instance.step("poll", feed)
        assert "?job=" not in refused["location"]
        assert "Background queue unreachable" in refused["page"]
    finally:
        stop(worker)
        stop(redis)
        feed_server.stop()
