"""Feed polls and instance syncs against servers that misbehave: an answer trickled a byte
at a time is cut off at the total time limit, an endless one at the size limit (without
being read whole), a slow feed does not hold back a fast one, and a run whose process is
killed shows as running, then as interrupted, and a retry stores nothing twice."""

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections
from django.utils import timezone

from tests.exchange.test_feeds import misp_event, misp_feed_of
from tests.exchange.test_sync import (  # other_instance: a fixture
    VAKA,
    OtherInstance,
    make_world,
    other_instance,  # noqa: F401
)
from tests.ports import serve_in_background
from vaka.exchange import feeds, scheduler, sync
from vaka.exchange.models import Feed, FeedPoll, Peer, SyncRun

TAXII = "application/taxii+json;version=2.1"
COLLECTION = {"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "Endless",
              "can_read": True, "can_write": False,
              "media_types": ["application/stix+json;version=2.1"]}
MIB = 2**20


def wait_for(condition: Callable[[], Any], seconds: float = 30) -> Any:
    """Poll ``condition`` until it is true, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not so within {seconds} s")


class Scripted:
    """A loopback HTTP server answering each path as told: ``routes[path] = (content type,
    body)``, where body is bytes, ``"endless"`` (JSON-looking bytes for ever, no length),
    ``"declared"`` (a Content-Length of 1 GiB, then bytes for ever), ``"trickle"`` (one
    byte every ``trickle_every`` seconds) or a callable of the request's query and body.
    ``sent``: body bytes written, for each path."""

    def __init__(self, trickle_every: float = 0.2) -> None:
        self.routes: dict[str, tuple[str, Any]] = {}
        self.sent: dict[str, int] = {}
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                parts = urlsplit(self.path)
                body_in = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requested.append(parts.path)
                content_type, body = server.routes.get(parts.path, ("text/plain", None))
                if body is None:
                    self.send_error(404)
                    return
                if callable(body):
                    body = body(parse_qs(parts.query), body_in)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if body == "declared":
                    self.send_header("Content-Length", str(1024 * MIB))
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"[" if body == "trickle" else b'{"objects": [' + b" " * 65_000
                try:
                    while server.sent.get(parts.path, 0) < 1024 * MIB:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        server.sent[parts.path] = server.sent.get(parts.path, 0) + len(chunk)
                        if body == "trickle":
                            time.sleep(server.trickle_every)
                        chunk = b" " * 65_536 if body != "trickle" else b" "
                except OSError:
                    pass  # the client hung up: what it was sent is counted

            do_GET = do_POST = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.trickle_every = trickle_every
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.host = self.url.removeprefix("http://")
        serve_in_background(self.http)

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    started: list[Scripted] = []

    def start(**options: Any) -> Scripted:
        started.append(Scripted(**options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def limits(settings: Any, loopback_allowed: None) -> Any:
    settings.OUTBOUND_TIMEOUT_SECONDS = 1
    settings.OUTBOUND_MAX_MB = 1
    return settings


def a_peer(url: str) -> Peer:
    return Peer.objects.create(name=f"Peer {uuid.uuid4().hex[:6]}", url=url,
                               outgoing_token="vakapeer_x",
                               incoming_token_hash=uuid.uuid4().hex)


# --- the total time limit ------------------------------------------------------------------

def test_a_feed_trickling_its_answer_is_stopped_at_the_time_limit(region, limits, scripted):
    server = scripted()
    server.routes["/feed/manifest.json"] = ("application/json", "trickle")
    feed = misp_feed_of(region, server, url=server.url + "/feed/")
    began = time.monotonic()
    done = feeds.poll(feed)
    took = time.monotonic() - began
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        f"{server.host} sent too slowly: stopped after 1 s (VAKA_OUTBOUND_TIMEOUT_SECONDS).")
    assert took < 3, took  # cut off at the limit, not after a read timeout or the body
    feed.refresh_from_db()
    assert feed.last_error == done.message.splitlines()[0] and feed.failures == 1


def test_a_peer_trickling_its_page_is_stopped_at_the_time_limit(db, limits, scripted):
    server = scripted()
    server.routes[sync.API_PATH] = ("application/json", "trickle")
    run = sync.sync(a_peer(server.url))
    assert (run.status, run.message.splitlines()[0]) == (
        "failed",
        f"{server.host} sent too slowly: stopped after 1 s (VAKA_OUTBOUND_TIMEOUT_SECONDS).")


# --- the size limit, in every format --------------------------------------------------------

def _taxii(server: Scripted, endless: str) -> Feed:
    base = "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
    server.routes[base] = (TAXII, json.dumps(COLLECTION).encode())
    server.routes[base + "objects/"] = (TAXII, endless)
    return Feed(kind=Feed.Kind.TAXII, url=server.url + base)


def _taxii_collection(server: Scripted, endless: str) -> Feed:
    base = "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
    server.routes[base] = (TAXII, endless)
    return Feed(kind=Feed.Kind.TAXII, url=server.url + base)


def _misp_manifest(server: Scripted, endless: str) -> Feed:
    server.routes["/feed/manifest.json"] = ("application/json", endless)
    return Feed(kind=Feed.Kind.MISP, url=server.url + "/feed/")


def _misp_event(server: Scripted, endless: str) -> Feed:
    event = misp_event("huge", 1_767_000_000, ["huge.example"])["Event"]
    server.routes["/feed/manifest.json"] = ("application/json", json.dumps(
        {event["uuid"]: {"timestamp": event["timestamp"]}}).encode())
    server.routes[f"/feed/{event['uuid']}.json"] = ("application/json", endless)
    return Feed(kind=Feed.Kind.MISP, url=server.url + "/feed/")


@pytest.mark.parametrize("endless", ["endless", "declared"])
@pytest.mark.parametrize("format_", [_taxii_collection, _taxii, _misp_manifest, _misp_event],
                         ids=["taxii-collection", "taxii-envelope", "misp-manifest",
                              "misp-event"])
def test_an_oversize_feed_answer_is_stopped_at_the_size_limit(region, limits, scripted,
                                                              format_, endless):
    server = scripted()
    feed = format_(server, endless)
    feed.name, feed.organisation, feed.tlp, feed.distribution = (
        "Huge", region.unit_a, "green", "members")
    feed.save()
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert f"{server.host} sent more than 1 MiB: stopped there (VAKA_OUTBOUND_MAX_MB)." in (
        done.message)
    # Read up to the limit, not the gigabyte on offer (the rest is the sockets' buffers).
    assert sum(server.sent.values()) < 24 * MIB, server.sent
    assert FeedPoll.objects.get(pk=done.pk).submissions.count() == 0


@pytest.mark.parametrize("endless", ["endless", "declared"])
@pytest.mark.parametrize("direction", ["pull", "push"])
def test_an_oversize_peer_answer_is_stopped_at_the_size_limit(world, limits, scripted,
                                                              direction, endless):
    server = scripted()
    server.routes[sync.API_PATH] = ("application/json", endless)
    peer = a_peer(server.url)
    peer.pull = direction == "pull"  # a push sends this side's records and reads the answer
    run = sync.sync(peer)
    assert run.status == "failed", run.message
    assert run.message.splitlines()[0] == (
        f"{server.host} sent more than 1 MiB: stopped there (VAKA_OUTBOUND_MAX_MB).")
    assert sum(server.sent.values()) < 24 * MIB, server.sent
    assert [path for path in server.requested] == [sync.API_PATH]


@pytest.fixture
def world(db: Any) -> None:
    make_world("A")  # records that cross: a push has something to send


# --- a slow feed does not hold back the others -----------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback_allowed")
def test_a_slow_feed_does_not_hold_back_a_fast_one(region, scripted, misp_feed, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 60
    release = threading.Event()
    slow = scripted()

    def late_manifest(query: dict[str, list[str]], body: bytes) -> bytes:
        release.wait(60)
        return b"{}"

    slow.routes["/feed/manifest.json"] = ("application/json", late_manifest)
    fast = misp_feed()
    fast.publish(misp_event("quick", 1_767_000_000, ["quick.example"]))
    misp_feed_of(region, slow, name="Slow", url=slow.url + "/feed/")
    quick = misp_feed_of(region, fast, name="Quick")
    round_done: list[Any] = []

    def scheduler_round() -> None:
        try:
            round_done.append(feeds.poll_due())
        finally:
            connections.close_all()  # this thread's

    worker = threading.Thread(target=scheduler_round)
    worker.start()
    try:
        finished = wait_for(lambda: FeedPoll.objects.filter(
            feed=quick, status="ok").first())
        assert finished.new > 0
        # The fast feed is done while the slow one is still waiting, shown as running.
        running = FeedPoll.objects.get(feed__name="Slow")
        assert (running.status, running.finished) == ("running", None)
    finally:
        release.set()
        worker.join(30)
    assert sorted((p.feed.name, p.status) for p in round_done[0]) == [
        ("Quick", "ok"), ("Slow", "ok")]


# --- runs a dead process left running --------------------------------------------------------

def test_a_run_silent_too_long_is_marked_interrupted_and_its_peer_due_again(db):
    peer = a_peer("https://hub.example")
    later = timezone.now() + timedelta(hours=1)
    Peer.objects.filter(pk=peer.pk).update(next_sync_at=later)  # claimed, as sync_due does
    dead = SyncRun.objects.create(peer=peer, status="running")
    assert scheduler.fail_interrupted() == 0  # it may still be at work
    now = scheduler.SILENCE + timedelta(seconds=2 * 300 + 1) + timezone.now()
    assert scheduler.fail_interrupted(now) == 1
    dead.refresh_from_db()
    peer.refresh_from_db()
    assert (dead.status, dead.finished) == ("failed", now)
    assert dead.message.startswith("Interrupted: the process running it stopped")
    assert peer.next_sync_at == now and peer.last_error == dead.message
    assert scheduler.fail_interrupted(now) == 0


def test_a_feed_poll_silent_too_long_is_marked_interrupted(region):
    feed = Feed.objects.create(name="Stuck", kind="misp", url="https://feed.example/",
                               organisation=region.unit_a, interval_minutes=60,
                               next_poll_at=timezone.now() + timedelta(minutes=60))
    stuck = FeedPoll.objects.create(feed=feed, status="running")
    now = timezone.now() + timedelta(hours=3)
    assert scheduler.fail_interrupted(now) == 1
    stuck.refresh_from_db()
    feed.refresh_from_db()
    assert stuck.status == "failed" and stuck.message.startswith("Interrupted")
    assert feed.next_poll_at <= now


class HeldPeer:
    """A peer serving ``entries`` on two pages; the second waits until ``release``."""

    def __init__(self, scripted: Callable[..., Scripted], entries: list[dict]) -> None:
        self.release = threading.Event()
        self.asked_second = threading.Event()
        self.server = scripted()
        first, second = entries[:2], entries[2:]

        def page(query: dict[str, list[str]], body: bytes) -> bytes:
            if body:  # a push: nothing is sent back
                return json.dumps({"new": 0}).encode()
            if query.get("after") != ["page-2"]:
                return json.dumps({"objects": first, "more": True, "next": "page-2",
                                   "resume": "page-2"}).encode()
            self.asked_second.set()
            self.release.wait(120)
            return json.dumps({"objects": second, "more": False, "next": "page-3",
                               "resume": "page-3"}).encode()

        self.server.routes[sync.API_PATH] = ("application/json", page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback_allowed")
def test_a_sync_killed_midway_shows_interrupted_and_a_retry_stores_nothing_twice(
        other_instance: OtherInstance,  # noqa: F811
        scripted: Callable[..., Scripted]) -> None:
    # What a peer would send: this side's records that may cross, on two pages.
    make_world("A")
    here, _token = sync.create_peer(actor=None, name="B", url="https://b.example")
    entries = [e for e in sync.page_for(here, None).entries
               if e["markings"]["distribution"] in ("federation", "public")]
    assert len(entries) == 3
    peer = HeldPeer(scripted, entries)
    b = other_instance
    b.shell(f"""
        sync.create_peer(actor=None, name="A", url={peer.server.url!r}, outgoing_token="x",
                         push=False)
        print("ok")
    """)
    state = """
        from vaka.exchange.models import SyncRun
        from vaka.intel.models import StixObjectVersion
        print(json.dumps({"runs": [[r.status, r.message.splitlines()[:1]]
                                   for r in SyncRun.objects.order_by("pk")],
                          "objects": sorted(StixObject.objects.filter(owner__origin__isnull=False)
                                            .values_list("stix_id", flat=True)),
                          "versions": StixObjectVersion.objects.filter(
                              object__owner__origin__isnull=False).count()}))
    """
    worker = subprocess.Popen([str(VAKA), "sync", "A"], env=b.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        assert peer.asked_second.wait(60), "the worker never asked for the second page"
        during = json.loads(b.shell(state))
        assert during["runs"] == [["running", []]]  # visible while it runs
        assert len(during["objects"]) == during["versions"] == 2  # page 1, stored whole
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
        peer.release.set()

    # The next round (in the future, when its silence is long enough) marks it interrupted.
    marked = b.shell("""
        from datetime import timedelta
        from django.utils import timezone
        from vaka.exchange import scheduler
        print(scheduler.fail_interrupted(timezone.now() + timedelta(hours=3)))
    """)
    assert marked == "1"
    after_kill = json.loads(b.shell(state))
    assert after_kill["runs"][0][0] == "failed"
    assert after_kill["runs"][0][1][0].startswith("Interrupted: the process running it stopped")

    retry = b.run("sync", "A")
    assert retry.returncode == 0, retry.stdout + retry.stderr
    line = json.loads(retry.stdout)
    assert (line["status"], line["pulled"]) == ("ok", 1)  # page 2 only: page 1 was kept
    done = json.loads(b.shell(state))
    assert done["objects"] == sorted(e["stix"]["id"] for e in entries)  # none twice
    assert done["versions"] == 3
